package blocks

import (
	"github.com/gomlx/gomlx/core/graph"
)

// LeakyReLU returns x for x > 0 and alpha·x otherwise (PyTorch's LeakyReLU;
// the DCGAN uses alpha 0.2), as x·slope with slope = 1 or alpha taken out of
// the gradient: compare, select and multiply forward, one multiply backward.
// A forward+backward graph (with its loss) has 7 batch-sized ops this way,
// 11 with GoMLX's activation.LeakyReluWith and 14 with max(alpha·x, x),
// whose Max gradient is costly (TestLeakyReLUIsCheap; BenchmarkLeakyReLU
// times them). The gradient at x = 0 is alpha, as in PyTorch.
func LeakyReLU(x *graph.Node, alpha float64) *graph.Node {
	g := x.Graph()
	dt := x.DType()
	slope := graph.Where(graph.GreaterThan(x, graph.ScalarZero(g, dt)), graph.ScalarOne(g, dt), graph.Scalar(g, dt, alpha))
	return graph.Mul(x, graph.StopGradient(slope))
}

// ReLU returns max(0, x) as [LeakyReLU] with alpha 0 (negative inputs give
// −0, which compares equal to 0). The gradient at x = 0 is 0, as in PyTorch.
func ReLU(x *graph.Node) *graph.Node {
	return LeakyReLU(x, 0)
}

// Tanh returns tanh(x).
func Tanh(x *graph.Node) *graph.Node { return graph.Tanh(x) }

// Sigmoid returns 1/(1+e^−x).
func Sigmoid(x *graph.Node) *graph.Node { return graph.Logistic(x) }
