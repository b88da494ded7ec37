package blocks

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

type bnCase struct {
	dims []int // x's dimensions; features are the last
}

func (c bnCase) String() string { return fmt.Sprint(c.dims) }

func (c bnCase) rowsFeatures() (rows, f int) {
	f = c.dims[len(c.dims)-1]
	rows = 1
	for _, d := range c.dims[:len(c.dims)-1] {
		rows *= d
	}
	return rows, f
}

var bnCases = []bnCase{
	{[]int{6, 3}},       // BatchNorm1d-like
	{[]int{2, 3, 4, 2}}, // NHWC, BatchNorm2d-like
	{[]int{3, 2, 2, 5}},
}

// presetBatchNorm creates the BatchNorm variables under scope with the given
// values (gamma, beta, running mean, running var), so tests control them.
func presetBatchNorm(t *testing.T, store *model.Store, scope string, gamma, beta, mean, variance []float64) {
	t.Helper()
	f := len(gamma)
	for name, v := range map[string][]float64{"gamma": gamma, "beta": beta, "running_mean": mean, "running_var": variance} {
		if _, err := store.CreateVariable(scope+"/"+name, tensor64(v, f)); err != nil {
			t.Fatal(err)
		}
	}
}

func positive(rng *rand.Rand, n int) []float64 {
	d := randData(rng, n)
	for i := range d {
		d[i] = 0.5 + math.Abs(d[i])
	}
	return d
}

func TestBatchNormTrainingMatchesReference(t *testing.T) {
	eachBackend(t, testBatchNormTrainingMatchesReference)
}

func testBatchNormTrainingMatchesReference(t *testing.T) {
	for _, c := range bnCases {
		for _, opt := range []struct {
			name     string
			opts     []BatchNormOption
			mom, eps float64
		}{
			{"defaults", nil, 0.1, 1e-5},
			{"momentum0.3_eps1e-2", []BatchNormOption{BatchNormMomentum(0.3), BatchNormEpsilon(1e-2)}, 0.3, 1e-2},
		} {
			t.Run(c.String()+"_"+opt.name, func(t *testing.T) {
				rows, f := c.rowsFeatures()
				rng := rand.New(rand.NewPCG(8, uint64(rows)))
				gamma, beta := randData(rng, f), randData(rng, f)
				mean0, var0 := randData(rng, f), positive(rng, f)
				store := newTestStore()
				presetBatchNorm(t, store, "/bn", gamma, beta, mean0, var0)
				exec := model.MustNewExec(backend, store, func(s *model.Scope, x *graph.Node) *graph.Node {
					return BatchNorm(s.At("bn"), x, true, opt.opts...)
				})
				runMean, runVar := append([]float64(nil), mean0...), append([]float64(nil), var0...)
				for step := range 2 { // the second step checks the updates chain
					x := randData(rng, rows*f)
					got := flat64(exec.MustCall(tensor64(x, c.dims...))[0])
					want, bm, bv := refBatchNormTrain(x, rows, f, gamma, beta, opt.eps)
					if d, at := maxRelDiff(got, want); d > 1e-12 {
						t.Errorf("step %d: output differs from reference by %.3g at %d", step, d, at)
					}
					for j := range f {
						runMean[j] = (1-opt.mom)*runMean[j] + opt.mom*bm[j]
						runVar[j] = (1-opt.mom)*runVar[j] + opt.mom*bv[j]
					}
					checkVar(t, store, "/bn/running_mean", runMean)
					checkVar(t, store, "/bn/running_var", runVar)
				}
				checkVar(t, store, "/bn/gamma", gamma)
				checkVar(t, store, "/bn/beta", beta)
			})
		}
	}
}

func checkVar(t *testing.T, store *model.Store, path string, want []float64) {
	t.Helper()
	v := store.GetVariable(path)
	if v == nil {
		t.Fatalf("no variable %s", path)
	}
	if d, at := maxRelDiff(flat64(v.MustValue()), want); d > 1e-12 {
		t.Errorf("%s differs from expected by %.3g at %d (got %v want %v)", path, d, at, flat64(v.MustValue()), want)
	}
}

