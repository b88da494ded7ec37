package tutorials

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/tracker"
	_ "github.com/ganbook/ganbook/tracker/sqlite"
	"github.com/ganbook/ganbook/tutorials/plots"
	"github.com/ganbook/ganbook/tutorials/tracked"
)

// tailSteps is how many final steps the tutorials average a metric over.
const tailSteps = 50

// trackedRun is one of notebook 07's variants, trained and read back from the tracker.
type trackedRun struct {
	variant tracked.Variant
	info    tracker.RunInfo
	curves  tracked.Curves
	grids   []tracked.Grid     // every sample grid, by step
	tails   map[string]float64 // metric key → mean over the last 50 steps
}

// TestTutorial06And07NumbersAndFigures trains the three variants of notebook 07 (the first is
// notebook 06's run) into a fresh tracker database, as the notebooks do, and checks both tutorials
// against what the tracker then holds.
func TestTutorial06And07NumbersAndFigures(t *testing.T) {
	ctx := context.Background()
	store, err := tracker.Open(filepath.Join(t.TempDir(), "tutorials.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ds := mnist(t)
	var runs []trackedRun
	for _, v := range tracked.Variants() {
		res, err := tracked.Train(ctx, testBackend(t), store, v.Config(), ds, tracked.Spec{Name: v.Name, Tags: map[string]string{"variant": v.Name}})
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		r := trackedRun{variant: v, tails: map[string]float64{}}
		if r.info, err = store.Run(ctx, res.RunID); err != nil {
			t.Fatal(err)
		}
		if r.curves, err = tracked.CurvesFromTracker(ctx, store, res.RunID, v.Name); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{tracked.DLoss, tracked.GLoss, tracked.DReal, tracked.DFake} {
			points, err := store.Metric(ctx, res.RunID, k)
			if err != nil || len(points) != v.Config().Steps {
				t.Fatalf("%s: %d points of %s, %v", v.Name, len(points), k, err)
			}
			sum := 0.0
			for _, p := range points[len(points)-tailSteps:] {
				sum += p.Value
			}
			r.tails[k] = sum / tailSteps
		}
		images, err := store.Images(ctx, res.RunID)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range images {
			img, err := store.Image(ctx, res.RunID, im.Key, im.Step)
			if err != nil {
				t.Fatal(err)
			}
			r.grids = append(r.grids, tracked.Grid{Label: fmt.Sprintf("step %d", im.Step), PNG: img.PNG})
		}
		runs = append(runs, r)
	}
	t.Run("06", func(t *testing.T) { checkTutorial06(t, runs[0]) })
	t.Run("07", func(t *testing.T) {
		var ids []string
		for _, r := range runs {
			ids = append(ids, r.info.ID)
		}
		cmp, err := store.Compare(ctx, ids...)
		if err != nil {
			t.Fatal(err)
		}
		checkTutorial07(t, runs, cmp)
	})
}

func checkTutorial06(t *testing.T, base trackedRun) {
	cfg := base.variant.Config()
	num := func(key string) func() float64 { return func() float64 { return base.tails[key] } }
	checkTutorial(t, tutorial{
		file: "06-train-mnist.md",
		numbers: map[string]func() float64{
			"steps":        func() float64 { return float64(cfg.Steps) },
			"batch":        func() float64 { return float64(cfg.Batch) },
			"sampleEvery":  func() float64 { return float64(cfg.SampleEvery) },
			"gridImages":   func() float64 { return float64(cfg.SampleGrid * cfg.SampleGrid) },
			"lr":           func() float64 { return cfg.LRD },
			"beta1":        func() float64 { return cfg.Beta1 },
			"realLabel":    func() float64 { return cfg.RealLabel },
			"dropout":      func() float64 { return cfg.DropoutD },
			"params":       func() float64 { return float64(len(base.info.Params)) },
			"points":       func() float64 { return float64(base.info.Metrics[tracked.DLoss].Count) },
			"images":       func() float64 { return float64(len(base.grids)) },
			"dLoss":        num(tracked.DLoss),
			"gLoss":        num(tracked.GLoss),
			"dReal":        num(tracked.DReal),
			"dFake":        num(tracked.DFake),
			"tail":         func() float64 { return tailSteps },
			"defaultSteps": func() float64 { return float64(gan.DefaultConfig().Steps) },
		},
		figures: map[string]func() (string, error){
			"img/06-losses.svg": func() (string, error) {
				p, err := tracked.LossCurves("MNIST MLP GAN, 300 steps", []tracked.Curves{{D: base.curves.D, G: base.curves.G}}, 10)
				if err != nil {
					return "", err
				}
				return plots.SVG(p, 14, 8)
			},
			"img/06-samples.svg": func() (string, error) { return tracked.GridsSVG(base.grids, 200) },
		},
	})
}

func checkTutorial07(t *testing.T, runs []trackedRun, cmp tracker.Comparison) {
	cfg := runs[0].variant.Config()
	numbers := map[string]func() float64{
		"tail":       func() float64 { return tailSteps },
		"steps":      func() float64 { return float64(cfg.Steps) },
		"gridImages": func() float64 { return float64(cfg.SampleGrid * cfg.SampleGrid) },
		"lrRatio":    func() float64 { return runs[1].variant.Config().LRG / cfg.LRG },
	}
	_, rows := tracked.DifferingParams(cmp)
	if len(rows) != 2 || rows[0][0] != "loss" || rows[1][0] != "lr_g" {
		t.Errorf("differing params %v, want loss and lr_g", rows)
	}
	var curves []tracked.Curves
	var finals []tracked.Grid
	for i, r := range runs {
		numbers[fmt.Sprintf("lrg%d", i)] = func() float64 { return r.variant.Config().LRG }
		for _, k := range []string{tracked.DLoss, tracked.GLoss, tracked.DReal, tracked.DFake} {
			numbers[fmt.Sprintf("%s%d", k, i)] = func() float64 { return r.tails[k] }
		}
		curves = append(curves, r.curves)
		finals = append(finals, tracked.Grid{Label: r.variant.Name, PNG: r.grids[len(r.grids)-1].PNG})
	}
	checkTutorial(t, tutorial{
		file:    "07-compare-runs.md",
		numbers: numbers,
		figures: map[string]func() (string, error){
			"img/07-losses.svg": func() (string, error) {
				p, err := tracked.LossCurves("Three runs of 300 steps", curves, 20)
				if err != nil {
					return "", err
				}
				return plots.SVG(p, 16, 9)
			},
			"img/07-samples.svg": func() (string, error) { return tracked.GridsSVG(finals, 200) },
		},
	})
}
