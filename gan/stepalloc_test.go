package gan

import (
	"runtime"
	"testing"
)

// A training step on the go backend reuses what it can: its inputs are
// written into buffers the graphs read in place, and the gradients it
// finalizes go back to the backend's pool (the compute patch), so a step
// allocates far less than its inputs and gradients take (the MLP at batch
// 128: a 401 KB real batch, two 51 KB latent batches, 4.6 MB of gradients).
func TestTrainStepAllocatesLittle(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Model, cfg.Batch, cfg.Steps, cfg.DropoutD = ModelMLP, 128, 100, 0
	backend := newGoBackend(t)
	tr, err := NewTrainer(backend, cfg, newSyntheticSource(4*cfg.Batch, cfg.Batch, 1), cfg.Steps, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := tr.TrainStep(); err != nil {
			t.Fatal(err)
		}
	}
	const steps = 30
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range steps {
		if _, err := tr.TrainStep(); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	perStep := float64(after.TotalAlloc-before.TotalAlloc) / steps
	t.Logf("%.0f KB allocated per step", perStep/1024)
	inputs := (cfg.Batch*ImageSize*ImageSize + 2*cfg.Batch*cfg.LatentDim) * 4 // float32s: 492 KB
	if perStep > float64(inputs) {
		t.Errorf("a step allocated %.0f KB, more than its inputs take (%d KB)", perStep/1024, inputs/1024)
	}
}