// TestBatchNormTwiceInOneGraph: the discriminator applied to the real and then
// the fake batch in one graph normalises each with its own statistics and
// updates the running averages twice, real first (PyTorch's order).
func TestBatchNormTwiceInOneGraph(t *testing.T) {
	const rows, f = 4, 3
	rng := rand.New(rand.NewPCG(9, 1))
	gamma, beta := randData(rng, f), randData(rng, f)
	ones, zeros := []float64{1, 1, 1}, []float64{0, 0, 0}
	xReal, xFake := randData(rng, rows*f), randData(rng, rows*f)
	for _, frozen := range []bool{false, true} {
		t.Run(fmt.Sprintf("frozen=%v", frozen), func(t *testing.T) {
			store := newTestStore()
			presetBatchNorm(t, store, "/bn", gamma, beta, zeros, ones)
			var opts []BatchNormOption
			if frozen {
				opts = append(opts, BatchNormFrozenStats())
			}
			exec := model.MustNewExec(backend, store, func(s *model.Scope, a, b *graph.Node) (*graph.Node, *graph.Node) {
				return BatchNorm(s.At("bn"), a, true, opts...), BatchNorm(s.At("bn"), b, true, opts...)
			})
			out := exec.MustCall(tensor64(xReal, rows, f), tensor64(xFake, rows, f))
			wantReal, mReal, vReal := refBatchNormTrain(xReal, rows, f, gamma, beta, 1e-5)
			wantFake, mFake, vFake := refBatchNormTrain(xFake, rows, f, gamma, beta, 1e-5)
			if d, _ := maxRelDiff(flat64(out[0]), wantReal); d > 1e-12 {
				t.Errorf("real batch output differs from reference by %.3g", d)
			}
			if d, _ := maxRelDiff(flat64(out[1]), wantFake); d > 1e-12 {
				t.Errorf("fake batch output differs from reference by %.3g", d)
			}
			wantMean, wantVar := zeros, ones
			if !frozen {
				wantMean, wantVar = make([]float64, f), make([]float64, f)
				for j := range f {
					wantMean[j] = 0.9*(0.9*0+0.1*mReal[j]) + 0.1*mFake[j]
					wantVar[j] = 0.9*(0.9*1+0.1*vReal[j]) + 0.1*vFake[j]
				}
			}
			checkVar(t, store, "/bn/running_mean", wantMean)
			checkVar(t, store, "/bn/running_var", wantVar)
		})
	}
}

func TestBatchNormInferenceMatchesReference(t *testing.T) {
	eachBackend(t, testBatchNormInferenceMatchesReference)
}

func testBatchNormInferenceMatchesReference(t *testing.T) {
	for _, c := range bnCases {
		t.Run(c.String(), func(t *testing.T) {
			rows, f := c.rowsFeatures()
			rng := rand.New(rand.NewPCG(10, uint64(rows)))
			gamma, beta, mean, variance := randData(rng, f), randData(rng, f), randData(rng, f), positive(rng, f)
			store := newTestStore()
			presetBatchNorm(t, store, "/bn", gamma, beta, mean, variance)
			exec := model.MustNewExec(backend, store, func(s *model.Scope, x *graph.Node) *graph.Node {
				return BatchNorm(s.At("bn"), x, false)
			})
			x := randData(rng, rows*f)
			got := flat64(exec.MustCall(tensor64(x, c.dims...))[0])
			if d, at := maxRelDiff(got, refBatchNormInfer(x, rows, f, gamma, beta, mean, variance, 1e-5)); d > 1e-12 {
				t.Errorf("output differs from reference by %.3g at %d", d, at)
			}
			checkVar(t, store, "/bn/running_mean", mean)
			checkVar(t, store, "/bn/running_var", variance)
		})
	}
}

// TestBatchNormInitialValues: gamma 1, beta 0, running mean 0, var 1 by
// default; gamma ~ N(1, 0.02) under InitDCGAN.
func TestBatchNormInitialValues(t *testing.T) {
	for _, init := range []Init{InitPyTorch, InitDCGAN} {
		t.Run(string(init), func(t *testing.T) {
			store := newTestStore()
			SetInit(store.RootScope(), init)
			exec := model.MustNewExec(backend, store, func(s *model.Scope, x *graph.Node) *graph.Node {
				return BatchNorm(s.At("bn"), x, false)
			})
			exec.MustCall(tensors.FromShape(shapeF32(2, 400)))
			gamma := toF64(store.GetVariable("/bn/gamma").MustValue())
			mean, std := meanStd(gamma)
			switch init {
			case InitPyTorch:
				checkVar32(t, store, "/bn/gamma", 1)
			case InitDCGAN:
				if math.Abs(mean-1) > 0.005 || math.Abs(std-0.02) > 0.004 {
					t.Errorf("gamma mean %.4f std %.4f, want ≈ 1 and 0.02", mean, std)
				}
			}
			checkVar32(t, store, "/bn/beta", 0)
			checkVar32(t, store, "/bn/running_mean", 0)
			checkVar32(t, store, "/bn/running_var", 1)
		})
	}
}

