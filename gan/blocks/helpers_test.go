package blocks

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ganbook/ganbook/internal/backendtest"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	_ "github.com/gomlx/compute/gobackend"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// backend is the GoMLX backend all tests run on: $GOMLX_BACKEND when set
// (CI sets "go"), else the pure-Go backend, the only one linked in. A go
// backend without a parallelism option gets parallelism=-1, as gan.NewBackend
// gives it: the layers run several matmuls at once, and GoMLX v0.28.2's
// bounded worker pool deadlocks when more of them are ready than it has
// workers (workerspool.Pool.Saturate waiting on itself).
var backend compute.Backend

func TestMain(m *testing.M) {
	config := os.Getenv(compute.ConfigEnvVar)
	if config == "" {
		config = "go"
	}
	if name, options, _ := strings.Cut(config, ":"); name == "go" && !strings.Contains(options, "parallelism=") {
		if options == "" {
			config = "go:parallelism=-1"
		} else {
			config += ",parallelism=-1"
		}
	}
	var err error
	backend, err = compute.NewWithConfig(config)
	if err != nil {
		fmt.Fprintln(os.Stderr, "blocks tests: no backend:", err)
		os.Exit(1)
	}
	os.Exit(backendtest.Main(m, "gan/blocks"))
}

// eachBackend runs test once on the backend above (subtest "go") and once on
// XLA's CPU plugin (subtest "xla:cpu"; internal/backendtest), with the same
// tolerances: each comparison's own, stated where it is made.
func eachBackend(t *testing.T, test func(t *testing.T)) {
	main := backend
	defer func() { backend = main }()
	for _, name := range backendtest.Names {
		t.Run(name, func(t *testing.T) {
			backend = main
			if name != backendtest.Go {
				backend = backendtest.Get(t, name)
			}
			test(t)
		})
	}
}

// randData returns n values uniform in [-1, 1), avoiding |v| < 0.05 so that
// kinks (ReLU at 0) stay further from the inputs than any finite-difference
// step.
func randData(rng *rand.Rand, n int) []float64 {
	d := make([]float64, n)
	for i := range d {
		v := 2*rng.Float64() - 1
		for math.Abs(v) < 0.05 {
			v = 2*rng.Float64() - 1
		}
		d[i] = v
	}
	return d
}

func tensor64(data []float64, dims ...int) *tensors.Tensor {
	return tensors.FromFlatDataAndDimensions(slices.Clone(data), dims...)
}

func dtypeFor(f32 bool) dtypes.DType {
	if f32 {
		return dtypes.Float32
	}
	return dtypes.Float64
}

// tensorAs makes a float32 or float64 tensor from float64 data.
func tensorAs(dt dtypes.DType, data []float64, dims ...int) *tensors.Tensor {
	if dt == dtypes.Float32 {
		return tensors.FromFlatDataAndDimensions(to32(data), dims...)
	}
	return tensor64(data, dims...)
}

func flat64(t *tensors.Tensor) []float64 { return tensors.MustCopyFlatData[float64](t) }

func flat32(t *tensors.Tensor) []float32 { return tensors.MustCopyFlatData[float32](t) }

func to32(d []float64) []float32 {
	r := make([]float32, len(d))
	for i, v := range d {
		r[i] = float32(v)
	}
	return r
}

// maxRelDiff returns max_i |a_i − b_i| / max(1, |b_i|) and its index.
func maxRelDiff(a, b []float64) (float64, int) {
	if len(a) != len(b) {
		return math.Inf(1), -1
	}
	worst, at := 0.0, -1
	for i := range a {
		d := math.Abs(a[i]-b[i]) / math.Max(1, math.Abs(b[i]))
		if math.IsNaN(d) {
			return math.NaN(), i
		}
		if d > worst || at < 0 {
			worst, at = d, i
		}
	}
	return worst, at
}

// pattern returns fixed pseudo-random weights shaped like y; the scalar
// loss Σ y⊙pattern makes every output element matter with a different weight.
func pattern(y *graph.Node) *graph.Node {
	g := y.Graph()
	// Computed in float64 whatever y's dtype, so float32 and float64 runs
	// weigh the outputs identically.
	idx := graph.IotaFull(g, shapes.Make(dtypes.Float64, y.Shape().Dimensions...))
	return graph.ConvertDType(graph.Sin(graph.AddScalar(graph.MulScalar(idx, 0.7315), 0.3)), y.DType())
}

