package tutorials

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"image/gif"
	"image/png"
	"math"
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

// TestTutorial06And07NumbersAndFigures trains the variants of notebook 07, every one with each of
// tracked.Seeds (seed 1 of the baseline is notebook 06's run), into a fresh tracker database, as the
// notebooks do, and checks both tutorials against what the tracker then holds.
func TestTutorial06And07NumbersAndFigures(t *testing.T) {
	ctx := context.Background()
	store, err := tracker.Open(filepath.Join(t.TempDir(), "tutorials.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ds := mnist(t)
	var runs []trackedRun    // seed 1 of every variant
	var seeds [][]trackedRun // every seed of every variant
	var groups []tracked.SeedGroup
	for _, v := range tracked.Variants() {
		var ids []string
		var group []trackedRun
		for _, seed := range tracked.Seeds() {
			cfg := v.SeedConfig(seed)
			res, err := tracked.Train(ctx, testBackend(t), store, cfg, ds, tracked.Spec{Name: v.Name, Tags: map[string]string{"variant": v.Name}})
			if err != nil {
				t.Fatalf("%s seed %d: %v", v.Name, seed, err)
			}
			ids = append(ids, res.RunID)
			r := readTrackedRun(ctx, t, store, v, res.RunID)
			group = append(group, r)
			if seed == v.Config().Seed {
				runs = append(runs, r)
			}
		}
		seeds = append(seeds, group)
		g, err := tracked.LoadSeedGroup(ctx, store, v.Name, ids, smoothing)
		if err != nil {
			t.Fatal(err)
		}
		groups = append(groups, g)
	}
	if len(runs) != len(groups) {
		t.Fatalf("%d seed-1 runs for %d variants: no variant trains the default seed", len(runs), len(groups))
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
		checkTutorial07(t, runs, seeds, groups, cmp)
	})
}

// smoothing is the moving-average window of tutorial 07's curves.
const smoothing = 20

// readTrackedRun reads one run's series, tail means and sample grids back from the tracker.
func readTrackedRun(ctx context.Context, t *testing.T, store *tracker.Store, v tracked.Variant, id string) trackedRun {
	t.Helper()
	r := trackedRun{variant: v, tails: map[string]float64{}}
	var err error
	if r.info, err = store.Run(ctx, id); err != nil {
		t.Fatal(err)
	}
	if r.curves, err = tracked.CurvesFromTracker(ctx, store, id, v.Name); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{tracked.DLoss, tracked.GLoss, tracked.DReal, tracked.DFake} {
		points, err := store.Metric(ctx, id, k)
		if err != nil || len(points) != v.Config().Steps {
			t.Fatalf("%s: %d points of %s, %v", v.Name, len(points), k, err)
		}
		sum := 0.0
		for _, p := range points[len(points)-tailSteps:] {
			sum += p.Value
		}
		r.tails[k] = sum / tailSteps
	}
	images, err := store.Images(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range images {
		img, err := store.Image(ctx, id, im.Key, im.Step)
		if err != nil {
			t.Fatal(err)
		}
		r.grids = append(r.grids, tracked.Grid{Label: fmt.Sprintf("step %d", im.Step), PNG: img.PNG})
	}
	return r
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
			"progressFrames": func() float64 {
				anim, err := progressAnimation(base.grids)
				if err != nil {
					t.Error(err)
					return math.NaN()
				}
				return float64(len(anim.Image))
			},
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
			"img/06-progress.svg": func() (string, error) {
				b, err := tracked.ProgressGIF(base.grids)
				if err != nil {
					return "", err
				}
				return tracked.AnimationSVG(b, 224)
			},
		},
	})
}

// tQuantile4 is Student's t quantile for a two-sided 95 % interval at 4 degrees of freedom (five
// seeds), from the tables: t(0.975, 4).
const tQuantile4 = 2.7764451051977987

// tInterval95 is the mean of five values and the half-width of its 95 % Student-t interval,
// t(0.975, 4)·s/√5, computed here independently of package tracker.
func tInterval95(t *testing.T, values []float64) (mean, half float64) {
	t.Helper()
	if len(values) != 5 {
		t.Fatalf("tQuantile4 is for 5 values, got %d", len(values))
	}
	for _, v := range values {
		mean += v
	}
	mean /= float64(len(values))
	ss := 0.0
	for _, v := range values {
		ss += (v - mean) * (v - mean)
	}
	return mean, tQuantile4 * math.Sqrt(ss/float64(len(values)-1)) / math.Sqrt(float64(len(values)))
}

