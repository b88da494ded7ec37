package blocks

import (
	"fmt"

	"github.com/ganbook/ganbook/internal/gemm"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Dense is a fully connected layer y = x·W + b over the last axis of x:
// x [..., in] gives y [..., outDim]. Its variables live directly in scope:
// "weights" [in, outDim] and "biases" [outDim], in x's dtype.
//
// The forward pass is a row-major matmul plus the bias (see denseMatMul). The
// backward pass is written out (see [withCustomVJP]) so that every matmul
// is one the go backend runs without transposing its operands, element by
// element: ∂x = v·Wᵀ, ∂W = (xᵀ)·v with the smaller of x and v transposed
// once, ∂b = 1ᵀ·v (a matmul instead of a reduction). The tests check the
// gradients against finite differences in float64 and against float64 in
// float32.
func Dense(scope *model.Scope, x *graph.Node, outDim int) *graph.Node {
	if x.Rank() < 1 || outDim <= 0 {
		panic(fmt.Sprintf("blocks.Dense: need x of rank ≥ 1 and outDim > 0, got x %s, outDim %d", x.Shape(), outDim))
	}
	inDim := x.Shape().Dimensions[x.Rank()-1]
	wInit, bInit := weightAndBiasInit(scope, inDim)
	g := x.Graph()
	w := scope.WithInitializer(wInit).VariableWithShape("weights", shapes.Make(x.DType(), inDim, outDim)).NodeValue(g)
	b := scope.WithInitializer(bInit).VariableWithShape("biases", shapes.Make(x.DType(), outDim)).NodeValue(g)
	return denseWithVJP(x, w, b)
}

// denseWithVJP is y = x·w + b (b may be nil) for x [..., in], w [in, out],
// with the hand-written backward pass described in [Dense].
func denseWithVJP(x, w, b *graph.Node) *graph.Node {
	inputs := []*graph.Node{x, w}
	if b != nil {
		inputs = append(inputs, b)
	}
	forward := func(xs []*graph.Node, _ bool) *graph.Node {
		var bias *graph.Node
		if len(xs) > 2 {
			bias = xs[2]
		}
		x2 := graph.Reshape(xs[0], xs[0].Shape().Size()/xs[1].Shape().Dimensions[0], xs[1].Shape().Dimensions[0])
		y := denseMatMul(x2, xs[1], bias)
		return graph.Reshape(y, append(xs[0].Shape().Dimensions[:xs[0].Rank()-1:xs[0].Rank()-1], xs[1].Shape().Dimensions[1])...)
	}
	return withCustomVJP(inputs, forward, func(v *graph.Node) []*graph.Node {
		in, out := w.Shape().Dimensions[0], w.Shape().Dimensions[1]
		rows := x.Shape().Size() / in
		x2 := graph.Reshape(x, rows, in)
		v2 := graph.Reshape(v, rows, out)
		grads := []*graph.Node{
			graph.Reshape(matMulTransposedRHS(v2, w), x.Shape().Dimensions...),
			matMulTransposedLHS(x2, v2),
		}
		if b != nil {
			grads = append(grads, sumRows(v2))
		}
		return grads
	})
}

// matMul is a·b for a [m, k], b [k, n]: the go backend's fastest layout.
func matMul(a, b *graph.Node) *graph.Node {
	return graph.DotGeneral(a, []int{1}, nil, b, []int{0}, nil)
}

// matMulNarrow is a·b for a [m, k], b [k, n] with few columns n: the
// backend's row-major kernels fall back to scalar code for n ≤ 16, its
// kernel for a·(bᵀ)ᵀ does not (for k ≥ 16).
func matMulNarrow(a, b *graph.Node) *graph.Node {
	k, n := b.Shape().Dimensions[0], b.Shape().Dimensions[1]
	if n > 16 || k < 16 {
		return matMul(a, b)
	}
	return graph.DotGeneral(a, []int{1}, nil, transpose2D(b), []int{1}, nil)
}

// matMulTransposedRHS is a·bᵀ for a [m, k], b [n, k]: the backend has a
// kernel for this layout, but with a short contraction (k < 16, one SIMD
// register) it is slower than transposing b and using the row-major one.
func matMulTransposedRHS(a, b *graph.Node) *graph.Node {
	if k := a.Shape().Dimensions[1]; k < 16 {
		return matMul(a, transpose2D(b))
	}
	return graph.DotGeneral(a, []int{1}, nil, b, []int{1}, nil)
}

// matMulTransposedLHS is aᵀ·b for a [r, m], b [r, n] (a contraction over
// the rows, as in a weight gradient). ganbook's float32 kernel on the go
// backend reads a in place (transposedLHSReadInPlace). GoMLX's own go kernels
// contract only the last axis of the left operand, so for them one operand
// is transposed: a, or b (then the [n, m] product is transposed back) when
// that moves fewer values. Where both kernels could run it, each value is
// the same float32 sum either way.
func matMulTransposedLHS(a, b *graph.Node) *graph.Node {
	r, m, n := a.Shape().Dimensions[0], a.Shape().Dimensions[1], b.Shape().Dimensions[1]
	if transposedLHSReadInPlace(a, b) {
		return graph.DotGeneral(a, []int{0}, nil, b, []int{0}, nil)
	}
	if transposeCost(r, m) <= transposeCost(r, n)+transposeCost(n, m) {
		return matMul(transpose2D(a), b)
	}
	return transpose2D(matMul(transpose2D(b), a))
}

// transposedLHSReadInPlace reports whether aᵀ·b, for a [r, m] and b [r, n],
// runs without transposing a first: on the go backend with ganbook's float32
// kernel installed (third_party/compute's ReadsTransposedLHSFloat32), for a
// product that kernel takes (at least gemm.MinRows × gemm.MinCols). Other
// backends and thinner products get the transposes they got before, so
// their results and speed do not move.
func transposedLHSReadInPlace(a, b *graph.Node) bool {
	r, ok := a.Graph().Backend().(interface{ ReadsTransposedLHSFloat32() bool })
	return ok && transposedLHSInPlace && a.DType() == dtypes.Float32 && r.ReadsTransposedLHSFloat32() &&
		a.Shape().Dimensions[1] >= gemm.MinRows && b.Shape().Dimensions[1] >= gemm.MinCols
}

// transposedLHSInPlace is true but in a test that builds the explicit
// transposes on a backend that could do without them, to compare the two.
var transposedLHSInPlace = true

// transposeCost is the number of values transpose2D moves for [m, n].
func transposeCost(m, n int) int {
	if m == 1 || n == 1 {
		return 0
	}
	return m * n
}

// transpose2D is xᵀ for x [m, n]; a vector's is a free reshape.
func transpose2D(x *graph.Node) *graph.Node {
	d := x.Shape().Dimensions
	if d[0] == 1 || d[1] == 1 {
		return graph.Reshape(x, d[1], d[0])
	}
	return graph.TransposeAllAxes(x, 1, 0)
}

// sumRows is Σ_r x[r, :] for x [r, n], as the matmul 1ᵀ·x (a few µs where
// the backend's ReduceSum iterates value by value).
func sumRows(x *graph.Node) *graph.Node {
	r, n := x.Shape().Dimensions[0], x.Shape().Dimensions[1]
	ones := graph.Ones(x.Graph(), shapes.Make(x.DType(), 1, r))
	return graph.Reshape(matMul(ones, x), n)
}

// broadcastRows is [r, n] with every row equal to row [n], as the matmul
// 1·row (K = 1): much faster on a stock go backend than BroadcastInDim or an
// element-wise op with implicit broadcasting.
func broadcastRows(row *graph.Node, r int) *graph.Node {
	n := row.Shape().Size()
	ones := graph.Ones(row.Graph(), shapes.Make(row.DType(), r, 1))
	return matMul(ones, graph.Reshape(row, 1, n))
}

// rowOperand is row [n] as the right operand of an element-wise op with
// x [r, n] that repeats it on every row of x. Where the backend's installed
// kernels run such a broadcast for rows of n values (the go backend with
// ganbook's float32 kernels, third_party/compute's BroadcastsRowsFloat32) it
// is row as [1, n], and the op reads it once per row; elsewhere it is
// broadcastRows's [r, n] product.
// The op's values are the same either way (but for a −0 in row, which the
// product turns into +0).
//
// Only for ops whose gradient is written out: GoMLX's autodiff of a
// broadcasting Mul materializes the broadcast with BroadcastInDim.
func rowOperand(x, row *graph.Node) *graph.Node {
	r, n := x.Shape().Dimensions[0], x.Shape().Dimensions[1]
	if b, ok := x.Graph().Backend().(interface{ BroadcastsRowsFloat32(width int) bool }); ok && rowsBroadcastInPlace &&
		x.DType() == dtypes.Float32 && b.BroadcastsRowsFloat32(n) {
		return graph.Reshape(row, 1, n)
	}
	return broadcastRows(row, r)
}

// rowsBroadcastInPlace is true but in a test that builds broadcastRows's
// products on a backend that could do without them, to compare the two.
var rowsBroadcastInPlace = true
