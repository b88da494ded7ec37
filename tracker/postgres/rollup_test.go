package postgres

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/ganbook/ganbook/internal/pgtest"
	"github.com/ganbook/ganbook/tracker"
)

// The rollups migration 2 computes in SQL from the stored points equal, row
// for row and bit for bit, those that the batches merged as they were
// written: the two ways of keeping them agree, for series with repeated and
// unordered steps, ties, NaN, ±Inf and −0.
func TestRollupBackfillEqualsIncremental(t *testing.T) {
	srv := pgtest.Shared(t)
	ctx := context.Background()
	url := srv.NewDatabase(t)
	d, err := Open(url, tracker.BackendConfig{})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	values := []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1), 0, 1, -1, 2.5}
	start := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	for r := range 2 {
		id := fmt.Sprintf("%032x", r+1)
		if err := d.CreateRun(ctx, tracker.NewRun{ID: id, Experiment: "e", Name: id[:8], StartTime: start, HeartbeatTimeout: time.Hour}); err != nil {
			t.Fatal(err)
		}
		n := 0
		for range 20 {
			var batch []tracker.MetricPoint
			for range 1 + rng.IntN(700) { // batches on both sides of copyThreshold
				step := int64(rng.IntN(5000))
				if rng.IntN(50) == 0 {
					step = int64(rng.IntN(1 << 40)) // far buckets at every level
				}
				v := values[rng.IntN(len(values))]
				if rng.IntN(2) == 0 {
					v = float64(rng.IntN(9)) // many ties
				}
				n++
				batch = append(batch, tracker.MetricPoint{Key: []string{"a", "b"}[rng.IntN(2)], Step: step, Time: start.Add(time.Duration(n) * time.Millisecond), Value: v})
			}
			if err := d.WriteBatch(ctx, tracker.Batch{RunID: id, Metrics: batch}); err != nil {
				t.Fatal(err)
			}
		}
	}
	incremental := rollupRowsText(t, d)
	d.Close()
	if err := pgtest.ExecURL(ctx, url, `DROP TABLE sweep_trials; DROP TABLE sweeps; DROP TABLE metric_rollups; ALTER TABLE runs DROP COLUMN batch_seq; UPDATE ganbook_schema SET version = 1`); err != nil {
		t.Fatal(err)
	}
	d, err = Open(url, tracker.BackendConfig{}) // migrates from version 1 again
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	backfilled := rollupRowsText(t, d)
	if len(incremental) < 1000 {
		t.Fatalf("only %d rollup rows", len(incremental))
	}
	if !slices.Equal(incremental, backfilled) {
		for i := range min(len(incremental), len(backfilled)) {
			if incremental[i] != backfilled[i] {
				t.Fatalf("row %d differs:\nwritten    %s\nbackfilled %s", i, incremental[i], backfilled[i])
			}
		}
		t.Fatalf("%d rows written, %d backfilled", len(incremental), len(backfilled))
	}
}

// rollupRowsText returns every metric_rollups row as text, in key order
// (float8's text keeps NaN, ±Infinity and −0 apart).
func rollupRowsText(t *testing.T, d *DB) []string {
	t.Helper()
	rows, err := d.pool.Query(context.Background(), `SELECT r::text FROM metric_rollups r ORDER BY run_pk, key, shift, bucket`)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	if err := eachRow(rows, func() error {
		var s string
		out = append(out, s)
		return rows.Scan(&out[len(out)-1])
	}); err != nil {
		t.Fatal(err)
	}
	return out
}
