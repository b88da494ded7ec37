package gan

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ganbook/ganbook/internal/backendtest"
	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// The tests named TestBackends… run table-driven over the go backend and XLA
// on CPU (internal/backendtest); the count of those that ran on XLA is printed
// at the end.
func TestMain(m *testing.M) { os.Exit(backendtest.Main(m, "gan")) }

// PyTorch's binary_cross_entropy_with_logits goldens (as TestLossesAgainstPyTorch):
// relative tolerance 1e-12 in float64, 1e-6 in float32, on either backend.
func TestBackendsLosses(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b compute.Backend) {
		tests := []struct {
			name                 string
			real, fake           []float64
			realLabel            float64
			wantD, wantNS, wantM float64
		}{
			{"ordinary smoothed", []float64{1.5, -0.3, 0.7}, []float64{-2.0, 0.4, -0.1}, 0.9, 1.1110981649510778, 1.1281133078388319, -0.56144664117216536},
			{"extreme ±50", []float64{50, -50}, []float64{-50, 50}, 1, 50, 25, -25},
		}
		for _, tc := range tests {
			for _, f32 := range []bool{true, false} {
				exec := MustNewExec(b, func(real, fake *Node) (d, ns, mm *Node) {
					ns, _ = GeneratorLoss(LossNonSaturating, fake)
					mm, _ = GeneratorLoss(LossMinimax, fake)
					return DiscriminatorLoss(real, fake, tc.realLabel), ns, mm
				})
				tol := 1e-12
				realT, fakeT := tensors.FromValue(tc.real), tensors.FromValue(tc.fake)
				if f32 {
					tol = 1e-6
					realT, fakeT = tensors.FromValue(to32(tc.real)), tensors.FromValue(to32(tc.fake))
				}
				out := exec.MustCall(realT, fakeT)
				for i, want := range []float64{tc.wantD, tc.wantNS, tc.wantM} {
					if got := scalar(out[i]); !(math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))) {
						t.Errorf("%s (float32 %v): output %d (D, G nonsaturating, G minimax) = %.17g, want %.17g", tc.name, f32, i, got, want)
					}
				}
			}
		}
		// Gradients at extreme logits: d/dx mean softplus(−x) = −sigmoid(−x)/n, exact to 1e-12.
		fake := []float64{-50, -3, 0, 3, 50}
		grad := MustNewExec(b, func(f *Node) *Node {
			ns, _ := GeneratorLoss(LossNonSaturating, f)
			return Gradient(ns, f)[0]
		}).MustCall(fake)[0].Value().([]float64)
		for i, x := range fake {
			if want := -1 / (1 + math.Exp(x)) / float64(len(fake)); math.Abs(grad[i]-want) > 1e-12 {
				t.Errorf("gradient at logit %g = %g, want %g", x, grad[i], want)
			}
		}
	})
}

func to32(v []float64) []float32 {
	f := make([]float32, len(v))
	for i := range v {
		f[i] = float32(v[i])
	}
	return f
}

// Adam against PyTorch's goldens (adamGolden), within closeFloat32's few
// float32 ulps: on the go backend the host update (shared buffers), on XLA
// the in-graph one (ganbook opens XLA without shared buffers).
func TestBackendsAdam(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b compute.Backend) {
		// The trainer's choice of update for this backend…
		tr, err := NewTrainer(b, smallConfig(), newSyntheticSource(16, smallConfig().Batch, 1), 1, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if wantOnHost := b.Name() != "xla"; tr.adamD.onHost != wantOnHost || tr.adamG.onHost != wantOnHost {
			t.Fatalf("backend %q: Adam on host = %v (D), %v (G), want %v", b.Name(), tr.adamD.onHost, tr.adamG.onHost, wantOnHost)
		}
		// …applied to one variable whose gradients are PyTorch's test gradients.
		for _, tc := range adamGolden {
			store := model.NewStore()
			scope := store.Scope("/net")
			p := scope.VariableWithValue("p", append([]float32(nil), adamGoldenStart...))
			o := &adam{scope: scope, lr: tc.lr, beta1: tc.beta1, beta2: tc.beta2, epsilon: 1e-8,
				onHost: tr.adamD.onHost, workers: runtime.GOMAXPROCS(0), backend: b}
			// loss = Σ p·g has gradient g with respect to p.
			exec, err := model.NewExec(b, store, func(s *model.Scope, g *Node) []*Node {
				loss := ReduceAllSum(Mul(p.NodeValue(g.Graph()), g))
				return o.gradientsGraph(loss)
			})
			if err != nil {
				t.Fatal(err)
			}
			gradScale := make([]float64, len(adamGoldenStart))
			for step, grads := range adamGoldenGrads {
				out, err := exec.Call(tensors.FromValue(grads))
				if err != nil {
					t.Fatal(err)
				}
				if o.onHost {
					if err := o.applyHost(out); err != nil {
						t.Fatal(err)
					}
				}
				for i, g := range grads {
					gradScale[i] = math.Max(gradScale[i], math.Abs(float64(g)))
				}
				want := tc.steps[step]
				for _, s := range []struct {
					name string
					vr   *model.Variable
					want []float32
				}{{"p", p, want.p}, {"m", o.m[0], want.m}, {"v", o.v[0], want.v}} {
					got := tensors.MustCopyFlatData[float32](s.vr.MustValue())
					for i := range got {
						if !closeFloat32(got[i], s.want[i], gradScale[i]) {
							t.Errorf("lr %g β₁ %g step %d: %s[%d] = %.9g, PyTorch %.9g", tc.lr, tc.beta1, step+1, s.name, i, got[i], s.want[i])
						}
					}
				}
			}
		}
	})
}

