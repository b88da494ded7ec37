package gan

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ganbook/ganbook/internal/gemm"
	"github.com/ganbook/ganbook/internal/vecmath"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// newGoBackend is NewBackend's go backend, whatever $GOMLX_BACKEND says.
func newGoBackend(t *testing.T) compute.Backend {
	t.Setenv(compute.ConfigEnvVar, "go")
	b, err := NewBackend(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const unpatched = "go.mod no longer replaces github.com/gomlx/compute with third_party/compute"

// The go backend from NewBackend runs float32 products with internal/gemm
// wherever the CPU allows; the results must match GoMLX's own kernels (an
// unpatched backend) up to float32 rounding, for every layout DotGeneral
// normalizes to and for the shapes handed back to GoMLX.
func TestFastMatMulMatchesGoMLXKernels(t *testing.T) {
	fast := newGoBackend(t)
	setter, patched := fast.(matMulKernelSetter)
	if !patched {
		t.Fatal("the go backend has no SetMatMulFloat32: " + unpatched)
	}
	if !gemm.Available {
		t.Log("no AVX-512F: both backends use GoMLX's kernels")
	}
	// Count the products the installed kernel takes (the patch's dispatch).
	var taken, takenInPlace atomic.Int64 // the backend may run products concurrently
	setter.SetMatMulFloat32(func(lhsTransposed, rhsTransposed bool, lhs, rhs []float32, batchSize, m, n, k int, out []float32) bool {
		ok := gemm.Available && gemmMatMul(lhsTransposed, rhsTransposed, lhs, rhs, batchSize, m, n, k, out)
		if ok {
			taken.Add(1)
			if lhsTransposed {
				takenInPlace.Add(1)
			}
		}
		return ok
	})
	stock, err := gobackend.New("")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name                  string
		lhs, rhs              []int
		lhsContract, rhsContr int
		batch, handedBack     bool
	}{
		{"row-major", []int{128, 784}, []int{784, 512}, 1, 0, false, false},
		{"rhs transposed", []int{128, 512}, []int{784, 512}, 1, 1, false, false},
		{"lhs transposed (weight gradient)", []int{128, 784}, []int{128, 512}, 0, 0, false, false},
		{"both transposed", []int{128, 784}, []int{512, 128}, 0, 1, false, false},
		{"lhs transposed, batched", []int{4, 64, 49}, []int{4, 64, 40}, 1, 1, true, false},
		{"lhs transposed, one column (handed back)", []int{128, 256}, []int{128, 1}, 0, 0, false, true},
		{"edges", []int{13, 70}, []int{70, 45}, 1, 0, false, false},
		{"fewer rows than a tile", []int{5, 70}, []int{70, 45}, 1, 0, false, false},
		{"three rows (handed back)", []int{3, 128}, []int{128, 512}, 1, 0, false, true},
		{"one column (handed back)", []int{128, 128}, []int{128, 1}, 1, 0, false, true},
		{"batched", []int{4, 49, 64}, []int{4, 64, 40}, 2, 1, true, false},
	}
	rng := rand.New(rand.NewPCG(3, 4))
	// random returns a function that makes a new tensor (a tensor belongs to
	// one backend) of the same random values at each call.
	random := func(dims []int) func() *tensors.Tensor {
		n := 1
		for _, d := range dims {
			n *= d
		}
		data := make([]float32, n)
		for i := range data {
			data[i] = float32(rng.NormFloat64())
		}
		return func() *tensors.Tensor { return tensors.FromFlatDataAndDimensions(slices.Clone(data), dims...) }
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, b := random(c.lhs), random(c.rhs)
			product := func(x, y *graph.Node) *graph.Node {
				var batchAxes []int
				if c.batch {
					batchAxes = []int{0}
				}
				return graph.DotGeneral(x, []int{c.lhsContract}, batchAxes, y, []int{c.rhsContr}, batchAxes)
			}
			taken.Store(0)
			takenInPlace.Store(0)
			got := graph.MustExecOnce(fast, product, a(), b()).Value()
			if wantTaken := gemm.Available && !c.handedBack; (taken.Load() > 0) != wantTaken {
				t.Errorf("internal/gemm took %d products, want it to take them: %v", taken.Load(), wantTaken)
			}
			// An lhs contracted along its first non-batch axis is read in place, not transposed first.
			lhsTransposed := c.lhsContract == len(c.lhs)-2
			if wantInPlace := gemm.Available && !c.handedBack && lhsTransposed; (takenInPlace.Load() > 0) != wantInPlace {
				t.Errorf("internal/gemm read %d lhs operands transposed in place, want it to: %v", takenInPlace.Load(), wantInPlace)
			}
			want := graph.MustExecOnce(stock, product, a(), b()).Value()
			gotFlat, wantFlat := flat32(got), flat32(want)
			if len(gotFlat) != len(wantFlat) {
				t.Fatalf("%d values, want %d", len(gotFlat), len(wantFlat))
			}
			k := c.lhs[c.lhsContract]
			for i := range wantFlat {
				// Both sum k products of N(0,1) values in float32, in different orders.
				if d := math.Abs(float64(gotFlat[i] - wantFlat[i])); d > 2e-6*float64(k)+1e-5*math.Abs(float64(wantFlat[i])) {
					t.Fatalf("value %d: %v, GoMLX's kernel %v", i, gotFlat[i], wantFlat[i])
				}
			}
		})
	}
}

