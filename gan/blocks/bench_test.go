package blocks

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
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
	cpu0 := cpuTime()
	b.ResetTimer()
	for range b.N {
		for _, t := range exec.MustCall(x, k) {
			t.FinalizeAll()
		}
	}
	b.StopTimer()
	reportCPU(b, cpu0)
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per op since cpu0: on a shared machine it
// moves less with the load than the wall time.
func reportCPU(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
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
			cpu0 := cpuTime()
			b.ResetTimer()
			for range b.N {
				for _, t := range exec.MustCall(x) {
					t.FinalizeAll()
				}
			}
			b.StopTimer()
			reportCPU(b, cpu0)
		})
	}
}

// BenchmarkBatchNormTraining: forward+backward of a training-mode BatchNorm
// at the DCGAN's shapes (D layer 2, G after the dense and after the first
// transposed convolution).
func BenchmarkBatchNormTraining(b *testing.B) {
	for _, dims := range [][]int{{64, 7, 7, 128}, {64, 6272}, {64, 14, 14, 64}} {
		b.Run(fmt.Sprint(dims), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(3, 3))
			x := randTensor32(rng, dims...)
			store := model.NewStore()
			exec := model.MustNewExec(backend, store, func(s *model.Scope, x *graph.Node) []*graph.Node {
				y := BatchNorm(s.At("bn"), x, true, BatchNormFrozenStats())
				loss := graph.ReduceAllSum(graph.Mul(y, y))
				g := x.Graph()
				return graph.Gradient(loss, x, s.At("bn").GetVariable("gamma").NodeValue(g))
			})
			exec.MustCall(x)
			cpu0 := cpuTime()
			b.ResetTimer()
			for range b.N {
				for _, t := range exec.MustCall(x) {
					t.FinalizeAll()
				}
			}
			b.StopTimer()
			reportCPU(b, cpu0)
		})
	}
}

// BenchmarkDense: forward+backward of the dense layers at the GANs' shapes.
func BenchmarkDense(b *testing.B) {
	for _, c := range [][3]int{{128, 784, 512}, {128, 512, 784}, {64, 100, 6272}, {64, 6272, 1}} {
		b.Run(fmt.Sprintf("%dx%d->%d", c[0], c[1], c[2]), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(4, 4))
			x, w := randTensor32(rng, c[0], c[1]), randTensor32(rng, c[1], c[2])
			exec := graph.MustNewExec(backend, func(x, w *graph.Node) []*graph.Node {
				y := denseWithVJP(x, w, nil)
				return graph.Gradient(graph.ReduceAllSum(graph.Mul(y, y)), x, w)
			})
			exec.MustCall(x, w)
			cpu0 := cpuTime()
			b.ResetTimer()
			for range b.N {
				for _, t := range exec.MustCall(x, w) {
					t.FinalizeAll()
				}
			}
			b.StopTimer()
			reportCPU(b, cpu0)
		})
	}
}