func checkVar32(t *testing.T, store *model.Store, path string, want float64) {
	t.Helper()
	for i, v := range toF64(store.GetVariable(path).MustValue()) {
		if v != want {
			t.Fatalf("%s[%d] = %g, want %g", path, i, v, want)
		}
	}
}

func meanStd(d []float64) (mean, std float64) {
	for _, v := range d {
		mean += v
	}
	mean /= float64(len(d))
	for _, v := range d {
		std += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(std / float64(len(d)))
}

// bnBuild returns a graph builder applying BatchNorm (or, for the control,
// a batch norm whose statistics are cut from the gradient, as GoMLX's) with
// non-trivial gamma and beta.
func bnBuild(f int, training, cutStats bool) func(s *model.Scope, in []*graph.Node) *graph.Node {
	rng := rand.New(rand.NewPCG(11, uint64(f)))
	gamma, beta := randData(rng, f), randData(rng, f)
	return func(s *model.Scope, in []*graph.Node) *graph.Node {
		dt := in[0].DType()
		gv := s.VariableWithValue("gamma", tensorAs(dt, gamma, f))
		bv := s.VariableWithValue("beta", tensorAs(dt, beta, f))
		if !cutStats {
			return BatchNorm(s, in[0], training)
		}
		x := in[0]
		axes := make([]int, x.Rank()-1)
		for i := range axes {
			axes[i] = i
		}
		bdims := make([]int, x.Rank())
		for i := range bdims {
			bdims[i] = 1
		}
		bdims[x.Rank()-1] = f
		mean := graph.StopGradient(graph.ReduceAndKeep(x, graph.ReduceMean, axes...))
		variance := graph.StopGradient(graph.ReduceAndKeep(graph.Square(graph.Sub(x, mean)), graph.ReduceMean, axes...))
		g, b := gv.NodeValue(x.Graph()), bv.NodeValue(x.Graph())
		y := graph.Div(graph.Sub(x, mean), graph.Sqrt(graph.AddScalar(variance, 1e-5)))
		return graph.Add(graph.Mul(y, graph.Reshape(g, bdims...)), graph.Reshape(b, bdims...))
	}
}

func TestBatchNormGradientsMatchFiniteDifferences(t *testing.T) {
	eachBackend(t, testBatchNormGradientsMatchFiniteDifferences)
}

func testBatchNormGradientsMatchFiniteDifferences(t *testing.T) {
	for _, c := range bnCases {
		for _, training := range []bool{true, false} {
			t.Run(fmt.Sprintf("%v_training=%v", c, training), func(t *testing.T) {
				rows, f := c.rowsFeatures()
				rng := rand.New(rand.NewPCG(12, uint64(rows)))
				x := tensor64(randData(rng, rows*f), c.dims...)
				rep := fdCheck(t, bnBuild(f, training, false), []*tensors.Tensor{x}, fdStep, fdTol)
				requireGradients(t, rep, fdTol)
				if want := rows*f + 2*f; rep.checked != want { // x, gamma, beta; not the running stats
					t.Errorf("checked %d values, want %d", rep.checked, want)
				}
			})
		}
	}
}

// TestBatchNormFDCheckSeesBatchStatistics: the FD test above would fail for a
// batch norm whose statistics are cut from the gradient (GoMLX's graph path),
// so it does test the batch-statistics terms.
func TestBatchNormFDCheckSeesBatchStatistics(t *testing.T) {
	c := bnCases[1]
	rows, f := c.rowsFeatures()
	rng := rand.New(rand.NewPCG(12, uint64(rows)))
	x := tensor64(randData(rng, rows*f), c.dims...)
	rep := fdCheck(t, bnBuild(f, true, true), []*tensors.Tensor{x}, fdStep, fdTol)
	if len(rep.failures) == 0 || !strings.HasPrefix(rep.failures[0], "input0[") {
		t.Errorf("FD check accepted a batch norm with cut statistics (worst %.3g)", rep.worst)
	}
}

func TestBatchNormFloat32GradientsMatchFloat64(t *testing.T) {
	for _, dims := range [][]int{{64, 6272 / 64}, {16, 7, 7, 8}} {
		for _, training := range []bool{true, false} {
			t.Run(fmt.Sprintf("%v_training=%v", dims, training), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(13, uint64(dims[0])))
				n := 1
				for _, d := range dims {
					n *= d
				}
				x := tensor64(randData(rng, n), dims...)
				checkFloat32Gradients(t, bnBuild(dims[len(dims)-1], training, false), []*tensors.Tensor{x}, 1e-4)
			})
		}
	}
}