// flat32 flattens a [][]float32 or [][][]float32 value.
func flat32(v any) []float32 {
	switch v := v.(type) {
	case [][]float32:
		var out []float32
		for _, r := range v {
			out = append(out, r...)
		}
		return out
	case [][][]float32:
		var out []float32
		for _, m := range v {
			out = append(out, flat32(m)...)
		}
		return out
	}
	panic(fmt.Sprintf("flat32: %T", v))
}

// unaryFastAndStock computes op over data on a go backend where set put
// kernel (counting its calls) through its setter S, and on a stock go
// backend, and fails t unless the kernel ran.
func unaryFastAndStock[S any](t *testing.T, set func(S, func(in, out []float32)),
	kernel func(in, out []float32), op func(x *graph.Node) *graph.Node, data []float32) (got, want []float32) {
	t.Helper()
	fast := newGoBackend(t)
	setter, ok := fast.(S)
	if !ok {
		t.Fatalf("the go backend lacks %T's method: %s", (*S)(nil), unpatched)
	}
	var calls atomic.Int64
	set(setter, func(in, out []float32) { calls.Add(1); kernel(in, out) })
	stock, err := gobackend.New("")
	if err != nil {
		t.Fatal(err)
	}
	got = graph.MustExecOnce(fast, op, tensors.FromFlatDataAndDimensions(slices.Clone(data), len(data))).Value().([]float32)
	want = graph.MustExecOnce(stock, op, tensors.FromFlatDataAndDimensions(slices.Clone(data), len(data))).Value().([]float32)
	if calls.Load() == 0 {
		t.Fatal("the installed kernel was not called")
	}
	return got, want
}

// The sigmoid installed by NewBackend must agree with GoMLX's (float64
// math.Exp) within 3 ulps, and actually be the one that runs.
func TestFastSigmoidMatchesGoMLX(t *testing.T) {
	data := make([]float32, 1000)
	for i := range data {
		data[i] = float32(i-500) / 20 // [-25, 25)
	}
	got, want := unaryFastAndStock(t, logisticKernelSetter.SetLogisticFloat32, vecmath.Sigmoid, graph.Logistic, data)
	for i := range want {
		d := int64(math.Float32bits(got[i])) - int64(math.Float32bits(want[i]))
		if d < -3 || d > 3 {
			t.Fatalf("sigmoid(%v) = %v, GoMLX %v: %d ulps apart", data[i], got[i], want[i], d)
		}
	}
}

