package postgres

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ganbook/ganbook/internal/pgtest"
	"github.com/ganbook/ganbook/tracker"
)

// benchScale reads a size from the environment, or def.
func benchScale(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkPages times what the web UI's pages ask of the store — the runs
// table (100 newest runs with their params and metric summaries), a run's
// charts (the envelopes of its two series in 1,000 ranges), and a filtered
// list — on the same data in SQLite and in PostgreSQL.
// GANBOOK_BENCH_RUNS runs (default 50) of GANBOOK_BENCH_POINTS steps of two
// metrics (default 20,000); the 1,000 × 100,000 needs a bigger
// machine than CI's.
func BenchmarkPages(b *testing.B) {
	runs, points := benchScale("GANBOOK_BENCH_RUNS", 50), benchScale("GANBOOK_BENCH_POINTS", 20000)
	ctx := context.Background()
	targets := []struct{ name, location string }{
		{"sqlite", filepath.Join(b.TempDir(), "pages.db")},
		{"postgres", pgtest.Shared(b).NewDatabase(b)},
	}
	for _, tg := range targets {
		seedStart := time.Now()
		be, err := tracker.OpenBackend(tg.location, tracker.BackendConfig{})
		if err != nil {
			b.Fatal(err)
		}
		var ids []string
		for r := range runs {
			id := fmt.Sprintf("%032x", r+1)
			ids = append(ids, id)
			if err := be.CreateRun(ctx, tracker.NewRun{ID: id, Experiment: "bench", Name: fmt.Sprint("run-", r), StartTime: time.Now(), HeartbeatTimeout: time.Minute,
				Params: []tracker.Param{tracker.NewParam("lr_d", strconv.FormatFloat(1e-4*float64(r%7+1), 'g', -1, 64))}}); err != nil {
				b.Fatal(err)
			}
			var batch []tracker.MetricPoint
			for s := range points {
				for _, k := range []string{"d_loss", "g_loss"} {
					batch = append(batch, tracker.MetricPoint{Key: k, Step: int64(s), Time: time.Now(), Value: math.Sin(float64(s+r)) + 1})
				}
				if len(batch) >= 8192 || s == points-1 {
					if err := be.WriteBatch(ctx, tracker.Batch{RunID: id, Metrics: batch}); err != nil {
						b.Fatal(err)
					}
					batch = batch[:0]
				}
			}
			if err := be.EndRun(ctx, id, tracker.StatusFinished, "", time.Now()); err != nil {
				b.Fatal(err)
			}
		}
		be.Close()
		b.Logf("%s: seeded %d runs × %d steps × 2 metrics in %s", tg.name, runs, points, time.Since(seedStart).Round(time.Second))
		store, err := tracker.Open(tg.location, tracker.ReadOnly())
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tg.name+"/runs-table", func(b *testing.B) {
			for range b.N {
				if rs, err := store.Runs(ctx, tracker.RunQuery{Limit: 100}); err != nil || len(rs) != min(runs, 100) {
					b.Fatal(len(rs), err)
				}
			}
		})
		b.Run(tg.name+"/filtered-runs", func(b *testing.B) {
			for range b.N {
				if _, err := store.Runs(ctx, tracker.RunQuery{Filter: "params.lr_d < 0.0004 and metrics.d_loss > 0.5", OrderBy: "metrics.g_loss"}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tg.name+"/run-charts", func(b *testing.B) {
			for i := range b.N {
				id := ids[i%len(ids)]
				if _, err := store.Run(ctx, id); err != nil {
					b.Fatal(err)
				}
				for _, k := range []string{"d_loss", "g_loss"} {
					if env, err := store.MetricEnvelope(ctx, id, k, 1000); err != nil || env.Count != int64(points) {
						b.Fatal(env.Count, err)
					}
				}
			}
		})
		store.Close()
	}
}
