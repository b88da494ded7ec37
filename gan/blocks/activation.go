package blocks

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
)

// xlaBackendName is the Name() of go-xla's backend (its xla.BackendName,
// not imported here so that the blocks do not link XLA).
const xlaBackendName = "xla"

// LeakyReLU returns x for x > 0 and alpha·x otherwise (PyTorch's LeakyReLU;
// the DCGAN uses alpha 0.2), as x·slope with slope = 1 or alpha taken out of
// the gradient, so the backward pass is one multiply. The gradient at x = 0
// is alpha, as in PyTorch.
//
// For 0 ≤ alpha ≤ 1 the slope is computed without branches. The go backend
// runs Where (and a bool→float conversion) with a branch per value, which
// costs a misprediction on about half of the activations; min/max do not
// (BenchmarkLeakyReLU: about twice as fast despite more passes):
//   - where the backend's float32 Sign is vectorized (ganbook's kernels, see
//     signVectorized), slope = max(sign(x), alpha): two passes;
//   - elsewhere slope = min(max(x·2⁷⁵·2⁷⁵, alpha), 1): every positive
//     float32 or float64 becomes ≥ 2 after the two scalings (the smallest
//     float32 is 2⁻¹⁴⁹; large values saturate to +Inf), zero and negatives
//     stay ≤ 0, so the result is exactly 1 or alpha. Four passes.
//
// Both give the same slope for every x but NaN, whose slope is alpha with
// Sign (GoMLX's Sign of NaN is 0; PyTorch's gradient there is alpha·v too)
// and NaN with the scalings; the output is NaN either way. Other alphas use
// Where, and so does XLA: its compiler folds the two scalings into one by
// 2¹⁵⁰, which overflows float32 to +Inf and makes the slope at x = 0 NaN
// (0·Inf); it fuses Where into one loop anyway.
func LeakyReLU(x *graph.Node, alpha float64) *graph.Node {
	g := x.Graph()
	dt := x.DType()
	var slope *graph.Node
	switch {
	case alpha >= 0 && alpha <= 1 && signVectorized(x):
		slope = graph.Max(graph.Sign(x), graph.Scalar(g, dt, alpha))
	case alpha >= 0 && alpha <= 1 && g.Backend().Name() != xlaBackendName:
		const twoTo75 = 3.777893186295716e22 // 2⁷⁵
		s := graph.MulScalar(graph.MulScalar(x, twoTo75), twoTo75)
		slope = graph.Min(graph.Max(s, graph.Scalar(g, dt, alpha)), graph.ScalarOne(g, dt))
	default:
		slope = graph.Where(graph.GreaterThan(x, graph.ScalarZero(g, dt)), graph.ScalarOne(g, dt), graph.Scalar(g, dt, alpha))
	}
	return graph.Mul(x, graph.StopGradient(slope))
}

// signVectorized reports whether x's backend computes Sign over x's values
// without a branch per value: float32 on the go backend with ganbook's
// kernels installed (third_party/compute's ComputesSignFloat32).
func signVectorized(x *graph.Node) bool {
	b, ok := x.Graph().Backend().(interface{ ComputesSignFloat32() bool })
	return ok && signInPlace && x.DType() == dtypes.Float32 && b.ComputesSignFloat32()
}

// signInPlace is true but in a test that builds the scaled slope on a
// backend that could use Sign, to compare the two.
var signInPlace = true

// ReLU returns max(0, x) as [LeakyReLU] with alpha 0 (negative inputs give
// −0, which compares equal to 0). The gradient at x = 0 is 0, as in PyTorch.
func ReLU(x *graph.Node) *graph.Node {
	return LeakyReLU(x, 0)
}

// Tanh returns tanh(x).
func Tanh(x *graph.Node) *graph.Node { return graph.Tanh(x) }

// Sigmoid returns 1/(1+e^−x).
func Sigmoid(x *graph.Node) *graph.Node { return graph.Logistic(x) }