// The Sign installed by NewBackend gives GoMLX's bits (+0 for ±0 and NaN)
// and is the one that runs.
func TestFastSignMatchesGoMLX(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	data := make([]float32, 999)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	copy(data, []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)),
		math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32})
	got, want := unaryFastAndStock(t, signKernelSetter.SetSignFloat32, vecmath.Sign, graph.Sign, data)
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("sign(%v) = %v (%#x), GoMLX %v (%#x)", data[i], got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// The Tanh installed by NewBackend gives GoMLX's bits (its float64
// math.Tanh rounded to float32), signed zeros, infinities and NaN included,
// and is the one that runs.
func TestFastTanhMatchesGoMLX(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	data := make([]float32, 999)
	for i := range data {
		data[i] = float32(rng.NormFloat64() * 3)
	}
	copy(data, []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)),
		0.625, -0.625, 44.01485, 44.01486, -44.01486, math.SmallestNonzeroFloat32, math.MaxFloat32})
	got, want := unaryFastAndStock(t, tanhKernelSetter.SetTanhFloat32, vecmath.Tanh, graph.Tanh, data)
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("tanh(%v) = %v (%#x), GoMLX %v (%#x)", data[i], got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// The Add, Mul, Sub, Max and Min installed by NewBackend give GoMLX's bits
// (NaN and signed zeros among the operands), and run for same-shape operands,
// a scalar on the right (or either side of Add) and a row of 16 or more
// values broadcast along the leading axes, on either side; other broadcasts
// stay with GoMLX.
func TestFastElementwiseMatchGoMLX(t *testing.T) {
	fast := newGoBackend(t)
	addMul, patched := fast.(addMulKernelSetter)
	if !patched {
		t.Fatal("the go backend has no SetAddMulFloat32: " + unpatched)
	}
	subMaxMin, patched := fast.(subMaxMinKernelSetter)
	if !patched {
		t.Fatal("the go backend has no SetSubMaxMinFloat32: " + unpatched)
	}
	var calls atomic.Int64
	counted := func(kernel func(a, b, out []float32)) func(a, b, out []float32) {
		return func(a, b, out []float32) { calls.Add(1); kernel(a, b, out) }
	}
	addMul.SetAddMulFloat32(counted(vecmath.Add), counted(vecmath.Mul))
	subMaxMin.SetSubMaxMinFloat32(counted(vecmath.Sub), counted(vecmath.Max), counted(vecmath.Min))
	stock, err := gobackend.New("")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(9, 10))
	x := make([]float32, 6*37)
	y := make([]float32, 6*37)
	for i := range x {
		x[i], y[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64()*1e3)
	}
	negZero, nan := float32(math.Copysign(0, -1)), float32(math.NaN())
	x[0], y[0] = 0, negZero
	x[1], y[1] = negZero, 0
	x[2], y[2] = nan, 1
	x[3], y[3] = 1, nan
	x[4], y[4] = negZero, negZero
	scalarOf := func(b *graph.Node, i int) *graph.Node {
		return graph.Reshape(graph.SliceAxis(graph.Reshape(b, 6*37), 0, graph.AxisElem(i)))
	}
	rowOf := func(b *graph.Node) *graph.Node { return graph.SliceAxis(b, 0, graph.AxisRange(0, 1)) }
	for _, tc := range []struct {
		name      string
		f         func(a, b *graph.Node) *graph.Node
		yDims     []int
		wantCalls bool
	}{
		{"add", graph.Add, []int{6, 37}, true},
		{"mul", graph.Mul, []int{6, 37}, true},
		{"sub", graph.Sub, []int{6, 37}, true},
		{"max", graph.Max, []int{6, 37}, true},
		{"min", graph.Min, []int{6, 37}, true},
		{"mul by a scalar", func(a, b *graph.Node) *graph.Node { return graph.Mul(a, scalarOf(b, 3)) }, []int{6, 37}, true},
		{"add a scalar on the left", func(a, b *graph.Node) *graph.Node { return graph.Add(scalarOf(b, 5), a) }, []int{6, 37}, true},
		{"sub a scalar", func(a, b *graph.Node) *graph.Node { return graph.Sub(a, scalarOf(b, 5)) }, []int{6, 37}, true},
		{"sub from a scalar", func(a, b *graph.Node) *graph.Node { return graph.Sub(scalarOf(b, 5), a) }, []int{6, 37}, false},
		{"max with a scalar -0", func(a, b *graph.Node) *graph.Node { return graph.Max(a, scalarOf(b, 1)) }, []int{6, 37}, true},
		{"min with a scalar NaN", func(a, b *graph.Node) *graph.Node { return graph.Min(a, scalarOf(b, 3)) }, []int{6, 37}, true},
		{"mul by a row", func(a, b *graph.Node) *graph.Node { return graph.Mul(a, rowOf(b)) }, []int{6, 37}, true},
		{"add a row on the left", func(a, b *graph.Node) *graph.Node { return graph.Add(rowOf(b), a) }, []int{6, 37}, true},
		{"sub a row", func(a, b *graph.Node) *graph.Node { return graph.Sub(a, rowOf(b)) }, []int{6, 37}, true},
		{"sub from a row", func(a, b *graph.Node) *graph.Node { return graph.Sub(rowOf(b), a) }, []int{6, 37}, true},
		{"max with a row", func(a, b *graph.Node) *graph.Node { return graph.Max(a, rowOf(b)) }, []int{6, 37}, true},
		{"min with a row", func(a, b *graph.Node) *graph.Node { return graph.Min(rowOf(b), a) }, []int{6, 37}, true},
		{"mul by a row over two leading axes", func(a, b *graph.Node) *graph.Node {
			return graph.Mul(graph.Reshape(a, 2, 3, 37), graph.Reshape(rowOf(b), 1, 1, 37))
		}, []int{6, 37}, true},
		{"mul by a row broadcast along the last axis too", func(a, b *graph.Node) *graph.Node {
			return graph.Mul(graph.Reshape(a, 3, 37, 2), graph.Reshape(rowOf(b), 1, 37, 1))
		}, []int{6, 37}, false},
		{"add a column", func(a, b *graph.Node) *graph.Node { return graph.Add(a, graph.SliceAxis(b, 1, graph.AxisRange(0, 1))) }, []int{6, 37}, false},
		{"add a row narrower than 16", func(a, b *graph.Node) *graph.Node {
			return graph.Add(graph.Reshape(a, 37, 6), rowOf(graph.Reshape(b, 37, 6)))
		}, []int{6, 37}, false},
		{"mul by a row between axes", func(a, b *graph.Node) *graph.Node {
			return graph.Mul(graph.Reshape(a, 2, 3, 37), graph.Reshape(rowOf(graph.Reshape(b, 2, 111)), 1, 3, 37))
		}, []int{6, 37}, true},
		{"mul broadcasting a middle axis", func(a, b *graph.Node) *graph.Node {
			return graph.Mul(graph.Reshape(a, 2, 3, 37), graph.Reshape(graph.SliceAxis(graph.Reshape(b, 2, 111), 1, graph.AxisRange(0, 37)), 2, 1, 37))
		}, []int{6, 37}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls.Store(0)
			run := func(b compute.Backend) []float32 {
				v := graph.MustExecOnce(b, tc.f, tensors.FromFlatDataAndDimensions(slices.Clone(x), 6, 37),
					tensors.FromFlatDataAndDimensions(slices.Clone(y), tc.yDims...)).Value()
				return flat32(v)
			}
			got, want := run(fast), run(stock)
			if took := calls.Load() > 0; took != tc.wantCalls {
				t.Errorf("installed kernels called: %v, want %v", took, tc.wantCalls)
			}
			for i := range want {
				// Any NaN for a NaN: Go's min and max may flip its sign bit.
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
					t.Fatalf("value %d: %v (%#x), GoMLX %v (%#x)", i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
				}
			}
		})
	}
}