func patternLoss(y *graph.Node) *graph.Node {
	return graph.ReduceAllSum(graph.Mul(y, pattern(y)))
}

// gradReport is the outcome of a finite-difference check.
type gradReport struct {
	worst    float64  // largest |autodiff − FD| / max(1, |FD|)
	where    string   // which value it was
	checked  int      // number of values compared
	failures []string // values outside tolerance (at most a few)
}

// gradExecs builds, over store, an Exec returning [L, ∂L/∂inputs..., ∂L/∂vars...]
// and one returning L alone, for L = Σ build(scope "/block", inputs)⊙pattern.
// *vars lists the trainable variables used, sorted by path, once gradExec has run.
func gradExecs(store *model.Store, build func(s *model.Scope, in []*graph.Node) *graph.Node) (gradExec, lossExec *model.Exec, vars *[]*model.Variable) {
	vars = new([]*model.Variable)
	gradExec = model.MustNewExec(backend, store, func(s *model.Scope, in []*graph.Node) []*graph.Node {
		loss := patternLoss(build(s.At("block"), in))
		g := loss.Graph()
		*vars = (*vars)[:0]
		for v := range s.IterVariables() {
			if v.Trainable && v.InUseByGraph(g) {
				*vars = append(*vars, v)
			}
		}
		sort.Slice(*vars, func(i, j int) bool { return (*vars)[i].Path() < (*vars)[j].Path() })
		wrt := slices.Clone(in)
		for _, v := range *vars {
			wrt = append(wrt, v.NodeValue(g))
		}
		return append([]*graph.Node{loss}, graph.Gradient(loss, wrt...)...)
	})
	lossExec = model.MustNewExec(backend, store, func(s *model.Scope, in []*graph.Node) *graph.Node {
		return patternLoss(build(s.At("block"), in))
	})
	return gradExec, lossExec, vars
}

func newTestStore() *model.Store {
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(42))
	return store
}

func asArgs(inputs []*tensors.Tensor) []any {
	args := make([]any, len(inputs))
	for i, x := range inputs {
		args[i] = x
	}
	return args
}

// fdCheck compares the autodiff gradient of L = Σ build(scope, inputs)⊙pattern
// w.r.t. every input element and every element of every trainable variable
// under scope with central finite differences (step h) of the same graph, in
// the inputs' dtype (float64 in these tests). Variables are perturbed through
// Variable.SetValue between calls. tol bounds |autodiff − FD| / max(1, |FD|).
func fdCheck(t *testing.T, build func(s *model.Scope, in []*graph.Node) *graph.Node, inputs []*tensors.Tensor, h, tol float64) gradReport {
	t.Helper()
	gradExec, lossExec, varsP := gradExecs(newTestStore(), build)
	args := asArgs(inputs)
	grads := gradExec.MustCall(args...)[1:]
	vars := *varsP
	if len(grads) != len(inputs)+len(vars) {
		t.Fatalf("got %d gradients for %d inputs + %d variables", len(grads), len(inputs), len(vars))
	}
	loss := func() float64 { return tensors.ToScalar[float64](lossExec.MustCall(args...)[0]) }

	var rep gradReport
	compare := func(name string, auto []float64, perturb func(j int, delta float64)) {
		for j := range auto {
			perturb(j, h)
			lp := loss()
			perturb(j, -2*h)
			lm := loss()
			perturb(j, h)
			fd := (lp - lm) / (2 * h)
			d := math.Abs(auto[j]-fd) / math.Max(1, math.Abs(fd))
			rep.checked++
			if d > rep.worst || math.IsNaN(d) {
				rep.worst = d
				rep.where = fmt.Sprintf("%s[%d] autodiff %.9g FD %.9g", name, j, auto[j], fd)
			}
			if (d > tol || math.IsNaN(d)) && len(rep.failures) < 5 {
				rep.failures = append(rep.failures, fmt.Sprintf("%s[%d]: autodiff %.9g, FD %.9g", name, j, auto[j], fd))
			}
		}
	}
	for i := range inputs {
		data := flat64(inputs[i])
		dims := inputs[i].Shape().Dimensions
		compare(fmt.Sprintf("input%d", i), flat64(grads[i]), func(j int, delta float64) {
			data[j] += delta
			args[i] = tensor64(data, dims...)
		})
		args[i] = inputs[i]
	}
	for k, v := range vars {
		data := flat64(v.MustValue())
		dims := v.Shape().Dimensions
		compare(v.Path(), flat64(grads[len(inputs)+k]), func(j int, delta float64) {
			data[j] += delta
			v.MustSetValue(tensor64(data, dims...))
		})
	}
	return rep
}