// Both models from the same checkpoint (written on the go backend after one
// step): XLA's next two steps agree with the go backend's. Dropout is off, so
// the only differences are float32 rounding (seen: a few 1e-7): the first
// resumed step's losses (computed before its update) within 1e-5 relative;
// the second, after an Adam step that rounding can tip where gradients are
// near zero, within 1e-4. The
// checkpoint written on go is what XLA resumes from, so checkpoints also move
// between backends.
func TestBackendsModelsAgree(t *testing.T) {
	for _, arch := range []string{ModelMLP, ModelDCGAN} {
		t.Run(arch, func(t *testing.T) {
			cfg := smallConfig()
			cfg.Model, cfg.DropoutD = arch, 0
			initial := t.TempDir()
			tr, err := NewTrainer(backendtest.Get(t, backendtest.Go), cfg, newSyntheticSource(32, cfg.Batch, 5), 3, Options{OutDir: initial})
			if err != nil {
				t.Fatal(err)
			}
			// Variables come into being with the first step's graphs; the
			// checkpoint after it holds them all, moments and noise state too.
			if _, err := tr.TrainStep(); err != nil {
				t.Fatal(err)
			}
			if err := tr.SaveCheckpoint(); err != nil {
				t.Fatal(err)
			}
			steps := map[string][]StepMetrics{}
			backendtest.Run(t, func(t *testing.T, b compute.Backend) {
				dir := t.TempDir()
				copyDir(t, initial, dir)
				tr, err := NewTrainer(b, cfg, newSyntheticSource(32, cfg.Batch, 5), 3, Options{OutDir: dir, Resume: true})
				if err != nil {
					t.Fatal(err)
				}
				for range 2 {
					m, err := tr.TrainStep()
					if err != nil {
						t.Fatal(err)
					}
					name := t.Name()[strings.LastIndex(t.Name(), "/")+1:]
					steps[name] = append(steps[name], m)
				}
				img, err := tr.Generate(make([]float32, cfg.LatentDim))
				if err != nil || len(img) != ImageSize*ImageSize {
					t.Fatalf("Generate: %d values, %v", len(img), err)
				}
			})
			goSteps, xlaSteps := steps[backendtest.Go], steps[backendtest.XLACPU]
			if len(goSteps) != 2 || len(xlaSteps) != 2 {
				return // a backend skipped or failed: reported above
			}
			for i, tol := range []float64{1e-5, 1e-4} {
				g, x := goSteps[i], xlaSteps[i]
				for _, q := range []struct {
					name      string
					goV, xlaV float64
				}{{"D loss", g.DLoss, x.DLoss}, {"G loss", g.GLoss, x.GLoss}, {"D(x)", g.DReal, x.DReal}, {"D(G(z))", g.DFake, x.DFake}} {
					if d := math.Abs(q.goV-q.xlaV) / math.Max(1e-3, math.Abs(q.goV)); !(d <= tol) {
						t.Errorf("resumed step %d %s: go %.7g, XLA %.7g (relative difference %.2g > %g)", i+1, q.name, q.goV, q.xlaV, d, tol)
					}
				}
				t.Logf("resumed step %d: D loss go %.7g XLA %.7g; G loss go %.7g XLA %.7g", i+1, g.DLoss, x.DLoss, g.GLoss, x.GLoss)
			}
		})
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// On XLA (same backend throughout), a run stopped at step 2 and resumed
// matches an uninterrupted one bitwise: losses and every variable. (The go
// backend's is TestResumeIsBitwiseIdentical; XLA compiles each trainer's
// graphs anew, so this one stays short.)
func TestBackendsResumeIsBitwiseOnXLA(t *testing.T) {
	for _, arch := range []string{ModelMLP, ModelDCGAN} {
		t.Run(arch, func(t *testing.T) {
			t.Run(backendtest.XLACPU, func(t *testing.T) {
				b := backendtest.Get(t, backendtest.XLACPU)
				cfg := smallConfig()
				cfg.Model, cfg.CheckpointEvery = arch, 2
				run := func(dir string, total int, resume bool) (*Trainer, []StepMetrics) {
					tr, err := NewTrainer(b, cfg, newSyntheticSource(20, cfg.Batch, 3), total, Options{OutDir: dir, Resume: resume})
					if err != nil {
						t.Fatal(err)
					}
					var steps []StepMetrics
					if _, err := tr.Run(context.Background(), RunOptions{Hooks: Hooks{OnStep: func(m StepMetrics) { steps = append(steps, m) }}}); err != nil {
						t.Fatal(err)
					}
					return tr, steps
				}
				full, fullSteps := run(t.TempDir(), 4, false)
				dir := t.TempDir()
				_, first := run(dir, 2, false)
				resumed, second := run(dir, 4, true)
				all := append(first, second...)
				if len(all) != 4 || len(fullSteps) != 4 {
					t.Fatalf("%d+%d steps, uninterrupted %d; want 2+2 and 4", len(first), len(second), len(fullSteps))
				}
				for i, m := range all {
					w := fullSteps[i]
					if m.DLoss != w.DLoss || m.GLoss != w.GLoss || m.DReal != w.DReal || m.DFake != w.DFake {
						t.Errorf("step %d: resumed %+v, uninterrupted %+v", m.Step, m, w)
					}
				}
				if fullSteps[3].DLoss == fullSteps[2].DLoss {
					t.Error("losses did not change between steps: the comparison would prove nothing")
				}
				a, c := variableDigests(t, full.Store(), "/"), variableDigests(t, resumed.Store(), "/")
				if len(a) != len(c) || countChanged(a, c) != 0 {
					t.Errorf("resumed variables differ from the uninterrupted run's (%d vs %d variables)", len(a), len(c))
				}
			})
		})
	}
}