// endInterval is tInterval95 of a metric's tail means over a group's runs.
func endInterval(t *testing.T, group []trackedRun, metric string) (mean, half float64) {
	t.Helper()
	var values []float64
	for _, r := range group {
		values = append(values, r.tails[metric])
	}
	return tInterval95(t, values)
}

// groupClaims are what tutorial 07 and notebook 07 say about the seed groups: for a pair of
// variants (indices into tracked.Variants) and a metric, whether their 95 % intervals are apart.
// The generator losses of the two losses are on different scales and are not compared.
var groupClaims = []struct {
	a, b      int
	metric    string
	separated bool
}{
	{0, 1, tracked.DLoss, true}, {0, 1, tracked.GLoss, true}, {0, 1, tracked.DReal, true}, {0, 1, tracked.DFake, true},
	{0, 2, tracked.DLoss, false}, {0, 2, tracked.DReal, false}, {0, 2, tracked.DFake, false},
	{1, 2, tracked.DLoss, true}, {1, 2, tracked.DReal, true}, {1, 2, tracked.DFake, true},
}

func checkTutorial07(t *testing.T, runs []trackedRun, seeds [][]trackedRun, groups []tracked.SeedGroup, cmp tracker.Comparison) {
	cfg := runs[0].variant.Config()
	numbers := map[string]func() float64{
		"tail":       func() float64 { return tailSteps },
		"steps":      func() float64 { return float64(cfg.Steps) },
		"gridImages": func() float64 { return float64(cfg.SampleGrid * cfg.SampleGrid) },
		"seeds":      func() float64 { return float64(len(seeds[0])) },
		"runs":       func() float64 { return float64(len(seeds) * len(seeds[0])) },
		"window":     func() float64 { return smoothing },
		"tq":         func() float64 { return tQuantile4 },
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

	// The group statistics, recomputed from the runs' series, and the tracker's.
	type interval struct{ mean, half float64 }
	ends := make([]map[string]interval, len(seeds))
	for i, group := range seeds {
		ends[i] = map[string]interval{}
		for _, k := range tracked.EndMetrics {
			mean, half := endInterval(t, group, k)
			ends[i][k] = interval{mean, half}
			numbers[fmt.Sprintf("mean_%s%d", k, i)] = func() float64 { return mean }
			numbers[fmt.Sprintf("hw_%s%d", k, i)] = func() float64 { return half }
			got := groups[i].End[k]
			if got.N != len(group) || math.Abs(float64(got.Mean)-mean) > 1e-9 || math.Abs(float64(got.HalfWidth)-half) > 1e-9 {
				t.Errorf("%s %s: tracker interval %v ± %v over %d runs, recomputed %v ± %v over %d",
					groups[i].Name, k, got.Mean, got.HalfWidth, got.N, mean, half, len(group))
			}
		}
	}
	apart := func(a, b interval) bool { return a.mean+a.half < b.mean-b.half || b.mean+b.half < a.mean-a.half }
	claimed := map[string]bool{}
	for _, c := range groupClaims {
		claimed[fmt.Sprintf("%d %d %s", c.a, c.b, c.metric)] = true
		if got := apart(ends[c.a][c.metric], ends[c.b][c.metric]); got != c.separated {
			t.Errorf("%s vs %s, %s: intervals apart = %v, the tutorial says %v", groups[c.a].Name, groups[c.b].Name, c.metric, got, c.separated)
		}
		if got := tracked.Separated(groups[c.a], groups[c.b], c.metric); got != c.separated {
			t.Errorf("%s vs %s, %s: tracked.Separated = %v, want %v", groups[c.a].Name, groups[c.b].Name, c.metric, got, c.separated)
		}
	}
	for a := range groups {
		for b := a + 1; b < len(groups); b++ {
			for _, k := range tracked.EndMetrics {
				sameLoss := seeds[a][0].variant.Config().Loss == seeds[b][0].variant.Config().Loss
				if (k != tracked.GLoss || sameLoss) && !claimed[fmt.Sprintf("%d %d %s", a, b, k)] {
					t.Errorf("no claim about %s vs %s, %s", groups[a].Name, groups[b].Name, k)
				}
			}
		}
	}
	// Seed by seed: in how many seeds a variant's D(G(z)) ended below the baseline's.
	for i := 1; i < len(seeds); i++ {
		numbers[fmt.Sprintf("fakeBelow%d", i)] = func() float64 {
			n := 0
			for s := range seeds[i] {
				if seeds[i][s].tails[tracked.DFake] < seeds[0][s].tails[tracked.DFake] {
					n++
				}
			}
			return float64(n)
		}
	}

	// Where the D(G(z)) bands part: the faster generator above the baseline, then below it to the
	// end; the saturating loss below the baseline for one long stretch.
	fake := tracked.DFake
	lr := tracked.SeparatedSteps(groups[0], groups[1], fake)
	mm := tracked.SeparatedSteps(groups[0], groups[2], fake)
	if len(lr) < 2 || lr[0].Above || !lr[len(lr)-1].Above || lr[len(lr)-1].To != int64(cfg.Steps) {
		t.Errorf("baseline vs lr_g=1e-3, D(G(z)): stretches %v; the tutorial says lr_g=1e-3 first above, then below to the end", lr)
	} else {
		first, last := lr[0], lr[len(lr)-1]
		numbers["lrAboveFrom"] = func() float64 { return float64(first.From) }
		numbers["lrAboveTo"] = func() float64 { return float64(first.To) }
		numbers["lrBelowFrom"] = func() float64 { return float64(last.From) }
		numbers["lrBelowTo"] = func() float64 { return float64(last.To) }
	}
	longest := tracked.Stretch{From: 1, To: 0}
	for _, s := range mm {
		if s.To-s.From > longest.To-longest.From {
			longest = s
		}
	}
	if !longest.Above || longest.To == int64(cfg.Steps) {
		t.Errorf("baseline vs minimax, D(G(z)): longest stretch %v; the tutorial says minimax below, not to the end", longest)
	}
	numbers["mmBelowFrom"] = func() float64 { return float64(longest.From) }
	numbers["mmBelowTo"] = func() float64 { return float64(longest.To) }
	at50 := func(g tracked.SeedGroup) float64 {
		for _, p := range g.Bands[fake] {
			if p.Step == 50 {
				return float64(p.Mean)
			}
		}
		return math.NaN()
	}
	numbers["mmAt50"] = func() float64 { return at50(groups[2]) }
	numbers["baseAt50"] = func() float64 { return at50(groups[0]) }

	checkTutorial(t, tutorial{
		file:    "07-compare-runs.md",
		numbers: numbers,
		figures: map[string]func() (string, error){
			"img/07-losses.svg": func() (string, error) {
				p, err := tracked.LossCurves("One run per setting (seed 1), 300 steps", curves, smoothing)
				if err != nil {
					return "", err
				}
				return plots.SVG(p, 16, 9)
			},
			"img/07-groups.svg":  func() (string, error) { return tracked.GroupsSVG(groups, smoothing) },
			"img/07-samples.svg": func() (string, error) { return tracked.GridsSVG(finals, 200) },
		},
	})
}

// progressAnimation encodes grids with tracked.ProgressGIF, decodes the GIF and checks that
// frame k is grid k pixel for pixel.
func progressAnimation(grids []tracked.Grid) (*gif.GIF, error) {
	b, err := tracked.ProgressGIF(grids)
	if err != nil {
		return nil, err
	}
	anim, err := gif.DecodeAll(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	if len(anim.Image) != len(grids) {
		return anim, fmt.Errorf("the progress GIF has %d frames for %d grids", len(anim.Image), len(grids))
	}
	for k, g := range grids {
		want, err := png.Decode(bytes.NewReader(g.PNG))
		if err != nil {
			return nil, err
		}
		got := anim.Image[k]
		if got.Bounds() != want.Bounds() {
			return anim, fmt.Errorf("frame %d is %v, its grid %v", k, got.Bounds(), want.Bounds())
		}
		for y := want.Bounds().Min.Y; y < want.Bounds().Max.Y; y++ {
			for x := want.Bounds().Min.X; x < want.Bounds().Max.X; x++ {
				if color.GrayModel.Convert(got.At(x, y)) != color.GrayModel.Convert(want.At(x, y)) {
					return anim, fmt.Errorf("frame %d differs from its grid (%s) at (%d, %d)", k, g.Label, x, y)
				}
			}
		}
	}
	return anim, nil
}
