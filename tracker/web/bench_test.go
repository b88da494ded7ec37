package web

import (
	"context"
	"fmt"
	"html"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/ganbook/ganbook/tracker"
	"github.com/ganbook/ganbook/tracker/sqlite"
)

// The benchmark database: benchRuns runs, each with benchPoints points of
// d_loss and of g_loss and a few sample grids.
const (
	benchRuns   = 100
	benchPoints = 100_000
	benchGrids  = 5
)

var benchDB struct {
	once sync.Once
	dir  string
	path string
	ids  []string // newest first, as the runs page lists them
	err  error
}

// benchStore returns the benchmark database, building it once per test
// binary (minutes: 20 million points) in a temporary directory, or reusing
// the one at $GANBOOK_WEB_BENCH_DB when that file exists (upgrading it when
// it has an older schema).
func benchStore(b *testing.B) (*tracker.Store, []string) {
	b.Helper()
	benchDB.once.Do(func() {
		benchDB.path = os.Getenv("GANBOOK_WEB_BENCH_DB")
		if benchDB.path == "" {
			benchDB.dir, benchDB.err = os.MkdirTemp("", "ganbook-web-bench-")
			if benchDB.err != nil {
				return
			}
			benchDB.path = filepath.Join(benchDB.dir, "bench.db")
		}
		if _, err := os.Stat(benchDB.path); err != nil {
			start := time.Now()
			if benchDB.err = buildBenchDB(benchDB.path); benchDB.err != nil {
				return
			}
			fmt.Fprintf(os.Stderr, "built %s (%d runs × %d points × 2 metrics) in %v\n", benchDB.path, benchRuns, benchPoints, time.Since(start).Round(time.Second))
		} else {
			// A database built by an older version is upgraded first: the
			// benchmark opens it read-only, which reads an older schema as
			// it is (without the rollups that charts read).
			start := time.Now()
			db, err := sqlite.Open(benchDB.path, tracker.BackendConfig{})
			if err != nil {
				benchDB.err = err
				return
			}
			db.Close()
			fmt.Fprintf(os.Stderr, "opened %s read-write (migrating it if older) in %v\n", benchDB.path, time.Since(start).Round(time.Millisecond))
		}
		store, err := tracker.Open(benchDB.path, tracker.ReadOnly())
		if err != nil {
			benchDB.err = err
			return
		}
		defer store.Close()
		runs, err := store.Runs(context.Background(), tracker.RunQuery{})
		if err != nil {
			benchDB.err = err
			return
		}
		for _, r := range runs {
			if r.Metrics["d_loss"].Count != benchPoints || r.Metrics["g_loss"].Count != benchPoints {
				benchDB.err = fmt.Errorf("%s: run %s has %d d_loss points, want %d: delete the file", benchDB.path, r.ID, r.Metrics["d_loss"].Count, benchPoints)
				return
			}
			benchDB.ids = append(benchDB.ids, r.ID)
		}
		if len(benchDB.ids) != benchRuns {
			benchDB.err = fmt.Errorf("%s has %d runs, want %d: delete the file", benchDB.path, len(benchDB.ids), benchRuns)
		}
	})
	if benchDB.err != nil {
		b.Fatal(benchDB.err)
	}
	store, err := tracker.Open(benchDB.path, tracker.ReadOnly())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	return store, benchDB.ids
}

// TestMain removes the benchmark database built in a temporary directory.
func TestMain(m *testing.M) {
	code := m.Run()
	if benchDB.dir != "" {
		os.RemoveAll(benchDB.dir)
	}
	os.Exit(code)
}

