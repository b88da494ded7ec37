package blocks

import (
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers/activation"
)

// Forward+backward benchmarks at the DCGAN's shapes (batch 64, float32).
// Compare e.g. BenchmarkConv2DDiscLayer1/blocks with .../gomlx-native:
//
//	GOEXPERIMENT=simd GOMLX_BACKEND=go go test -run '^$' -bench . ./gan/blocks/

func randTensor32(rng *rand.Rand, dims ...int) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return tensors.FromFlatDataAndDimensions(to32(randData(rng, n)), dims...)
}

// benchFwdBwd times one run of y = op(x, kernel) and the gradients of
// ½Σy² w.r.t. x and kernel (the backward pass gets a dense cotangent, y).
func benchFwdBwd(b *testing.B, op func(x, k *graph.Node) *graph.Node, xDims, kDims []int) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, k := randTensor32(rng, xDims...), randTensor32(rng, kDims...)
	exec := graph.MustNewExec(backend, func(x, k *graph.Node) []*graph.Node {
		y := op(x, k)
		loss := graph.MulScalar(graph.ReduceAllSum(graph.Square(y)), 0.5)
		return graph.Gradient(loss, x, k)
	})
	for _, t := range exec.MustCall(x, k) { // compile outside the timing
		t.FinalizeAll()
	}
	b.ResetTimer()
	for range b.N {
		for _, t := range exec.MustCall(x, k) {
			t.FinalizeAll()
		}
	}
}

// BenchmarkConv2DDiscLayer1: the DCGAN discriminator's first layer,
// [64, 28, 28, 1] → [64, 14, 14, 64], k4 s2 p1.
func BenchmarkConv2DDiscLayer1(b *testing.B) {
	xd, kd := []int{64, 28, 28, 1}, []int{4, 4, 1, 64}
	b.Run("blocks", func(b *testing.B) {
		benchFwdBwd(b, func(x, k *graph.Node) *graph.Node { return Convolve2D(x, k, nil, 2, 1) }, xd, kd)
	})
	b.Run("gomlx-native", func(b *testing.B) {
		benchFwdBwd(b, func(x, k *graph.Node) *graph.Node { return stockConv(x, k, 2, 1) }, xd, kd)
	})
}

// BenchmarkConv2DDiscLayer2: [64, 14, 14, 64] → [64, 7, 7, 128], k4 s2 p1.
func BenchmarkConv2DDiscLayer2(b *testing.B) {
	xd, kd := []int{64, 14, 14, 64}, []int{4, 4, 64, 128}
	b.Run("blocks", func(b *testing.B) {
		benchFwdBwd(b, func(x, k *graph.Node) *graph.Node { return Convolve2D(x, k, nil, 2, 1) }, xd, kd)
	})
	b.Run("gomlx-native", func(b *testing.B) {
		benchFwdBwd(b, func(x, k *graph.Node) *graph.Node { return stockConv(x, k, 2, 1) }, xd, kd)
	})
}

// BenchmarkConvTranspose2DGen: the DCGAN generator's two transposed
// convolutions, 7→14 (128→64 channels) and 14→28 (64→1). GoMLX has no
// transposed convolution on the go backend to compare with.
func BenchmarkConvTranspose2DGen(b *testing.B) {
	b.Run("7to14", func(b *testing.B) {
		benchFwdBwd(b, func(x, k *graph.Node) *graph.Node { return ConvolveTranspose2D(x, k, nil, 2, 1) },
			[]int{64, 7, 7, 128}, []int{4, 4, 128, 64})
	})
	b.Run("14to28", func(b *testing.B) {
		benchFwdBwd(b, func(x, k *graph.Node) *graph.Node { return ConvolveTranspose2D(x, k, nil, 2, 1) },
			[]int{64, 14, 14, 64}, []int{4, 4, 64, 1})
	})
}

// BenchmarkLeakyReLU: forward+backward over [64, 14, 14, 64] (0.8 M values),
// this package's x·slope against GoMLX's activation.LeakyReluWith and max(αx, x).
func BenchmarkLeakyReLU(b *testing.B) {
	for _, v := range []struct {
		name string
		op   func(x *graph.Node) *graph.Node
	}{
		{"blocks", func(x *graph.Node) *graph.Node { return LeakyReLU(x, 0.2) }},
		{"gomlx-activation", func(x *graph.Node) *graph.Node { return activation.LeakyReluWith(x, 0.2) }},
		{"max", func(x *graph.Node) *graph.Node { return graph.Max(graph.MulScalar(x, 0.2), x) }},
	} {
		b.Run(v.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(2, 2))
			x := randTensor32(rng, 64, 14, 14, 64)
			exec := graph.MustNewExec(backend, func(x *graph.Node) (*graph.Node, *graph.Node) {
				y := v.op(x)
				return y, graph.Gradient(graph.ReduceAllSum(graph.Mul(y, x)), x)[0]
			})
			exec.MustCall(x)
			b.ResetTimer()
			for range b.N {
				for _, t := range exec.MustCall(x) {
					t.FinalizeAll()
				}
			}
		})
	}
}
