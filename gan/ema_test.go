package gan

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/ganbook/ganbook/internal/backendtest"
)

// floatVariables copies every float32 variable under prefix, keyed by path.
func floatVariables(t *testing.T, store *model.Store, prefix string) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	for v := range store.IterVariables() {
		if !strings.HasPrefix(v.Path(), prefix+"/") {
			continue
		}
		value, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		flat, err := tensors.CopyFlatData[float32](value)
		if err != nil {
			t.Fatal(err)
		}
		out[v.Path()] = flat
	}
	return out
}

// The averages follow avg ← d·avg + (1−d)·p after each step, d =
// min(decay, (t−1)/t), recomputed here in float64 from the raw weights read
// after every step, for every variable of G, batch norm's running statistics
// included: on every backend (XLA updates them in the graph) and with the
// go backend's in-graph update.
func TestMovingAverageFollowsTheWeights(t *testing.T) {
	for _, modelName := range []string{ModelMLP, ModelDCGAN, ModelCDCGAN} {
		t.Run(modelName, func(t *testing.T) {
			backendtest.Run(t, func(t *testing.T, b compute.Backend) { checkMovingAverage(t, b, modelName, false) })
		})
	}
	t.Run("dcgan-in-graph", func(t *testing.T) { checkMovingAverage(t, testBackend(t), ModelDCGAN, true) })
}

func checkMovingAverage(t *testing.T, backend compute.Backend, modelName string, inGraph bool) {
	const decay, steps = 0.6, 5
	cfg := smallConfig()
	cfg.Model, cfg.EMA = modelName, decay
	var source BatchSource = newSyntheticSource(64, cfg.Batch, 7)
	if modelName == ModelCDCGAN {
		source = labeledSource{newSyntheticSource(64, cfg.Batch, 7)}
	}
	tr, err := NewTrainer(backend, cfg, source, steps, Options{adamInGraph: inGraph})
	if err != nil {
		t.Fatal(err)
	}
	if want := backend.HasSharedBuffers() && !inGraph; tr.emaG.onHost != want {
		t.Fatalf("moving average onHost = %v, want %v", tr.emaG.onHost, want)
	}
	want := map[string][]float64{}
	for step := 1; step <= steps; step++ {
		if _, err := tr.TrainStep(); err != nil {
			t.Fatal(err)
		}
		d := decay
		if step == 1 {
			d = 0 // the first average is the first weights
		} else if float64(step-1)/float64(step) < decay {
			d = float64(step-1) / float64(step)
		}
		for path, p := range floatVariables(t, tr.Store(), GeneratorScope) {
			avg, ok := want[path]
			if !ok {
				avg = make([]float64, len(p))
				want[path] = avg
			}
			for i, x := range p {
				avg[i] = d*avg[i] + (1-d)*float64(x)
			}
		}
	}
	got := floatVariables(t, tr.Store(), GeneratorEMAScope)
	if len(got) != len(want) || len(want) == 0 {
		t.Fatalf("%d averages for %d generator variables", len(got), len(want))
	}
	runningStats := 0
	for path, w := range want {
		g := got[EMAScope+path]
		if len(g) != len(w) {
			t.Fatalf("%s: average of %d values, want %d", path, len(g), len(w))
		}
		for i := range w {
			if math.Abs(float64(g[i])-w[i]) > 1e-6*(1+math.Abs(w[i])) {
				t.Fatalf("%s[%d]: average %g, want %g", path, i, g[i], w[i])
			}
		}
		if strings.HasSuffix(path, "running_mean") || strings.HasSuffix(path, "running_var") {
			runningStats++
		}
	}
	if hasBatchNorm := modelName != ModelMLP; hasBatchNorm && runningStats == 0 {
		t.Error("no batch norm running statistic is averaged")
	}
	// The averaged generator is G's architecture on the averaged weights:
	// copy them over a second store's raw weights and draw from both.
	z := LatentVectors(3, 4, cfg.LatentDim)
	fromTrainer, err := tr.Generate(z)
	if err != nil {
		t.Fatal(err)
	}
	store := model.NewStore()
	for path, avg := range got {
		raw := strings.TrimPrefix(path, EMAScope)
		dims := tr.Store().GetVariable(raw).Shape().Dimensions
		if _, err := store.CreateVariable(raw, tensors.FromFlatDataAndDimensions(avg, dims...)); err != nil {
			t.Fatal(err)
		}
	}
	plain := cfg
	plain.EMA = 0
	g, err := NewGenerator(backend, plain, store, steps)
	if err != nil {
		t.Fatal(err)
	}
	fromAverages, err := g.Generate(z)
	if err != nil {
		t.Fatal(err)
	}
	if !slicesEqual(fromTrainer, fromAverages) {
		t.Error("the trainer's samples are not those of G on the averaged weights")
	}
	raw, err := tr.generate.Call(tr.generateInputs(tensors.FromFlatDataAndDimensions(z, 4, cfg.LatentDim))...)
	if err != nil {
		t.Fatal(err)
	}
	rawPixels, err := tensors.CopyFlatData[float32](raw[0])
	if err != nil {
		t.Fatal(err)
	}
	if slicesEqual(rawPixels, fromTrainer) {
		t.Error("the averaged and the raw generator draw the same images: the comparison proves nothing")
	}
}

// A run trained without --ema has no averages: asking for them is an error,
// not a freshly initialised generator.
func TestMovingAverageMissingIsAnError(t *testing.T) {
	cfg := smallConfig()
	cfg.Steps = 2
	dir := t.TempDir()
	backend := testBackend(t)
	tr, err := NewTrainer(backend, cfg, newSyntheticSource(16, cfg.Batch, 1), cfg.Steps, Options{OutDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Run(context.Background(), RunOptions{}); err != nil {
		t.Fatal(err)
	}
	withEMA := cfg
	withEMA.EMA = 0.99
	c, err := FindCheckpoint(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadGenerator(backend, withEMA, c); err == nil || !strings.Contains(err.Error(), "moving average") {
		t.Errorf("LoadGenerator with ema of a run without: %v, want an error naming the moving average", err)
	}
	_, err = NewTrainer(backend, withEMA, newSyntheticSource(16, cfg.Batch, 1), cfg.Steps, Options{OutDir: dir, Resume: true})
	if err == nil || !strings.Contains(err.Error(), "moving average") {
		t.Errorf("resuming with ema a run without: %v, want an error naming the moving average", err)
	}
	if errors.Is(err, ErrNoCheckpoint) {
		t.Errorf("resuming with ema: %v is not a missing checkpoint", err)
	}
}
