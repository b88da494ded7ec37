package gan

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph ops read as math.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// inHalves must compute the same G→D logits and the same gradients for G's
// weights as the whole batch (up to the summation order of the weight
// gradients), and leave architectures with batch norm alone.
func TestInHalvesMatchesWholeBatch(t *testing.T) {
	cfg := smallConfig()
	cfg.Batch = 16
	cfg.DropoutD = 0 // random masks would differ between the two ways
	tr, err := NewTrainer(testBackend(t), cfg, newSyntheticSource(64, cfg.Batch, 7), cfg.Steps, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.TrainStep(); err != nil { // creates and initialises every variable
		t.Fatal(err)
	}
	arch := tr.arch
	if !arch.BatchIndependent {
		t.Fatal("the MLP should be batch independent")
	}
	run := func(split bool) []*tensors.Tensor {
		exec, err := model.NewExec(tr.backend, tr.store, func(s *model.Scope, z *Node) []*Node {
			store := s.Store()
			gen, disc := store.Scope(GeneratorScope), store.Scope(DiscriminatorScope)
			f := func(z *Node) *Node { return arch.Discriminator(disc, arch.Generator(gen, z, Training), Frozen) }
			var logits *Node
			if split {
				logits = inHalves(arch, z, f)
			} else {
				logits = f(z)
			}
			loss := ReduceAllMean(Square(logits))
			return append([]*Node{logits}, gen.BuildTrainableVariablesGradientsGraph(loss)...)
		})
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Call(tr.drawLatent(tr.latentInput))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	tr.noise = newLatentNoise(3)
	whole := run(false)
	tr.noise = newLatentNoise(3)
	halves := run(true)
	if len(whole) != len(halves) || len(whole) < 2 {
		t.Fatalf("%d outputs whole, %d in halves", len(whole), len(halves))
	}
	for i := range whole {
		a, b := tensors.MustCopyFlatData[float32](whole[i]), tensors.MustCopyFlatData[float32](halves[i])
		var scale float64
		for _, x := range a {
			scale = max(scale, math.Abs(float64(x)))
		}
		for j := range a {
			if d := math.Abs(float64(a[j] - b[j])); d > 1e-5*scale || math.IsNaN(d) {
				t.Fatalf("output %d [%d]: whole batch %g, in halves %g", i, j, a[j], b[j])
			}
		}
	}

	dcgan, err := NewArchitecture(ModelDCGAN)
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	g := NewGraph(tr.backend, "dcgan")
	inHalves(dcgan, Zeros(g, whole[0].Shape()), func(x *Node) *Node { calls++; return x })
	if calls != 1 || dcgan.BatchIndependent {
		t.Errorf("the DCGAN (batch norm) was split: %d calls", calls)
	}
}
