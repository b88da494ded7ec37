package web

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/ganbook/ganbook/internal/browsertest"
	"github.com/ganbook/ganbook/tracker"
	"github.com/ganbook/ganbook/tracker/sqlite"
)

// The browser benchmark's databases, built on first use (minutes) in a
// temporary directory, or kept at $GANBOOK_WEB_BENCH_DIR between runs:
//
//   - many.db: manyRuns runs with 6 parameters, 8 metrics and 2 tags each
//     (the runs page);
//   - long.db: longRuns runs with longPoints points of d_loss and of
//     g_loss each (the run and compare pages).
const (
	manyRuns   = 10_000
	longRuns   = 5
	longPoints = 1_000_000
)

var manyMetrics = []string{"d_loss", "g_loss", "d_real", "d_fake", "images_per_sec", "fid", "inception_score", "grad_norm_d"}

var browserBenchDB struct {
	once       sync.Once
	dir        string
	many, long string
	err        error
}

func browserBenchDBs(b *testing.B) (many, long string) {
	b.Helper()
	d := &browserBenchDB
	d.once.Do(func() {
		dir := os.Getenv("GANBOOK_WEB_BENCH_DIR")
		if dir == "" {
			dir, d.err = os.MkdirTemp("", "ganbook-web-browser-bench-")
			if d.err != nil {
				return
			}
			d.dir = dir
		}
		d.many, d.long = filepath.Join(dir, "many.db"), filepath.Join(dir, "long.db")
		for _, db := range []struct {
			path  string
			build func(string) error
		}{{d.many, func(p string) error { return buildManyRunsDB(p, manyRuns) }}, {d.long, buildLongRunsDB}} {
			if _, err := os.Stat(db.path); err == nil {
				continue
			}
			start := time.Now()
			tmp := db.path + ".building"
			os.Remove(tmp)
			if d.err = db.build(tmp); d.err != nil {
				return
			}
			if d.err = os.Rename(tmp, db.path); d.err != nil {
				return
			}
			fmt.Fprintf(os.Stderr, "built %s in %v\n", db.path, time.Since(start).Round(time.Second))
		}
	})
	if d.err != nil {
		b.Fatal(d.err)
	}
	return d.many, d.long
}

// buildManyRunsDB writes n finished runs, each with a few points of
// eight metrics (their summaries fill the table).
func buildManyRunsDB(path string, n int) error {
	ctx := context.Background()
	db, err := sqlite.Open(path, tracker.BackendConfig{})
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now().Add(-time.Duration(n) * time.Minute)
	for i := range n {
		id := fmt.Sprintf("%016x%016x", rand.Uint64(), uint64(i))
		t0 := start.Add(time.Duration(i) * time.Minute)
		nr := tracker.NewRun{
			ID: id, Experiment: []string{"mnist", "fashion"}[i%2], Name: fmt.Sprintf("sweep-%05d", i), StartTime: t0, HeartbeatTimeout: time.Minute,
			Params: []tracker.Param{
				tracker.NewParam("lr_d", tracker.FormatParam(1e-4*float64(1+i%7))),
				tracker.NewParam("lr_g", tracker.FormatParam(2e-4*float64(1+i%3))),
				tracker.NewParam("model", []string{"mlp", "dcgan"}[i%2]),
				tracker.NewParam("batch_size", fmt.Sprint(32<<(i%3))),
				tracker.NewParam("loss", []string{"non-saturating", "wasserstein"}[i%2]),
				tracker.NewParam("seed", fmt.Sprint(i)),
			},
			Tags: []tracker.Tag{{Key: "sweep", Value: fmt.Sprint(i / 100)}, {Key: "host", Value: "bench"}},
		}
		if err := db.CreateRun(ctx, nr); err != nil {
			return err
		}
		batch := tracker.Batch{RunID: id, Heartbeat: t0.Add(time.Minute)}
		rng := rand.New(rand.NewPCG(uint64(i), 3))
		for step := int64(0); step < 3; step++ {
			for k, key := range manyMetrics {
				batch.Metrics = append(batch.Metrics, tracker.MetricPoint{Key: key, Step: step * 100, Time: t0.Add(time.Duration(step) * time.Second), Value: float64(k+1) * (0.5 + rng.Float64())})
			}
		}
		if err := db.WriteBatch(ctx, batch); err != nil {
			return err
		}
		if err := db.EndRun(ctx, id, tracker.StatusFinished, "", t0.Add(time.Minute)); err != nil {
			return err
		}
	}
	return nil
}

// buildLongRunsDB writes longRuns finished runs of longPoints points of
// d_loss and of g_loss each.
func buildLongRunsDB(path string) error {
	ctx := context.Background()
	db, err := sqlite.Open(path, tracker.BackendConfig{})
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now().Add(-longRuns * 24 * time.Hour)
	for i := range longRuns {
		id := fmt.Sprintf("%016x%016x", rand.Uint64(), uint64(i))
		t0 := start.Add(time.Duration(i) * 24 * time.Hour)
		nr := tracker.NewRun{
			ID: id, Experiment: "long", Name: fmt.Sprintf("long-%d", i), StartTime: t0, HeartbeatTimeout: time.Minute,
			Params: []tracker.Param{tracker.NewParam("lr_d", tracker.FormatParam(1e-4*float64(1+i))), tracker.NewParam("seed", fmt.Sprint(i))},
		}
		if err := db.CreateRun(ctx, nr); err != nil {
			return err
		}
		rng := rand.New(rand.NewPCG(uint64(i), 1))
		const batch = 100_000
		for from := 0; from < longPoints; from += batch / 2 {
			b := tracker.Batch{RunID: id, Metrics: make([]tracker.MetricPoint, 0, batch)}
			for step := from; step < from+batch/2; step++ {
				at := t0.Add(time.Duration(step) * 20 * time.Millisecond)
				s := float64(step)
				b.Metrics = append(b.Metrics,
					tracker.MetricPoint{Key: "d_loss", Step: int64(step), Time: at, Value: 0.55 + 0.8*math.Exp(-s/200000) + 0.05*rng.NormFloat64()},
					tracker.MetricPoint{Key: "g_loss", Step: int64(step), Time: at, Value: 0.75 + 1.4*(1-math.Exp(-s/300000)) + 0.08*rng.NormFloat64()})
			}
			if err := db.WriteBatch(ctx, b); err != nil {
				return err
			}
		}
		end := t0.Add(longPoints * 20 * time.Millisecond)
		if err := db.WriteBatch(ctx, tracker.Batch{RunID: id, Heartbeat: end}); err != nil {
			return err
		}
		if err := db.EndRun(ctx, id, tracker.StatusFinished, "", end); err != nil {
			return err
		}
	}
	return nil
}

