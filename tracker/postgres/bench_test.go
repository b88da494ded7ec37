package postgres

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ganbook/ganbook/internal/pgtest"
	"github.com/ganbook/ganbook/tracker"
	_ "github.com/ganbook/ganbook/tracker/sqlite"
)

const benchPoints = 200_000

// BenchmarkIngest logs benchPoints points of five metrics into one run:
// through the tracker (LogMetric, then Flush), against a raw loop of
// multi-row INSERTs (1,000 rows a statement, 8,192 a transaction, as the
// tracker's transactions) and against one COPY, into the same table of the
// same server. The figure to read is points/s.
func BenchmarkIngest(b *testing.B) {
	srv := pgtest.Shared(b)
	ctx := context.Background()
	keys := []string{"d_loss", "g_loss", "d_real", "d_fake", "images_per_sec"}
	point := func(i int) (string, int64, float64) {
		return keys[i%len(keys)], int64(i / len(keys)), float64(i%997) / 997
	}
	// newRun makes a database with one run and returns a connection and
	// the run's pk.
	newRun := func(b *testing.B) (*pgx.Conn, int64, string) {
		url := srv.NewDatabase(b)
		d, err := Open(url, tracker.BackendConfig{})
		if err != nil {
			b.Fatal(err)
		}
		id := strings.Repeat("0", 31) + "1"
		if err := d.CreateRun(ctx, tracker.NewRun{ID: id, Experiment: "bench", Name: "raw", StartTime: time.Now(), HeartbeatTimeout: time.Minute}); err != nil {
			b.Fatal(err)
		}
		d.Close()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { conn.Close(ctx) })
		var pk int64
		if err := conn.QueryRow(ctx, `SELECT pk FROM runs WHERE id = $1`, id).Scan(&pk); err != nil {
			b.Fatal(err)
		}
		return conn, pk, url
	}
	report := func(b *testing.B) {
		b.ReportMetric(float64(benchPoints)*float64(b.N)/b.Elapsed().Seconds(), "points/s")
	}
	b.Run("tracker", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			url := srv.NewDatabase(b)
			store, err := tracker.Open(url, tracker.WithMaxBuffered(benchPoints))
			if err != nil {
				b.Fatal(err)
			}
			run, err := store.StartRun(ctx, "bench", "tracker", nil)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			for i := range benchPoints {
				k, s, v := point(i)
				if err := run.LogMetric(k, s, v); err != nil {
					b.Fatal(err)
				}
			}
			if err := run.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			run.Finish(ctx)
			store.Close()
			b.StartTimer()
		}
		report(b)
	})
	b.Run("insert", func(b *testing.B) {
		const rowsPerStatement, rowsPerTx = 1000, 8192
		for range b.N {
			b.StopTimer()
			conn, pk, _ := newRun(b)
			var sb strings.Builder
			sb.WriteString(`INSERT INTO metrics(run_pk, key, step, wall_ms, value) VALUES `)
			for j := range rowsPerStatement {
				if j > 0 {
					sb.WriteByte(',')
				}
				fmt.Fprintf(&sb, "($%d,$%d,$%d,$%d,$%d)", 5*j+1, 5*j+2, 5*j+3, 5*j+4, 5*j+5)
			}
			full := sb.String()
			args := make([]any, 0, 5*rowsPerStatement)
			b.StartTimer()
			var tx pgx.Tx
			var err error
			for i := 0; i < benchPoints; i += rowsPerStatement {
				if i%rowsPerTx < rowsPerStatement {
					if tx != nil {
						if err := tx.Commit(ctx); err != nil {
							b.Fatal(err)
						}
					}
					if tx, err = conn.Begin(ctx); err != nil {
						b.Fatal(err)
					}
				}
				args = args[:0]
				for j := i; j < i+rowsPerStatement; j++ {
					k, s, v := point(j)
					args = append(args, pk, k, s, time.Now().UnixMilli(), v)
				}
				if _, err := tx.Exec(ctx, full, args...); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.Commit(ctx); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
	b.Run("copy", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			conn, pk, _ := newRun(b)
			b.StartTimer()
			_, err := conn.CopyFrom(ctx, pgx.Identifier{"metrics"}, []string{"run_pk", "key", "step", "wall_ms", "value"},
				pgx.CopyFromSlice(benchPoints, func(i int) ([]any, error) {
					k, s, v := point(i)
					return []any{pk, k, s, time.Now().UnixMilli(), v}, nil
				}))
			if err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
	b.Run("tracker-sqlite", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			store, err := tracker.Open(filepath.Join(b.TempDir(), "bench.db"), tracker.WithMaxBuffered(benchPoints))
			if err != nil {
				b.Fatal(err)
			}
			run, err := store.StartRun(ctx, "bench", "tracker", nil)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			for i := range benchPoints {
				k, s, v := point(i)
				run.LogMetric(k, s, v)
			}
			if err := run.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			run.Finish(ctx)
			store.Close()
			b.StartTimer()
		}
		report(b)
	})
}
