package gan

import (
	"context"
	"math"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
)

// labeledSource is syntheticSource with a label per example (its index mod 10).
type labeledSource struct{ *syntheticSource }

func (s labeledSource) NextLabeled(images []float32, labels []uint8) {
	start := s.pos
	s.Next(images)
	for b := range labels {
		labels[b] = uint8((start + b) % s.n % NumClasses)
	}
}

func TestConditionalTrainerResumesBitwiseAndDrawsByClass(t *testing.T) {
	for _, arch := range []string{ModelCMLP, ModelCDCGAN} {
		t.Run(arch, func(t *testing.T) {
			cfg := smallConfig()
			cfg.Model = arch
			backend := testBackend(t)
			run := func(dir string, total int, resume bool) (*Trainer, []StepMetrics) {
				tr, err := NewTrainer(backend, cfg, labeledSource{newSyntheticSource(20, cfg.Batch, 3)}, total, Options{OutDir: dir, Resume: resume})
				if err != nil {
					t.Fatal(err)
				}
				var steps []StepMetrics
				if _, err := tr.Run(context.Background(), RunOptions{Hooks: Hooks{OnStep: func(m StepMetrics) { steps = append(steps, m) }}}); err != nil {
					t.Fatal(err)
				}
				return tr, steps
			}
			full, fullSteps := run(t.TempDir(), 6, false)
			dir := t.TempDir()
			run(dir, 3, false)
			resumed, secondHalf := run(dir, 6, true)
			for i, m := range secondHalf {
				if want := fullSteps[3+i]; m != (StepMetrics{Step: want.Step, DLoss: want.DLoss, GLoss: want.GLoss, DReal: want.DReal, DFake: want.DFake, ImagesPerSec: m.ImagesPerSec}) {
					t.Errorf("step %d: resumed %+v, uninterrupted %+v", m.Step, m, want)
				}
			}
			if n := countChanged(variableDigests(t, full.Store(), "/"), variableDigests(t, resumed.Store(), "/")); n != 0 {
				t.Errorf("%d variables differ between the resumed and the uninterrupted run", n)
			}

			// The class reaches G: the same z drawn as class 3 and class 8 differ;
			// a loaded checkpoint draws what the trainer draws.
			z := LatentVectors(1, 2, cfg.LatentDim)
			threes, err := full.GenerateClasses(z, []uint8{3, 3})
			if err != nil {
				t.Fatal(err)
			}
			eights, err := full.GenerateClasses(z, []uint8{8, 8})
			if err != nil {
				t.Fatal(err)
			}
			if slicesEqual(threes, eights) {
				t.Error("classes 3 and 8 draw the same images from the same z")
			}
			c, err := FindCheckpoint(dir, 0)
			if err != nil {
				t.Fatal(err)
			}
			g, err := LoadGenerator(backend, cfg, c)
			if err != nil {
				t.Fatal(err)
			}
			loaded, err := g.GenerateClasses(z, []uint8{3, 3})
			if err != nil {
				t.Fatal(err)
			}
			if g.Classes() != NumClasses || !slicesEqual(loaded, threes) {
				t.Errorf("the loaded generator (%d classes) draws other class-3 images than the trainer", g.Classes())
			}
			// Without a class, the classes come in turn: image i is class i mod 10.
			plain, err := full.Generate(z)
			if err != nil {
				t.Fatal(err)
			}
			zeroOne, err := full.GenerateClasses(z, []uint8{0, 1})
			if err != nil {
				t.Fatal(err)
			}
			if !slicesEqual(plain, zeroOne) {
				t.Error("Generate(z) is not classes 0, 1, … in turn")
			}
			if _, err := full.GenerateClasses(z, []uint8{3, 10}); err == nil || !strings.Contains(err.Error(), "class 10") {
				t.Errorf("class 10 gave %v, want an error naming it", err)
			}
		})
	}
}

func TestConditionalModelNeedsLabels(t *testing.T) {
	cfg := smallConfig()
	cfg.Model = ModelCMLP
	_, err := NewTrainer(testBackend(t), cfg, newSyntheticSource(16, cfg.Batch, 1), 3, Options{})
	if err == nil || !strings.Contains(err.Error(), "labels") {
		t.Errorf("a conditional model with an unlabelled source: %v, want an error about labels", err)
	}
}

// The ops the conditional models add to the graph (concatenation of the
// one-hot class, the projection ⟨e_y, φ(x)⟩) have the gradients central
// finite differences give, in float64.
func TestConditioningOpsGradients(t *testing.T) {
	backend := testBackend(t)
	f := func(x, e, c *Node) *Node {
		proj := ReduceSum(Mul(x, e), 1)
		cat := Concatenate([]*Node{x, c}, 1)
		return Add(ReduceAllSum(Tanh(proj)), ReduceAllSum(Mul(Tanh(cat), Tanh(cat))))
	}
	values := [][]float64{{0.3, -1.2, 0.5, 0.9, -0.4, 0.1}, {0.7, 0.2, -0.6, -1.1, 0.8, 0.3}, {1, 0, 0, 1}}
	dims := [][]int{{2, 3}, {2, 3}, {2, 2}}
	exec := MustNewExec(backend, func(x, e, c *Node) []*Node {
		return append([]*Node{f(x, e, c)}, Gradient(f(x, e, c), x, e, c)...)
	})
	loss := MustNewExec(backend, f)
	reshape := func(v [][]float64) []any {
		out := make([]any, len(v))
		for i := range v {
			m := make([][]float64, dims[i][0])
			for r := range m {
				m[r] = v[i][r*dims[i][1] : (r+1)*dims[i][1]]
			}
			out[i] = m
		}
		return out
	}
	out := exec.MustCall(reshape(values)...)
	const h = 1e-6
	for k := range values {
		grad := out[1+k].Value().([][]float64)
		for i := range values[k] {
			plus, minus := clone2(values), clone2(values)
			plus[k][i] += h
			minus[k][i] -= h
			fd := (scalar(loss.MustCall(reshape(plus)...)[0]) - scalar(loss.MustCall(reshape(minus)...)[0])) / (2 * h)
			got := grad[i/dims[k][1]][i%dims[k][1]]
			if math.Abs(got-fd) > 1e-6 {
				t.Errorf("input %d value %d: gradient %g, finite difference %g", k, i, got, fd)
			}
		}
	}
}

func clone2(v [][]float64) [][]float64 {
	out := make([][]float64, len(v))
	for i := range v {
		out[i] = append([]float64(nil), v[i]...)
	}
	return out
}
