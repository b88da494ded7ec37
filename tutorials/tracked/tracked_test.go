package tracked

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"gonum.org/v1/plot/plotter"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/gan/data"
	"github.com/ganbook/ganbook/tracker"
	_ "github.com/ganbook/ganbook/tracker/sqlite"
)

// The notebooks record gan.Config.Params, as `ganbook train` does; the
// tracker must render them as the CLI's runs show them.
func TestParams(t *testing.T) {
	cfg := gan.DefaultConfig()
	cfg.LRG = 1e-3
	p := cfg.Params()
	tests := []struct {
		key  string
		want string
	}{
		{"model", "mlp"}, {"loss", "nonsaturating"}, {"lr_g", "0.001"}, {"lr_d", "0.0002"},
		{"batch", "128"}, {"steps", "12500"}, {"epochs", "0"}, {"real_label", "0.9"}, {"dropout_d", "0.3"}, {"seed", "1"},
	}
	for _, tt := range tests {
		v, ok := p[tt.key]
		if !ok {
			t.Errorf("no param %q", tt.key)
			continue
		}
		if got := tracker.FormatParam(v); got != tt.want {
			t.Errorf("%s = %s, want %s", tt.key, got, tt.want)
		}
	}
	// Every JSON field of the Config is a parameter.
	b, _ := json.Marshal(cfg)
	var fields map[string]any
	_ = json.Unmarshal(b, &fields)
	for k := range fields {
		if _, ok := p[k]; !ok {
			t.Errorf("config field %q missing from the params", k)
		}
	}
}

func TestMovingAverage(t *testing.T) {
	xy := plotter.XYs{{X: 1, Y: 2}, {X: 2, Y: 4}, {X: 3, Y: 6}, {X: 4, Y: 0}}
	tests := []struct {
		window int
		want   []float64
	}{
		{1, []float64{2, 4, 6, 0}},
		{2, []float64{2, 3, 5, 3}},
		{3, []float64{2, 3, 4, 10.0 / 3}},
		{10, []float64{2, 3, 4, 3}},
	}
	for _, tt := range tests {
		got := MovingAverage(xy, tt.window)
		for i, w := range tt.want {
			if math.Abs(got[i].Y-w) > 1e-12 || got[i].X != xy[i].X {
				t.Errorf("window %d: got %v, want Ys %v", tt.window, got, tt.want)
				break
			}
		}
	}
}

func TestDifferingParams(t *testing.T) {
	runs := []tracker.RunInfo{
		{ID: "aaaaaaaa11", Name: "base", Params: map[string]string{"lr_g": "0.0002", "batch": "64", "loss": "nonsaturating"}},
		{ID: "bbbbbbbb22", Name: "", Params: map[string]string{"lr_g": "0.001", "batch": "64"}},
	}
	header, rows := DifferingParams(tracker.Compare(runs))
	if strings.Join(header, ",") != "parameter,base,bbbbbbbb" {
		t.Errorf("header %v", header)
	}
	got := map[string]string{}
	for _, r := range rows {
		got[r[0]] = strings.Join(r[1:], ",")
	}
	want := map[string]string{"lr_g": "0.0002,0.001", "loss": "nonsaturating,—"}
	if len(got) != len(want) {
		t.Errorf("rows %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("row %s = %q, want %q", k, got[k], v)
		}
	}
}

