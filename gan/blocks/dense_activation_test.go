package blocks

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
)

func refDense(x []float64, rows, in int, w []float64, out int, b []float64) []float64 {
	y := make([]float64, rows*out)
	for r := range rows {
		for o := range out {
			s := b[o]
			for i := range in {
				s += x[r*in+i] * w[i*out+o]
			}
			y[r*out+o] = s
		}
	}
	return y
}

func TestDenseMatchesReference(t *testing.T) { eachBackend(t, testDenseMatchesReference) }

func testDenseMatchesReference(t *testing.T) {
	for _, dims := range [][]int{{5, 4}, {2, 3, 4}, {128, 100}} {
		for _, f32 := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v_float32=%v", dims, f32), func(t *testing.T) {
				const out = 7
				in := dims[len(dims)-1]
				rows := 1
				for _, d := range dims[:len(dims)-1] {
					rows *= d
				}
				rng := rand.New(rand.NewPCG(14, uint64(rows)))
				x, w, b := randData(rng, rows*in), randData(rng, in*out), randData(rng, out)
				dt := dtypeFor(f32)
				store := newTestStore()
				if _, err := store.CreateVariable("/d/weights", tensorAs(dt, w, in, out)); err != nil {
					t.Fatal(err)
				}
				if _, err := store.CreateVariable("/d/biases", tensorAs(dt, b, out)); err != nil {
					t.Fatal(err)
				}
				exec := model.MustNewExec(backend, store, func(s *model.Scope, x *graph.Node) *graph.Node { return Dense(s.At("d"), x, out) })
				y := exec.MustCall(tensorAs(dt, x, dims...))[0]
				checkDims(t, y.Shape().Dimensions, append(dims[:len(dims)-1:len(dims)-1], out)...)
				tol := 1e-12
				if f32 {
					tol = 1e-5
				}
				if d, at := maxRelDiff(toF64(y), refDense(x, rows, in, w, out, b)); d > tol {
					t.Errorf("differs from reference by %.3g at %d", d, at)
				}
			})
		}
	}
}

func TestDenseGradientsMatchFiniteDifferences(t *testing.T) {
	eachBackend(t, testDenseGradientsMatchFiniteDifferences)
}

func testDenseGradientsMatchFiniteDifferences(t *testing.T) {
	for _, dims := range [][]int{{5, 4}, {2, 3, 4}} {
		t.Run(fmt.Sprint(dims), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(15, uint64(len(dims))))
			n := 1
			for _, d := range dims {
				n *= d
			}
			x := tensor64(randData(rng, n), dims...)
			build := func(s *model.Scope, in []*graph.Node) *graph.Node { return Dense(s, in[0], 3) }
			rep := fdCheck(t, build, []*tensors.Tensor{x}, fdStep, fdTol)
			requireGradients(t, rep, fdTol)
			if want := n + dims[len(dims)-1]*3 + 3; rep.checked != want {
				t.Errorf("checked %d values, want %d", rep.checked, want)
			}
		})
	}
	t.Run("float32_vs_float64_[128_100]", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(15, 9))
		x := tensor64(randData(rng, 128*100), 128, 100)
		checkFloat32Gradients(t, func(s *model.Scope, in []*graph.Node) *graph.Node { return Dense(s, in[0], 64) }, []*tensors.Tensor{x}, 1e-4)
	})
}

func TestActivations(t *testing.T) { eachBackend(t, testActivations) }

func testActivations(t *testing.T) {
	for _, tc := range []struct {
		name string
		op   func(x *graph.Node) *graph.Node
		ref  func(x float64) float64
		// gradient at exactly 0, or NaN when not pinned down
		gradAtZero float64
	}{
		{"LeakyReLU0.2", func(x *graph.Node) *graph.Node { return LeakyReLU(x, 0.2) },
			func(x float64) float64 { return math.Max(x, 0.2*x) }, 0.2},
		{"LeakyReLU0", func(x *graph.Node) *graph.Node { return LeakyReLU(x, 0) },
			func(x float64) float64 { return math.Max(x, 0) }, 0},
		{"LeakyReLU1.5", func(x *graph.Node) *graph.Node { return LeakyReLU(x, 1.5) },
			func(x float64) float64 {
				if x > 0 {
					return x
				}
				return 1.5 * x
			}, 1.5},
		{"ReLU", ReLU, func(x float64) float64 { return math.Max(x, 0) }, 0},
		{"Tanh", Tanh, math.Tanh, 1},
		{"Sigmoid", Sigmoid, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, 0.25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(16, 1))
			xs := randData(rng, 40)
			for i := range xs {
				xs[i] *= 4 // also the saturated parts of tanh and sigmoid
			}
			for _, f32 := range []bool{false, true} {
				dt := dtypeFor(f32)
				exec := graph.MustNewExec(backend, tc.op)
				got := toF64(exec.MustCall(tensorAs(dt, xs, 5, 8))[0])
				want := make([]float64, len(xs))
				for i, x := range xs {
					want[i] = tc.ref(x)
				}
				tol := 1e-15
				if f32 {
					tol = 1e-6
				}
				if d, at := maxRelDiff(got, want); d > tol {
					t.Errorf("float32=%v: differs from reference by %.3g at x=%g", f32, d, xs[at])
				}
			}
			rep := fdCheck(t, func(_ *model.Scope, in []*graph.Node) *graph.Node { return tc.op(in[0]) },
				[]*tensors.Tensor{tensor64(xs, 5, 8)}, fdStep, fdTol)
			requireGradients(t, rep, fdTol)
			grad := graph.MustNewExec(backend, func(x *graph.Node) *graph.Node {
				return graph.Gradient(graph.ReduceAllSum(tc.op(x)), x)[0]
			})
			if g := flat64(grad.MustCall(tensor64([]float64{0}, 1))[0])[0]; math.Abs(g-tc.gradAtZero) > 1e-15 {
				t.Errorf("gradient at 0 is %g, want %g", g, tc.gradAtZero)
			}
		})
	}
}