// swapHandler serves whichever handler was stored last, so that a
// benchmark can start each load with an empty series cache.
type swapHandler struct{ h atomic.Pointer[Handler] }

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.h.Load().ServeHTTP(w, r) }

// BenchmarkBrowser loads pages in headless Chromium and reports what the
// browser measured (Navigation and Paint Timing, and a mark that
// charts.js sets once every chart is drawn), in milliseconds from the
// start of the navigation:
//
//   - html-ms: the page's HTML received (responseEnd);
//   - fcp-ms: first contentful paint;
//   - charts-ms: every chart drawn (run and compare pages).
//
// cold: a new handler per load, so every series is read from the database
// (the first view after `ganbook ui` starts); warm: the series cached.
//
//	go test -run '^$' -bench Browser -benchtime 5x ./tracker/web/
//
// GANBOOK_WEB_BENCH_DIR=DIR keeps the databases (about 1.5 GB) between runs.
func BenchmarkBrowser(b *testing.B) {
	path := browsertest.Require(b)
	manyPath, longPath := browserBenchDBs(b)
	open := func(p string) *tracker.Store {
		s, err := tracker.Open(p, tracker.ReadOnly())
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	}
	many, long := open(manyPath), open(longPath)
	runs, err := long.Runs(context.Background(), tracker.RunQuery{})
	if err != nil {
		b.Fatal(err)
	}
	compare := url.Values{}
	for _, r := range runs {
		compare.Add("run", r.ID)
	}
	ctx := browsertest.Start(b, path, 1366, 900)
	pages := []struct {
		name   string
		store  *tracker.Store
		target string
		charts int
	}{
		{"runs10000", many, "/", 0},
		{"run1M", long, "/runs/" + runs[0].ID, 2},
		{"compare5x1M", long, "/compare?" + compare.Encode(), 2},
	}
	for _, p := range pages {
		for _, cold := range []bool{true, false} {
			name := p.name + "/warm"
			if cold {
				name = p.name + "/cold"
			}
			b.Run(name, func(b *testing.B) {
				sw := &swapHandler{}
				sw.h.Store(NewHandler(p.store, WithPrewarm(0)))
				srv := httptest.NewServer(sw)
				defer srv.Close()
				if !cold {
					loadTimed(b, ctx, srv.URL+p.target, p.charts)
				}
				var html, fcp, charts float64
				for b.Loop() {
					if cold {
						sw.h.Store(NewHandler(p.store, WithPrewarm(0)))
					}
					t := loadTimed(b, ctx, srv.URL+p.target, p.charts)
					html += t[0]
					fcp += t[1]
					charts += t[2]
				}
				n := float64(b.N)
				b.ReportMetric(html/n, "html-ms")
				b.ReportMetric(fcp/n, "fcp-ms")
				if p.charts > 0 {
					b.ReportMetric(charts/n, "charts-ms")
				}
			})
		}
	}
}

// loadTimed navigates to target, waits until its charts are drawn, and
// returns the browser's timings: responseEnd, first contentful paint and
// the charts-drawn mark, in ms since the navigation started.
func loadTimed(b *testing.B, ctx context.Context, target string, charts int) [3]float64 {
	b.Helper()
	lctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if _, err := chromedp.Run(lctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Navigate(target))); err != nil {
		b.Fatalf("%s: %v", target, err)
	}
	cond := fmt.Sprintf(`performance.getEntriesByName("first-contentful-paint").length > 0 && (%d === 0 || performance.getEntriesByName("charts-drawn").length > 0)`, charts)
	for {
		ok, err := chromedp.Run(lctx, chromedp.Evaluate[bool](cond))
		if err != nil {
			b.Fatalf("%s: %v", target, err)
		}
		if ok {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	js := `(() => { const nav = performance.getEntriesByType("navigation")[0];
		const fcp = performance.getEntriesByName("first-contentful-paint")[0].startTime;
		const c = performance.getEntriesByName("charts-drawn");
		return [nav.responseEnd, fcp, c.length ? c[0].startTime : 0]; })()`
	v, err := chromedp.Run(lctx, chromedp.Evaluate[[]float64](js))
	if err != nil || len(v) != 3 {
		b.Fatalf("%s: timings %v: %v", target, v, err)
	}
	if n, err := chromedp.Run(lctx, chromedp.Evaluate[int](`document.querySelectorAll(".uchart[data-loaded]").length`)); err != nil || n != charts {
		b.Fatalf("%s: %d charts drawn, want %d (%v)", target, n, charts, err)
	}
	return [3]float64{v[0], v[1], v[2]}
}