// buildBenchDB writes the runs through the backend in large batches, the
// fastest way in.
func buildBenchDB(path string) error {
	ctx := context.Background()
	db, err := sqlite.Open(path, tracker.BackendConfig{})
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now().Add(-benchRuns * time.Hour)
	grid := sampleGrid(0.9, 1)
	for i := range benchRuns {
		id := fmt.Sprintf("%016x%016x", rand.Uint64(), uint64(i))
		t0 := start.Add(time.Duration(i) * time.Hour)
		nr := tracker.NewRun{
			ID: id, Experiment: "bench", Name: fmt.Sprintf("run-%03d", i), StartTime: t0, HeartbeatTimeout: time.Minute,
			Params: []tracker.Param{
				tracker.NewParam("lr_d", tracker.FormatParam(1e-4*float64(1+i%5))),
				tracker.NewParam("lr_g", "0.0002"),
				tracker.NewParam("model", []string{"mlp", "dcgan"}[i%2]),
				tracker.NewParam("seed", fmt.Sprint(i)),
			},
		}
		if err := db.CreateRun(ctx, nr); err != nil {
			return err
		}
		rng := rand.New(rand.NewPCG(uint64(i), 1))
		const batch = 20_000
		for from := 0; from < benchPoints; from += batch / 2 {
			b := tracker.Batch{RunID: id, Metrics: make([]tracker.MetricPoint, 0, batch)}
			for step := from; step < from+batch/2; step++ {
				at := t0.Add(time.Duration(step) * 20 * time.Millisecond)
				s := float64(step)
				b.Metrics = append(b.Metrics,
					tracker.MetricPoint{Key: "d_loss", Step: int64(step), Time: at, Value: 0.55 + 0.8*math.Exp(-s/20000) + 0.05*rng.NormFloat64()},
					tracker.MetricPoint{Key: "g_loss", Step: int64(step), Time: at, Value: 0.75 + 1.4*(1-math.Exp(-s/30000)) + 0.08*rng.NormFloat64()})
			}
			if err := db.WriteBatch(ctx, b); err != nil {
				return err
			}
		}
		b := tracker.Batch{RunID: id}
		for g := range benchGrids {
			step := int64(g * benchPoints / (benchGrids - 1))
			b.Images = append(b.Images, tracker.Image{ImageInfo: tracker.ImageInfo{Key: "samples", Step: step, Time: t0, Size: len(grid)}, PNG: grid})
		}
		end := t0.Add(benchPoints * 20 * time.Millisecond)
		b.Heartbeat = end
		if err := db.WriteBatch(ctx, b); err != nil {
			return err
		}
		if err := db.EndRun(ctx, id, tracker.StatusFinished, "", end); err != nil {
			return err
		}
	}
	return nil
}

var chartSrc = regexp.MustCompile(`data-series-url="(/api/series[^"]*)"`)

// loadPage requests a page and then, unless htmlOnly, every chart's series
// as the browser does (six at a time); it returns the number of charts.
func loadPage(b *testing.B, h http.Handler, target string, htmlOnly bool) int {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
	if rec.Code != http.StatusOK {
		b.Fatalf("%s: status %d", target, rec.Code)
	}
	charts := chartSrc.FindAllStringSubmatch(rec.Body.String(), -1)
	if htmlOnly {
		return len(charts)
	}
	sem := make(chan struct{}, 6)
	var wg sync.WaitGroup
	for _, m := range charts {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", html.UnescapeString(m[1]), nil))
			if rec.Code != http.StatusOK {
				b.Errorf("%s: status %d", m[1], rec.Code)
			}
		})
	}
	wg.Wait()
	return len(charts)
}

// BenchmarkPages measures the three pages over 100 runs × 100,000 points
// (of d_loss and of g_loss):
//
//   - html: the page alone (it reads no series);
//   - cold: the page and all its charts, with a new Handler per load, so
//     that every series shown is read from the database and downsampled
//     (the first view of a run after `ganbook ui` starts, before the
//     prewarming reaches it);
//   - warm: the page and all its charts, the series already cached (any
//     later view; Serve prewarms the most recent runs at start).
//
// Run: go test -run '^$' -bench Pages -benchtime 5x ./tracker/web/
func BenchmarkPages(b *testing.B) {
	store, ids := benchStore(b)
	compare := url.Values{}
	for _, id := range ids[:10] {
		compare.Add("run", id)
	}
	pages := []struct {
		name, target string
		charts       int
	}{
		{"runs", "/", 0},
		{"run", "/runs/" + ids[0], 2},
		{"compare10", "/compare?" + compare.Encode(), 2},
	}
	for _, p := range pages {
		b.Run(p.name+"/html", func(b *testing.B) {
			h := NewHandler(store)
			for b.Loop() {
				if n := loadPage(b, h, p.target, true); n != p.charts {
					b.Fatalf("%d charts, want %d", n, p.charts)
				}
			}
		})
		if p.charts == 0 {
			continue
		}
		b.Run(p.name+"/cold", func(b *testing.B) {
			for b.Loop() {
				loadPage(b, NewHandler(store), p.target, false)
			}
		})
		b.Run(p.name+"/warm", func(b *testing.B) {
			h := NewHandler(store)
			loadPage(b, h, p.target, false)
			for b.Loop() {
				loadPage(b, h, p.target, false)
			}
		})
	}
}

// BenchmarkPrewarm measures Handler.Prewarm over all 100 runs: the time
// after which every page of the benchmark database answers warm.
//
// Run: go test -run '^$' -bench Prewarm -benchtime 1x ./tracker/web/
func BenchmarkPrewarm(b *testing.B) {
	store, _ := benchStore(b)
	for b.Loop() {
		h := NewHandler(store)
		n, err := h.Prewarm(context.Background(), benchRuns)
		if err != nil {
			b.Fatal(err)
		}
		if n != 2*benchRuns {
			b.Fatalf("prewarmed %d series, want %d", n, 2*benchRuns)
		}
	}
}