// autodiffGrads returns the autodiff gradients of L (as in fdCheck) keyed
// "input<i>" and by variable path, computed in float32 or float64 from the
// float64 inputs. Variables listed in values start with those (converted)
// values. It also returns, as float64 tensors, the values of every float
// variable, so a float32 run can reuse a float64 run's parameters.
func autodiffGrads(t *testing.T, f32 bool, build func(s *model.Scope, in []*graph.Node) *graph.Node,
	inputs []*tensors.Tensor, values map[string]*tensors.Tensor) (grads map[string][]float64, vals map[string]*tensors.Tensor) {
	t.Helper()
	store := newTestStore()
	convert := func(x *tensors.Tensor) *tensors.Tensor {
		if !f32 {
			return tensor64(flat64(x), x.Shape().Dimensions...)
		}
		return tensors.FromFlatDataAndDimensions(to32(flat64(x)), x.Shape().Dimensions...)
	}
	for path, v := range values {
		if _, err := store.CreateVariable(path, convert(v)); err != nil {
			t.Fatal(err)
		}
	}
	gradExec, _, varsP := gradExecs(store, build)
	in := make([]*tensors.Tensor, len(inputs))
	for i, x := range inputs {
		in[i] = convert(x)
	}
	out := gradExec.MustCall(asArgs(in)...)[1:]
	// Variables exist (and are initialised) only once the graph is built.
	// A training-mode BatchNorm has updated its running averages by now, but
	// they do not enter its training-mode output.
	vals = map[string]*tensors.Tensor{}
	for v := range store.IterVariables() {
		if v.DType() == dtypes.Float64 || v.DType() == dtypes.Float32 {
			vals[v.Path()] = tensor64(toF64(v.MustValue()), v.Shape().Dimensions...)
		}
	}
	grads = map[string][]float64{}
	for i := range inputs {
		grads[fmt.Sprintf("input%d", i)] = toF64(out[i])
	}
	for k, v := range *varsP {
		grads[v.Path()] = toF64(out[len(inputs)+k])
	}
	return grads, vals
}

// toF64 returns a float32 or float64 tensor's values as float64.
func toF64(x *tensors.Tensor) []float64 {
	if x.DType() == dtypes.Float64 {
		return flat64(x)
	}
	f := flat32(x)
	r := make([]float64, len(f))
	for i, v := range f {
		r[i] = float64(v)
	}
	return r
}

// checkFloat32Gradients compares the float32 autodiff gradients with the
// float64 ones (which the FD tests check), for the same parameters. The go
// backend has dtype-specific kernels (fused dense, matmul), so the float32
// path the GANs train with is exercised explicitly.
// tol bounds |g32 − g64| / max(1, |g64|).
func checkFloat32Gradients(t *testing.T, build func(s *model.Scope, in []*graph.Node) *graph.Node, inputs []*tensors.Tensor, tol float64) {
	t.Helper()
	g64, vals := autodiffGrads(t, false, build, inputs, nil)
	g32, _ := autodiffGrads(t, true, build, inputs, vals)
	if len(g32) != len(g64) || len(g64) == 0 {
		t.Fatalf("float32 run has gradients for %d values, float64 for %d", len(g32), len(g64))
	}
	for name, want := range g64 {
		got, ok := g32[name]
		if !ok {
			t.Errorf("float32 run has no gradient for %s", name)
			continue
		}
		if d, at := maxRelDiff(got, want); d > tol || math.IsNaN(d) {
			t.Errorf("%s: float32 gradient differs from float64 by %.3g at %d (%g vs %g)", name, d, at, got[at], want[at])
		}
	}
}

// requireGradients fails t when rep has values outside tolerance.
func requireGradients(t *testing.T, rep gradReport, tol float64) {
	t.Helper()
	if rep.checked == 0 {
		t.Fatalf("no gradient values were checked")
	}
	t.Logf("%d gradient values checked against FD; worst relative difference %.2g (%s)", rep.checked, rep.worst, rep.where)
	if len(rep.failures) > 0 || rep.worst > tol || math.IsNaN(rep.worst) {
		t.Errorf("gradients disagree with finite differences (tol %g, worst %.3g at %s):\n  %s",
			tol, rep.worst, rep.where, strings.Join(rep.failures, "\n  "))
	}
}

func shapeF32(dims ...int) shapes.Shape { return shapes.Make(dtypes.Float32, dims...) }
