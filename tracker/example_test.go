package tracker_test

import (
	"context"
	"errors"
	"fmt"
	"log"
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