func TestBackendDescriptionNamesTheKernels(t *testing.T) {
	desc := BackendDescription(newGoBackend(t))
	for _, want := range []struct {
		name      string
		installed bool
	}{{"internal/gemm", gemm.Available}, {"internal/vecmath", vecmath.HasSIMD}} {
		if got := strings.Contains(desc, want.name); got != want.installed {
			t.Errorf("BackendDescription = %q: mentions %s: %v, want %v", desc, want.name, got, want.installed)
		}
	}
	stock, err := gobackend.New("")
	if err != nil {
		t.Fatal(err)
	}
	if desc := BackendDescription(stock); strings.Contains(desc, "ganbook") {
		t.Errorf("a backend NewBackend did not make is described as %q", desc)
	}
}

// internal/gemm adds up the rows a 0/1 left operand selects instead of
// multiplying (the convolutions' im2col and col2im). Two DCGAN training
// steps must leave every variable with the same bits as when those products
// are multiplied: here through aᵀ (gemm multiplies a transposed operand, with
// the same bits as the plain layout, TestMatMulSameBitsForEveryLayout).
func TestDCGANStepsSameBitsWithSelectionsMultiplied(t *testing.T) {
	if !gemm.Available {
		t.Skip("no AVX-512F: the go backend keeps GoMLX's kernels")
	}
	cfg := smallConfig()
	cfg.Model = ModelDCGAN
	summed := digestsAfterTwoSteps(t, cfg, gemmMatMul)
	var multiplied atomic.Int64
	viaTranspose := digestsAfterTwoSteps(t, cfg, func(aT, bT bool, a, b []float32, batch, m, n, k int, out []float32) bool {
		a = a[:batch*m*k]
		if aT || !onlyZerosAndOnes(a) {
			return gemmMatMul(aT, bT, a, b, batch, m, n, k, out)
		}
		if m < gemm.MinRows || n < gemm.MinCols {
			return false
		}
		multiplied.Add(1)
		aTransposed := make([]float32, len(a))
		for s := range batch {
			for i := range m {
				for j := range k {
					aTransposed[s*m*k+j*m+i] = a[s*m*k+i*k+j]
				}
			}
		}
		gemm.MatMul(true, bT, aTransposed, b, batch, m, n, k, out, runtime.GOMAXPROCS(0))
		return true
	})
	if multiplied.Load() == 0 {
		t.Fatal("no selection product went through the kernel")
	}
	sameDigests(t, summed, viaTranspose, "selections summed vs multiplied")
	t.Logf("%d selection products multiplied in 2 steps; %d variables the same", multiplied.Load(), len(summed))
}