// batchSizedOps counts the ops over n values needed for the outputs.
func batchSizedOps(n int, outputs ...*graph.Node) int {
	seen := map[*graph.Node]bool{}
	count := 0
	var walk func(node *graph.Node)
	walk = func(node *graph.Node) {
		if seen[node] {
			return
		}
		seen[node] = true
		for _, in := range node.Inputs() {
			walk(in)
		}
		if node.Shape().Size() == n && node.Type() != graph.NodeTypeParameter {
			count++
		}
	}
	for _, o := range outputs {
		walk(o)
	}
	return count
}

// TestLeakyReLUIsCheap: forward+backward of LeakyReLU needs fewer
// batch-sized ops than GoMLX's activation.LeakyReluWith or max(αx, x).
func TestLeakyReLUIsCheap(t *testing.T) {
	count := func(op func(x *graph.Node) *graph.Node) int {
		g := graph.NewGraph(backend, "count")
		x := graph.Parameter(g, "x", shapeF32(8, 4, 4, 16))
		v := graph.Parameter(g, "v", shapeF32(8, 4, 4, 16))
		y := op(x)
		return batchSizedOps(x.Shape().Size(), y, graph.Gradient(graph.ReduceAllSum(graph.Mul(y, v)), x)[0])
	}
	ours := count(func(x *graph.Node) *graph.Node { return LeakyReLU(x, 0.2) })
	stock := count(func(x *graph.Node) *graph.Node { return activation.LeakyReluWith(x, 0.2) })
	viaMax := count(func(x *graph.Node) *graph.Node { return graph.Max(graph.MulScalar(x, 0.2), x) })
	t.Logf("batch-sized ops, forward+backward with loss: blocks %d, activation.LeakyReluWith %d, max %d", ours, stock, viaMax)
	if ours >= stock || ours >= viaMax {
		t.Errorf("LeakyReLU uses %d batch-sized ops, not fewer than GoMLX's %d or max's %d", ours, stock, viaMax)
	}
}

// LeakyReLU at exactly ±0 and at the smallest normal and subnormal values, in
// float32 and float64: the values are exact (x or alpha·x, so 0 at 0, never
// NaN) and so are the gradients (1 for x > 0, alpha otherwise, as PyTorch).
// XLA once turned 0 into NaN here (a real MNIST batch hit it after 671 steps).
func TestLeakyReLUAtZeroAndTiny(t *testing.T) { eachBackend(t, testLeakyReLUAtZeroAndTiny) }

func testLeakyReLUAtZeroAndTiny(t *testing.T) {
	const alpha = 0.2
	xs := []float64{0, math.Copysign(0, -1), 0x1p-126, -0x1p-126, 0x1p-149, -0x1p-149, 1e-30, -1e-30, 3, -3}
	for _, f32 := range []bool{false, true} {
		dt := dtypeFor(f32)
		exec := graph.MustNewExec(backend, func(x *graph.Node) (*graph.Node, *graph.Node) {
			y := LeakyReLU(x, alpha)
			return y, graph.Gradient(graph.ReduceAllSum(y), x)[0]
		})
		out := exec.MustCall(tensorAs(dt, xs, len(xs)))
		got, grad := toF64(out[0]), toF64(out[1])
		for i, x := range xs {
			if f32 {
				x = float64(float32(x))
			}
			want, wantGrad := x, 1.0
			if !(x > 0) {
				want, wantGrad = alpha*x, alpha
			}
			if f32 { // float32 arithmetic: alpha rounded, then the product
				want, wantGrad = float64(float32(want)), float64(float32(wantGrad))
				if !(x > 0) {
					want = float64(float32(x) * float32(alpha))
				}
			}
			// Subnormal results may be flushed to zero by the backend (XLA's CPU code does).
			if got[i] != want && !(math.Abs(want) < 0x1p-126 && got[i] == 0) {
				t.Errorf("float32=%v: LeakyReLU(%g) = %g, want %g", f32, x, got[i], want)
			}
			if grad[i] != wantGrad && !(x != 0 && math.Abs(x) < 0x1p-126) {
				t.Errorf("float32=%v: gradient at %g = %g, want %g", f32, x, grad[i], wantGrad)
			}
		}
	}
}
