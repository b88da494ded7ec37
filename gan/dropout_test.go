package gan

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph ops read as math.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// dropout zeroes about rate of the values, scales the kept ones by
// 1/(1−rate), passes the gradient only through the kept ones, and is the
// identity at rate 0.
func TestDropout(t *testing.T) {
	backend := testBackend(t)
	const n = 20000
	for _, rate := range []float64{0, 0.3, 0.5} {
		store := model.NewStore()
		if err := store.SetRNGStateFromSeed(5); err != nil {
			t.Fatal(err)
		}
		exec, err := model.NewExec(backend, store, func(s *model.Scope, x *Node) []*Node {
			y := dropout(s, x, rate)
			return []*Node{y, Gradient(ReduceAllSum(Mul(y, x)), x)[0]}
		})
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float32, n)
		for i := range x {
			x[i] = 1 + float32(i%7)
		}
		out, err := exec.Call(tensors.FromFlatDataAndDimensions(x, n))
		if err != nil {
			t.Fatal(err)
		}
		y, grad := tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1])
		scale := float32(1 / (1 - rate))
		dropped := 0
		for i := range y {
			switch {
			case y[i] == 0:
				dropped++
				if grad[i] != 0 {
					t.Fatalf("rate %g: dropped value %d has gradient %g", rate, i, grad[i])
				}
			case y[i] != x[i]*scale:
				t.Fatalf("rate %g: kept value %d is %g, want %g·%g", rate, i, y[i], x[i], scale)
			case grad[i] != 2*x[i]*scale: // d/dx of x·mask·x
				t.Fatalf("rate %g: gradient %d is %g, want %g", rate, i, grad[i], 2*x[i]*scale)
			}
		}
		// Binomial(n, rate): 5 standard deviations.
		if got, sd := float64(dropped)/n, math.Sqrt(rate*(1-rate)/n); math.Abs(got-rate) > 5*sd+1e-12 {
			t.Errorf("rate %g: dropped a fraction %.4f", rate, got)
		}
	}
}

// Both discriminators drop units while they train (Training and Frozen:
// PyTorch keeps D in train mode in both steps) and never in inference.
func TestDiscriminatorDropoutByPhase(t *testing.T) {
	for _, arch := range []string{ModelMLP, ModelDCGAN} {
		t.Run(arch, func(t *testing.T) {
			cfg := smallConfig()
			cfg.Model = arch
			testDiscriminatorDropoutByPhase(t, cfg)
		})
	}
}

func testDiscriminatorDropoutByPhase(t *testing.T, cfg Config) {
	if cfg.DropoutD == 0 {
		t.Fatal("the config has no dropout to test")
	}
	tr, err := NewTrainer(testBackend(t), cfg, newSyntheticSource(64, cfg.Batch, 7), cfg.Steps, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.TrainStep(); err != nil {
		t.Fatal(err)
	}
	logits := func(phase Phase) []float32 {
		exec, err := model.NewExec(tr.backend, tr.store, func(s *model.Scope, x *Node) *Node {
			return tr.arch.Discriminator(s.Store().Scope(DiscriminatorScope), x, phase)
		})
		if err != nil {
			t.Fatal(err)
		}
		real := make([]float32, cfg.Batch*ImageSize*ImageSize)
		tr.source.Next(real)
		out, err := exec.Call(tensors.FromFlatDataAndDimensions(real, cfg.Batch, ImageSize, ImageSize, 1))
		if err != nil {
			t.Fatal(err)
		}
		return tensors.MustCopyFlatData[float32](out[0])
	}
	same := func(a, b []float32) bool {
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	// The synthetic source repeats its batches: reset it before each call.
	tr.source.Seek(0, 0)
	inf1 := logits(Inference)
	tr.source.Seek(0, 0)
	inf2 := logits(Inference)
	tr.source.Seek(0, 0)
	train1 := logits(Frozen)
	tr.source.Seek(0, 0)
	train2 := logits(Frozen)
	if !same(inf1, inf2) {
		t.Error("inference logits differ between two calls: dropout in inference?")
	}
	if same(train1, train2) || same(train1, inf1) {
		t.Errorf("with dropout %g the training logits do not vary", cfg.DropoutD)
	}
}