// The sums over rows that gan/blocks writes as a row of ones (or any 0/1
// row) times a matrix are taken from GoMLX's small-product kernel by
// gemm.SumSelections and must keep its bits exactly: the trained figures
// depend on them. Just below the small kernel's bound they are taken and
// equal; at the bound GoMLX's blocked kernel sums otherwise, so they are
// left to it.
func TestSumsOverRowsSameBitsAsGoMLX(t *testing.T) {
	if !gemm.Available {
		t.Skip("no AVX-512F: GoMLX's kernels run every product")
	}
	fast := newGoBackend(t)
	setter, patched := fast.(matMulKernelSetter)
	if !patched {
		t.Fatal("the go backend has no SetMatMulFloat32: " + unpatched)
	}
	var taken atomic.Int64
	setter.SetMatMulFloat32(func(lhsT, rhsT bool, lhs, rhs []float32, batch, m, n, k int, out []float32) bool {
		ok := gemmMatMul(lhsT, rhsT, lhs, rhs, batch, m, n, k, out)
		if ok {
			taken.Add(1)
		}
		return ok
	})
	stock, err := gobackend.New("")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct {
		name    string
		m, k, n int
		ones    bool // every value of the left row 1, else 0 or 1 at random
		half    bool // one value of the left row 0.5: not a selection
		taken   bool
	}{
		{"batch norm over 64·7·7 rows", 1, 3136, 128, true, false, true},
		{"batch norm over 64·14·14 rows", 1, 12544, 64, true, false, true},
		{"bias gradient of a 6272-wide layer", 1, 64, 6272, true, false, true},
		{"three 0/1 rows", 3, 700, 48, false, false, true},
		{"just below GoMLX's small-kernel bound", 1, goMLXSmallFlops/64 - 1, 64, true, false, true},
		{"at the bound (GoMLX's blocked kernel)", 1, goMLXSmallFlops / 64, 64, true, false, false},
		{"16 columns (GoMLX's scalar kernel)", 1, 500, 16, true, false, false},
		{"not a selection", 1, 300, 64, false, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			lhs := make([]float32, c.m*c.k)
			for i := range lhs {
				if c.ones || rng.IntN(2) == 1 {
					lhs[i] = 1
				}
			}
			if c.half {
				lhs[7] = 0.5
			}
			rhs := make([]float32, c.k*c.n)
			for i := range rhs {
				rhs[i] = float32(rng.NormFloat64()) * float32(math.Pow(10, float64(rng.IntN(5))))
			}
			product := func(x, y *graph.Node) *graph.Node { return graph.DotGeneral(x, []int{1}, nil, y, []int{0}, nil) }
			run := func(b compute.Backend) []float32 {
				x := tensors.FromFlatDataAndDimensions(slices.Clone(lhs), c.m, c.k)
				y := tensors.FromFlatDataAndDimensions(slices.Clone(rhs), c.k, c.n)
				return flat32(graph.MustExecOnce(b, product, x, y).Value())
			}
			taken.Store(0)
			got := run(fast)
			if (taken.Load() > 0) != c.taken {
				t.Fatalf("internal/gemm took %d products, want it to take them: %v", taken.Load(), c.taken)
			}
			want := run(stock)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("value %d: %v, GoMLX's kernel %v", i, got[i], want[i])
				}
			}
			if c.m*c.k*c.n >= goMLXSmallFlops {
				// The reason for the bound: summed in one pass, the values differ.
				onePass := make([]float32, c.m*c.n)
				gemm.SumSelections(lhs, rhs, 1, c.m, c.n, c.k, onePass, 2)
				if slices.Equal(onePass, want) {
					t.Fatal("GoMLX's blocked kernel gave the one-pass sums' bits: the bound is not where it is documented")
				}
			}
		})
	}
}

