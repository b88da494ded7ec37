package sqlite

import (
	"context"
	"database/sql"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/ganbook/ganbook/tracker"
)

// pointsPerRound is how many points each ingest path writes per iteration.
const pointsPerRound = 50_000

// BenchmarkIngest measures metric ingest in points per second, in turns on
// one database file, through:
//
//   - tracker: Run.LogMetric for every point, then Run.Flush;
//   - raw-row: a prepared single-row INSERT per point, committed every 8192
//     rows (the tracker's transaction size) — the plain batched INSERT loop;
//   - raw-multi: the same rows in 128-row INSERT statements, as the backend
//     writes them.
//
// The raw loops write only the metrics table; the tracker also keeps
// metric_summary and the heartbeat. It reports each rate and the ratios
// tracker/raw-row and tracker/raw-multi.
func BenchmarkIngest(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "bench.db")
	store, err := tracker.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	run, err := store.StartRun(ctx, "bench", "tracker", nil)
	if err != nil {
		b.Fatal(err)
	}
	rawRun, err := store.StartRun(ctx, "bench", "raw", nil)
	if err != nil {
		b.Fatal(err)
	}
	raw, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=30000&_foreign_keys=on&_synchronous=NORMAL&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	var pk int64
	if err := raw.QueryRow(`SELECT pk FROM runs WHERE id = ?`, rawRun.ID()).Scan(&pk); err != nil {
		b.Fatal(err)
	}

	var step int64
	var trackerTime, rowTime, multiTime time.Duration
	rounds := 0
	for b.Loop() {
		start := time.Now()
		for range pointsPerRound {
			if err := run.LogMetric("loss", step, float64(step)*0.5); err != nil {
				b.Fatal(err)
			}
			step++
		}
		if err := run.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		trackerTime += time.Since(start)

		start = time.Now()
		if err := rawRowLoop(ctx, raw, pk, step); err != nil {
			b.Fatal(err)
		}
		rowTime += time.Since(start)

		start = time.Now()
		if err := rawMultiLoop(ctx, raw, pk, step); err != nil {
			b.Fatal(err)
		}
		multiTime += time.Since(start)
		rounds++
	}
	points := float64(rounds * pointsPerRound)
	trackerRate := points / trackerTime.Seconds()
	rowRate := points / rowTime.Seconds()
	multiRate := points / multiTime.Seconds()
	b.ReportMetric(trackerRate, "tracker-pts/s")
	b.ReportMetric(rowRate, "raw-row-pts/s")
	b.ReportMetric(multiRate, "raw-multi-pts/s")
	b.ReportMetric(trackerRate/rowRate, "ratio-vs-raw-row")
	b.ReportMetric(trackerRate/multiRate, "ratio-vs-raw-multi")
	run.Finish(ctx)
	rawRun.Finish(ctx)
}

func rawRowLoop(ctx context.Context, db *sql.DB, pk, firstStep int64) error {
	const batch = 8192
	for done := 0; done < pointsPerRound; done += batch {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO metrics(run_pk, key, step, wall_ms, value, kind) VALUES (?, ?, ?, ?, ?, 0)`)
		if err != nil {
			tx.Rollback()
			return err
		}
		for i := done; i < min(done+batch, pointsPerRound); i++ {
			s := firstStep + int64(i)
			if _, err := stmt.ExecContext(ctx, pk, "loss", s, time.Now().UnixMilli(), float64(s)*0.5); err != nil {
				tx.Rollback()
				return err
			}
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

func rawMultiLoop(ctx context.Context, db *sql.DB, pk, firstStep int64) error {
	const batch = 8192
	args := make([]any, 0, rowsPerInsert*metricColumns)
	for done := 0; done < pointsPerRound; done += batch {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, insertMetricsFull)
		if err != nil {
			tx.Rollback()
			return err
		}
		end := min(done+batch, pointsPerRound)
		for i := done; i < end; {
			n := min(rowsPerInsert, end-i)
			args = args[:0]
			for j := range n {
				s := firstStep + int64(i+j)
				args = append(args, pk, "loss", s, time.Now().UnixMilli(), float64(s)*0.5, int64(0))
			}
			if n == rowsPerInsert {
				_, err = stmt.ExecContext(ctx, args...)
			} else {
				_, err = tx.ExecContext(ctx, insertMetricsSQL(n), args...)
			}
			if err != nil {
				tx.Rollback()
				return err
			}
			i += n
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkLogMetric measures the cost of one LogMetric call on the
// caller's goroutine: what logging adds to a training step. The buffer is
// drained off the clock before it reaches the writer's wake-up size, so the
// figure excludes the background writer's CPU time (BenchmarkIngest has it).
func BenchmarkLogMetric(b *testing.B) {
	ctx := context.Background()
	store, err := tracker.Open(filepath.Join(b.TempDir(), "log.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	run, err := store.StartRun(ctx, "bench", "log", nil)
	if err != nil {
		b.Fatal(err)
	}
	var step int64
	for b.Loop() {
		if err := run.LogMetric("loss", step, 1); err != nil {
			b.Fatal(err)
		}
		step++
		// A tight loop outlogs any database: drain off the clock, before the
		// writer would wake, so that only the caller's work is timed.
		if step%4000 == 0 {
			b.StopTimer()
			if err := run.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	}
	b.StopTimer()
	if err := run.Finish(ctx); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkMetricEnvelope reads a series of 100,000 points (steps 0…99,999)
// and one of 16,000 whole and as envelopes of 1000 buckets: the envelope
// of the long series from the rollups (1,563 rows of 64 steps), that of the
// short one from its points.
//
// Run: go test -run '^$' -bench MetricEnvelope ./tracker/sqlite/
func BenchmarkMetricEnvelope(b *testing.B) {
	ctx := context.Background()
	d, err := Open(filepath.Join(b.TempDir(), "env.db"), tracker.BackendConfig{})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	const id = "00ff"
	if err := d.CreateRun(ctx, tracker.NewRun{ID: id, Experiment: "bench", Name: "env", StartTime: time.Now()}); err != nil {
		b.Fatal(err)
	}
	for _, s := range []struct {
		key string
		n   int
	}{{"long", 100_000}, {"short", 16_000}} {
		for from := 0; from < s.n; from += 8192 {
			batch := tracker.Batch{RunID: id}
			for step := from; step < min(from+8192, s.n); step++ {
				batch.Metrics = append(batch.Metrics, tracker.MetricPoint{Key: s.key, Step: int64(step), Time: time.Now(), Value: math.Sin(float64(step) / 1000)})
			}
			if err := d.WriteBatch(ctx, batch); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("Metric/100k", func(b *testing.B) {
		for b.Loop() {
			if pts, err := d.Metric(ctx, id, "long"); err != nil || len(pts) != 100_000 {
				b.Fatal(len(pts), err)
			}
		}
	})
	for _, s := range []struct {
		name, key string
		n         int64
	}{{"100k", "long", 100_000}, {"16k", "short", 16_000}} {
		b.Run("Envelope/"+s.name+"/1000", func(b *testing.B) {
			for b.Loop() {
				if env, err := d.MetricEnvelope(ctx, id, s.key, 1000); err != nil || env.Count != s.n {
					b.Fatal(env.Count, err)
				}
			}
		})
		b.Run("FromPoints/"+s.name+"/1000", func(b *testing.B) {
			pk, err := runPK(ctx, d.db, id)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				env := tracker.MetricEnvelope{Key: s.key}
				if err := d.rawEnvelope(ctx, &env, pk, 1000); err != nil || env.Count != s.n {
					b.Fatal(env.Count, err)
				}
			}
		})
	}
}
