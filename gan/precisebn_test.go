package gan

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/ganbook/ganbook/internal/backendtest"
)

// The DCGAN generator's first batch norm normalises fc(z) = z·W + b. After a
// measurement over two batches of 500 its statistics are, per feature, the
// mean of the two batches' means and of their unbiased variances, recomputed
// here in float64 from the fc layer's weights and the run's measurement
// latents; on every backend.
func TestPreciseBNMeasuresTheBatchStatistics(t *testing.T) {
	backendtest.Run(t, checkPreciseBN)
}

func checkPreciseBN(t *testing.T, backend compute.Backend) {
	cfg := smallConfig()
	cfg.Model, cfg.PreciseBN = ModelDCGAN, 600 // two batches of 500
	tr, err := NewTrainer(backend, cfg, newSyntheticSource(64, cfg.Batch, 7), 2, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := tr.TrainStep(); err != nil {
			t.Fatal(err)
		}
	}
	read := func(store *model.Store, path string) []float32 {
		t.Helper()
		v := store.GetVariable(path)
		if v == nil {
			t.Fatalf("no variable %s", path)
		}
		values, err := tensors.CopyFlatData[float32](v.MustValue())
		if err != nil {
			t.Fatal(err)
		}
		return values
	}
	runningMean, runningVar := read(tr.Store(), "/gen/bn0/running_mean"), read(tr.Store(), "/gen/bn0/running_var")
	if _, err := tr.Generate(LatentVectors(1, 2, cfg.LatentDim)); err != nil {
		t.Fatal(err)
	}
	if tr.samplerGen == nil {
		t.Fatal("the trainer drew without its measuring generator")
	}
	sampling := tr.samplerGen.Store()
	gotMean, gotVar := read(sampling, "/gen/bn0/running_mean"), read(sampling, "/gen/bn0/running_var")
	w, bias := read(sampling, "/gen/fc/weights"), read(sampling, "/gen/fc/biases")
	features, latent := len(bias), cfg.LatentDim
	if len(w) != latent*features || len(gotMean) != features {
		t.Fatalf("fc weights %d, biases %d, statistics %d: not the layout this test assumes", len(w), features, len(gotMean))
	}
	z := PreciseBNLatents(cfg.Seed, 2, latent)
	wantMean, wantVar := make([]float64, features), make([]float64, features)
	for b := range 2 {
		sum, sumSq := make([]float64, features), make([]float64, features)
		for i := range preciseBNBatch {
			zi := z[(b*preciseBNBatch+i)*latent : (b*preciseBNBatch+i+1)*latent]
			for f := range features {
				x := float64(bias[f])
				for k, zk := range zi {
					x += float64(zk) * float64(w[k*features+f])
				}
				sum[f] += x
				sumSq[f] += x * x
			}
		}
		for f := range features {
			mean := sum[f] / preciseBNBatch
			wantMean[f] += mean / 2
			wantVar[f] += (sumSq[f] - preciseBNBatch*mean*mean) / (preciseBNBatch - 1) / 2
		}
	}
	for f := range features {
		if d := math.Abs(float64(gotMean[f]) - wantMean[f]); d > 1e-4*(1+math.Abs(wantMean[f])) {
			t.Fatalf("feature %d: mean %g, want %g", f, gotMean[f], wantMean[f])
		}
		if d := math.Abs(float64(gotVar[f]) - wantVar[f]); d > 1e-4*wantVar[f] {
			t.Fatalf("feature %d: variance %g, want %g", f, gotVar[f], wantVar[f])
		}
	}
	if slices.Equal(gotMean, runningMean) || slices.Equal(gotVar, runningVar) {
		t.Error("the measured statistics are the running averages: the comparison proves nothing")
	}
	if !slices.Equal(read(tr.Store(), "/gen/bn0/running_mean"), runningMean) || !slices.Equal(read(tr.Store(), "/gen/bn0/running_var"), runningVar) {
		t.Error("measuring changed training's running averages")
	}
}

// The measurement changes what the generator draws and nothing of training:
// with sample grids and checkpoints in between, a run with PreciseBN ends
// with every variable of G (running averages included) as one without, and
// draws differently; measuring again at the same step gives the same bits.
func TestPreciseBNLeavesTrainingAlone(t *testing.T) {
	backend := testBackend(t)
	run := func(preciseBN int) *Trainer {
		cfg := smallConfig()
		cfg.Model, cfg.PreciseBN, cfg.SampleEvery = ModelDCGAN, preciseBN, 2
		tr, err := NewTrainer(backend, cfg, newSyntheticSource(64, cfg.Batch, 7), 6, Options{OutDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Run(context.Background(), RunOptions{}); err != nil {
			t.Fatal(err)
		}
		return tr
	}
	plain, precise := run(0), run(500)
	a, b := variableDigests(t, plain.Store(), "/"), variableDigests(t, precise.Store(), "/")
	if len(a) == 0 || len(a) != len(b) || countChanged(a, b) != 0 {
		t.Errorf("the runs with and without PreciseBN end with different variables (%d and %d, %d differ)", len(a), len(b), countChanged(a, b))
	}
	z := LatentVectors(2, 3, plain.Config().LatentDim)
	fromPlain, err := plain.Generate(z)
	if err != nil {
		t.Fatal(err)
	}
	first, err := precise.Generate(z)
	if err != nil {
		t.Fatal(err)
	}
	precise.samplerGen.step = -1 // copy and measure again
	again, err := precise.Generate(z)
	if err != nil {
		t.Fatal(err)
	}
	if !slicesEqual(first, again) {
		t.Error("measuring the statistics twice at the same step draws different images")
	}
	if slicesEqual(first, fromPlain) {
		t.Error("the measured statistics draw the same images as the running averages")
	}
}

// A checkpoint holds the measured statistics even where nothing was drawn
// before it was saved: the generator loaded from it draws what the trainer
// draws at that step.
func TestPreciseBNCheckpointDrawsAsTheRun(t *testing.T) {
	backend := testBackend(t)
	cfg := smallConfig()
	cfg.Model, cfg.PreciseBN = ModelDCGAN, 500
	dir := t.TempDir()
	tr, err := NewTrainer(backend, cfg, newSyntheticSource(64, cfg.Batch, 7), 6, Options{OutDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := tr.TrainStep(); err != nil {
			t.Fatal(err)
		}
	}
	if err := tr.SaveCheckpoint(); err != nil {
		t.Fatal(err)
	}
	z := LatentVectors(4, 3, cfg.LatentDim)
	want, err := tr.Generate(z)
	if err != nil {
		t.Fatal(err)
	}
	c, err := FindCheckpoint(dir, 3)
	if err != nil {
		t.Fatal(err)
	}
	g, err := LoadGenerator(backend, cfg, c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := g.Generate(z)
	if err != nil {
		t.Fatal(err)
	}
	if !slicesEqual(got, want) {
		t.Error("the generator loaded from the checkpoint draws differently from the trainer at the same step")
	}
}