func TestGridsSVGAndHTML(t *testing.T) {
	png, err := gan.GridPNG(make([]float32, 4*28*28), 2, 28, 0, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	svg, err := GridsSVG([]Grid{{"lr_g <1e-3>", png}, {"b", png}}, 100)
	if err != nil {
		t.Fatal(err)
	}
	// A 2×2 grid of 28-pixel images with 2-pixel borders is 62 pixels square.
	for _, want := range []string{`width="212"`, `height="122"`, "lr_g &lt;1e-3&gt;", "data:image/png;base64,"} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if _, err := GridsSVG([]Grid{{"bad", []byte("not a png")}}, 100); err == nil {
		t.Error("GridsSVG accepted bytes that are not a PNG")
	}
	if h := GridsHTML([]Grid{{"x & y", png}}); !strings.Contains(h, "<img") || !strings.Contains(h, "x &amp; y") {
		t.Errorf("GridsHTML = %.200q", h)
	}
}

// tinyTraining opens a tracker in a temporary directory (closed with the
// test), the backend and MNIST, and a default config cut to steps of batch 8.
func tinyTraining(t *testing.T, steps, sampleEvery int) (*tracker.Store, compute.Backend, gan.Config, *data.Dataset) {
	t.Helper()
	store, err := tracker.Open(filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	backend, err := gan.NewBackend(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg := gan.DefaultConfig()
	cfg.Steps, cfg.Batch, cfg.SampleEvery, cfg.SampleGrid = steps, 8, sampleEvery, 2
	ds, err := gan.LoadTrainingSet(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	return store, backend, cfg, ds
}

func TestTrainRecordsTheRun(t *testing.T) {
	ctx := context.Background()
	store, backend, cfg, ds := tinyTraining(t, 4, 2)
	var seen []gan.StepMetrics
	var sampled []int
	res, err := Train(ctx, backend, store, cfg, ds, Spec{
		Name: "tiny", Tags: map[string]string{"k": "v"},
		OnStep:   func(m gan.StepMetrics) { seen = append(seen, m) },
		OnSample: func(step int, _ []byte) { sampled = append(sampled, step) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 4 || res.Last.Step != 4 || len(res.Samples) == 0 {
		t.Fatalf("saw %d steps, last %d, %d sample bytes", len(seen), res.Last.Step, len(res.Samples))
	}
	if len(sampled) != 2 || sampled[0] != 2 || sampled[1] != 4 {
		t.Errorf("samples at %v, want [2 4]", sampled)
	}
	info, err := store.Run(ctx, res.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if info.Status != tracker.StatusFinished || info.Experiment != "notebooks" || info.Name != "tiny" || info.Tags["k"] != "v" || info.Tags[ConfigTagKey] != ConfigTag(cfg) || info.Params["steps"] != "4" {
		t.Errorf("run %+v", info)
	}
	curves, err := CurvesFromTracker(ctx, store, res.RunID, "tiny")
	if err != nil {
		t.Fatal(err)
	}
	fromSteps := CurvesFromSteps("tiny", seen)
	if len(curves.D) != 4 || len(curves.G) != 4 {
		t.Fatalf("tracker holds %d D and %d G points, want 4", len(curves.D), len(curves.G))
	}
	for i := range curves.D {
		if curves.D[i] != fromSteps.D[i] || curves.G[i] != fromSteps.G[i] {
			t.Errorf("point %d: tracker %v/%v, trainer %v/%v", i, curves.D[i], curves.G[i], fromSteps.D[i], fromSteps.G[i])
		}
	}
	images, err := store.Images(ctx, res.RunID)
	if err != nil || len(images) != 2 || images[1].Key != SamplesKey || images[1].Step != 4 {
		t.Errorf("images %v, %v", images, err)
	}
	p, err := LossCurves("losses", []Curves{curves}, 2)
	if err != nil || p == nil {
		t.Errorf("LossCurves: %v", err)
	}
}

func TestTailMean(t *testing.T) {
	xy := plotter.XYs{{X: 1, Y: 1}, {X: 2, Y: 2}, {X: 3, Y: 6}}
	tests := []struct {
		n    int
		want float64
	}{{1, 6}, {2, 4}, {3, 3}, {10, 3}}
	for _, tt := range tests {
		if got := TailMean(xy, tt.n); got != tt.want {
			t.Errorf("TailMean(%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
}

func TestVariantsAndConfigTags(t *testing.T) {
	seen := map[string]string{}
	for _, v := range Variants() {
		cfg := v.Config()
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s: %v", v.Name, err)
		}
		tag := ConfigTag(cfg)
		if len(tag) != 12 || tag != ConfigTag(v.Config()) {
			t.Errorf("%s: tag %q is not 12 stable hex digits", v.Name, tag)
		}
		if other, dup := seen[tag]; dup {
			t.Errorf("%s and %s share the tag %s", v.Name, other, tag)
		}
		seen[tag] = v.Name
	}
	if len(seen) != 3 || ConfigTag(Variants()[0].Config()) != ConfigTag(NotebookConfig()) {
		t.Errorf("variants %v; the baseline must be NotebookConfig itself", seen)
	}
	if !strings.HasSuffix(DBPath(), "ganbook-notebooks.db") {
		t.Errorf("DBPath = %s", DBPath())
	}
}

func TestTrainCancelledIsKilled(t *testing.T) {
	store, backend, cfg, ds := tinyTraining(t, 10, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := Train(ctx, backend, store, cfg, ds, Spec{OnStep: func(m gan.StepMetrics) {
		if m.Step == 2 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	info, err := store.Run(context.Background(), res.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if info.Status != tracker.StatusKilled || info.Metrics[DLoss].Count != 2 {
		t.Errorf("status %s with %d points, want KILLED with 2", info.Status, info.Metrics[DLoss].Count)
	}
}