// BenchmarkSumsOverRows times the DCGAN's sums over rows (a row of ones
// times a matrix) through the go backend as NewBackend sets it up
// (gemm.SumSelections) and with GoMLX's own kernel, graph execution
// included:
//
//	GOEXPERIMENT=simd go test -run '^$' -bench SumsOverRows ./gan/
func BenchmarkSumsOverRows(b *testing.B) {
	if !gemm.Available {
		b.Skip("no AVX-512F: GoMLX's kernels run every product")
	}
	b.Setenv(compute.ConfigEnvVar, "go")
	fast, err := NewBackend(io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	stock, err := gobackend.New("")
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sh := range []struct{ k, n int }{{3136, 128}, {12544, 64}, {64, 6272}} {
		ones := make([]float32, sh.k)
		for i := range ones {
			ones[i] = 1
		}
		x := make([]float32, sh.k*sh.n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		for _, backend := range []struct {
			name string
			b    compute.Backend
		}{{"ganbook", fast}, {"gomlx", stock}} {
			b.Run(fmt.Sprintf("1x%dx%d/%s", sh.n, sh.k, backend.name), func(b *testing.B) {
				exec := graph.MustNewExec(backend.b, func(o, x *graph.Node) *graph.Node {
					return graph.DotGeneral(o, []int{1}, nil, x, []int{0}, nil)
				})
				o := tensors.FromFlatDataAndDimensions(ones, 1, sh.k)
				xt := tensors.FromFlatDataAndDimensions(x, sh.k, sh.n)
				exec.MustCall(o, xt)[0].FinalizeAll()
				b.ResetTimer()
				for range b.N {
					exec.MustCall(o, xt)[0].FinalizeAll()
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/sum")
			})
		}
	}
}

// Two training steps of either model must leave every variable with the same
// bits whether the sums over rows go to gemm.SumSelections (as NewBackend
// sets up) or stay with GoMLX's kernel, as they did before it took them.
func TestStepsSameBitsWithSumsOverRowsLeftToGoMLX(t *testing.T) {
	if !gemm.Available {
		t.Skip("no AVX-512F: the go backend keeps GoMLX's kernels")
	}
	for _, arch := range []string{ModelMLP, ModelDCGAN} {
		t.Run(arch, func(t *testing.T) {
			cfg := smallConfig()
			cfg.Model, cfg.Batch = arch, 16
			var sums atomic.Int64
			taken := digestsAfterTwoSteps(t, cfg, func(aT, bT bool, a, b []float32, batch, m, n, k int, out []float32) bool {
				ok := gemmMatMul(aT, bT, a, b, batch, m, n, k, out)
				if ok && (m < gemm.MinRows || n < gemm.MinCols) {
					sums.Add(1)
				}
				return ok
			})
			leftToGoMLX := digestsAfterTwoSteps(t, cfg, func(aT, bT bool, a, b []float32, batch, m, n, k int, out []float32) bool {
				return m >= gemm.MinRows && n >= gemm.MinCols && gemmMatMul(aT, bT, a, b, batch, m, n, k, out)
			})
			if sums.Load() == 0 {
				t.Fatal("no sum over rows went to gemm.SumSelections")
			}
			sameDigests(t, taken, leftToGoMLX, "sums over rows by gemm.SumSelections vs GoMLX")
			t.Logf("%d sums over rows taken in 2 steps; %d variables the same", sums.Load(), len(taken))
		})
	}
}

// digestsAfterTwoSteps trains cfg's model for two steps on a go backend from
// NewBackend whose float32 matmul kernel is kernel, and hashes every variable.
func digestsAfterTwoSteps(t *testing.T, cfg Config, kernel func(aT, bT bool, a, b []float32, batch, m, n, k int, out []float32) bool) map[string][32]byte {
	t.Helper()
	backend := newGoBackend(t)
	backend.(matMulKernelSetter).SetMatMulFloat32(kernel)
	tr, err := NewTrainer(backend, cfg, newSyntheticSource(4*cfg.Batch, cfg.Batch, 5), cfg.Steps, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := tr.TrainStep(); err != nil {
			t.Fatal(err)
		}
	}
	return variableDigests(t, tr.store, "")
}

// sameDigests fails t for every variable whose digest differs between two
// trainings (what names how they differed).
func sameDigests(t *testing.T, x, y map[string][32]byte, what string) {
	t.Helper()
	if len(x) == 0 || len(x) != len(y) {
		t.Fatalf("%d variables against %d (%s)", len(x), len(y), what)
	}
	for name, digest := range x {
		if y[name] != digest {
			t.Errorf("%s differs: %s", name, what)
		}
	}
}
