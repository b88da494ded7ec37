package tracker_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"math"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/ganbook/ganbook/tracker"
	_ "github.com/ganbook/ganbook/tracker/sqlite" // the SQLite backend
)

// exampleStore opens a store in a fresh directory; the returned function
// closes it and removes the directory.
func exampleStore() (*tracker.Store, func()) {
	dir, err := os.MkdirTemp("", "tracker-example-")
	if err != nil {
		log.Fatal(err)
	}
	store, err := tracker.Open(filepath.Join(dir, "ganbook.db"))
	if err != nil {
		log.Fatal(err)
	}
	return store, func() { store.Close(); os.RemoveAll(dir) }
}

func Example() {
	store, cleanup := exampleStore()
	defer cleanup()
	ctx := context.Background()

	run, err := store.StartRun(ctx, "mnist", "baseline", map[string]any{"lr_d": 2e-4, "batch": 64})
	if err != nil {
		log.Fatal(err)
	}
	for step := range int64(100) {
		run.LogMetric("d_loss", step, 1/float64(step+1)) // buffered, written in the background
	}
	run.SetTag("note", "first try")
	if err := run.Finish(ctx); err != nil {
		log.Fatal(err)
	}

	info, err := store.Run(ctx, run.ID()[:8]) // a unique id prefix is enough
	if err != nil {
		log.Fatal(err)
	}
	m := info.Metrics["d_loss"]
	fmt.Println(info.Name, info.Status, "lr_d="+info.Params["lr_d"], "note="+info.Tags["note"])
	fmt.Printf("d_loss: %d points, last %.2f at step %d\n", m.Count, m.Last, m.LastStep)
	// Output:
	// baseline FINISHED lr_d=0.0002 note=first try
	// d_loss: 100 points, last 0.01 at step 99
}

func ExampleStore_Runs() {
	store, cleanup := exampleStore()
	defer cleanup()
	ctx := context.Background()
	for i, lr := range []float64{1e-4, 2e-4, 5e-4} {
		run, _ := store.StartRun(ctx, "mnist", fmt.Sprintf("run%d", i), map[string]any{"lr_d": lr})
		run.LogMetric("d_loss", 0, 0.5+float64(i)/10)
		run.Finish(ctx)
	}
	runs, err := store.Runs(ctx, tracker.RunQuery{
		Filter:  "params.lr_d >= 0.0002 and metrics.d_loss < 1 and status = 'FINISHED'",
		OrderBy: "metrics.d_loss desc",
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range runs {
		fmt.Println(r.Name, r.Params["lr_d"], r.Metrics["d_loss"].Last)
	}
	// Output:
	// run2 0.0005 0.7
	// run1 0.0002 0.6
}

func ExampleStore_Compare() {
	store, cleanup := exampleStore()
	defer cleanup()
	ctx := context.Background()
	a, _ := store.StartRun(ctx, "mnist", "a", map[string]any{"lr_d": 2e-4, "batch": 64})
	b, _ := store.StartRun(ctx, "mnist", "b", map[string]any{"lr_d": 2e-4, "batch": 128})
	for step, v := range []float64{0.9, 0.4, 0.6} {
		a.LogMetric("d_loss", int64(step), v)
		b.LogMetric("d_loss", int64(step), v/2)
	}
	a.Finish(ctx)
	b.Finish(ctx)

	c, err := store.Compare(ctx, a.ID(), b.ID())
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range c.DifferingParams() {
		fmt.Println("differs:", p.Key, p.Values[0].Value, p.Values[1].Value)
	}
	for _, m := range c.Metrics {
		for i, s := range m.Values {
			fmt.Printf("%s %s: last %.2f, min %.2f at step %d\n", c.Runs[i].Name, m.Key, s.Last, s.Min, s.MinStep)
		}
	}
	// Output:
	// differs: batch 64 128
	// a d_loss: last 0.60, min 0.40 at step 1
	// b d_loss: last 0.30, min 0.20 at step 1
}

// An envelope summarises a long series in a few ranges of steps without
// losing its spikes, NaNs or infinities: what a chart of it needs.
func ExampleStore_MetricEnvelope() {
	store, cleanup := exampleStore()
	defer cleanup()
	ctx := context.Background()
	run, err := store.StartRun(ctx, "mnist", "long", nil)
	if err != nil {
		log.Fatal(err)
	}
	for step := range int64(10_000) {
		v := 1000 / (1000 + float64(step))
		switch step {
		case 1234:
			v = math.NaN()
		case 4321:
			v = math.Inf(1)
		case 7000:
			v = 5 // a spike
		}
		run.LogMetric("loss", step, v)
	}
	if err := run.Finish(ctx); err != nil {
		log.Fatal(err)
	}

	env, err := store.MetricEnvelope(ctx, run.ID(), "loss", 10)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("width", env.Width)
	for _, b := range env.Buckets {
		fmt.Printf("%d: %d points, min %.3f at %d, max %.3f at %d, %d NaN, %d Inf\n",
			b.Start, b.Count, b.Min.Value, b.Min.Step, b.Max.Value, b.Max.Step, b.NaN, b.PosInf+b.NegInf)
	}
	// Output:
	// width 1024
	// 0: 1024 points, min 0.494 at 1023, max 1.000 at 0, 0 NaN, 0 Inf
	// 1024: 1024 points, min 0.328 at 2047, max 0.494 at 1024, 1 NaN, 0 Inf
	// 2048: 1024 points, min 0.246 at 3071, max 0.328 at 2048, 0 NaN, 0 Inf
	// 3072: 1024 points, min 0.196 at 4095, max 0.246 at 3072, 0 NaN, 0 Inf
	// 4096: 1024 points, min 0.163 at 5119, max 0.196 at 4096, 0 NaN, 1 Inf
	// 5120: 1024 points, min 0.140 at 6143, max 0.163 at 5120, 0 NaN, 0 Inf
	// 6144: 1024 points, min 0.122 at 7167, max 5.000 at 7000, 0 NaN, 0 Inf
	// 7168: 1024 points, min 0.109 at 8191, max 0.122 at 7168, 0 NaN, 0 Inf
	// 8192: 1024 points, min 0.098 at 9215, max 0.109 at 8192, 0 NaN, 0 Inf
	// 9216: 784 points, min 0.091 at 9999, max 0.098 at 9216, 0 NaN, 0 Inf
}

// A Ctrl-C handler kills the run: Kill stores every point logged so far,
// then marks the run KILLED.
func ExampleRun_Kill() {
	store, cleanup := exampleStore()
	defer cleanup()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	run, err := store.StartRun(context.Background(), "mnist", "interrupted", nil)
	if err != nil {
		log.Fatal(err)
	}
	for step := int64(0); ctx.Err() == nil; step++ {
		run.LogMetric("loss", step, 0.5)
		if step == 999 {
			stop() // stands in for the user's Ctrl-C
		}
	}
	if err := run.Kill(context.Background()); err != nil {
		log.Fatal(err)
	}
	info, _ := store.Run(context.Background(), run.ID())
	fmt.Println(info.Status, info.Metrics["loss"].Count)
	// Output: KILLED 1000
}

func ExampleParseFilter() {
	_, err := tracker.ParseFilter("params.lr_d = 0.0002 and < 0.7")
	var fe *tracker.FilterError
	if errors.As(err, &fe) {
		fmt.Println(fe)
		fmt.Println(fe.Caret())
	}
	// Output:
	// tracker: bad filter at 1:26: unexpected token "<" (expected a condition or "(")
	// params.lr_d = 0.0002 and < 0.7
	//                          ^
}
