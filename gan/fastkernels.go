package gan

import (
	"runtime"
	"strings"
	"sync"

	"github.com/ganbook/ganbook/internal/gemm"
	"github.com/ganbook/ganbook/internal/vecmath"
	"github.com/gomlx/compute"
)

// matMulKernelSetter and logisticKernelSetter are the methods that ganbook's
// patch of the compute module (third_party/compute, see third_party/README.md)
// adds to the go backend. GoMLX's go backend registers its kernels in an
// internal package, so there is no other way in; built against an unpatched
// module, the backend simply lacks the methods and keeps its own kernels.
type matMulKernelSetter interface {
	SetMatMulFloat32(kernel func(lhsTransposed, rhsTransposed bool, lhs, rhs []float32, batchSize, lhsCrossSize, rhsCrossSize, contractingSize int, output []float32) bool)
}

type logisticKernelSetter interface {
	SetLogisticFloat32(kernel func(input, output []float32))
}

type signKernelSetter interface {
	SetSignFloat32(kernel func(input, output []float32))
}

type tanhKernelSetter interface {
	SetTanhFloat32(kernel func(input, output []float32))
}

type addMulKernelSetter interface {
	SetAddMulFloat32(add, mul func(lhs, rhs, output []float32))
}

type subMaxMinKernelSetter interface {
	SetSubMaxMinFloat32(sub, max, min func(lhs, rhs, output []float32))
}

// useFastKernels makes a go backend run its float32 matrix products with
// internal/gemm (1.4–2.5× the throughput of GoMLX v0.28.2's own AVX-512
// kernel on the GANs' matrices: BenchmarkMatMul in internal/gemm) and its
// float32 sigmoids with internal/vecmath (about 8×, within 2 ulps:
// BenchmarkSigmoid), and its float32 Tanh, Sign, Add, Mul, Sub, Max and Min
// (same shapes, a scalar or a broadcast row) with internal/vecmath too (the
// same bits, vectorized: BenchmarkTanh, BenchmarkAddMul). Each
// needs AVX-512 and the patched module; what it installs, BackendDescription
// names.
func useFastKernels(b compute.Backend) {
	var names []string
	if setter, ok := b.(matMulKernelSetter); ok && gemm.Available {
		setter.SetMatMulFloat32(gemmMatMul)
		names = append(names, "float32 matmul: ganbook internal/gemm (AVX-512)")
	}
	if setter, ok := b.(logisticKernelSetter); ok && vecmath.HasSIMD {
		setter.SetLogisticFloat32(vecmath.Sigmoid)
		names = append(names, "float32 sigmoid: ganbook internal/vecmath (AVX-512)")
	}
	if setter, ok := b.(signKernelSetter); ok && vecmath.HasSIMD {
		setter.SetSignFloat32(vecmath.Sign)
		names = append(names, "float32 sign: ganbook internal/vecmath (AVX-512)")
	}
	if setter, ok := b.(tanhKernelSetter); ok && vecmath.HasSIMD {
		setter.SetTanhFloat32(vecmath.Tanh)
		names = append(names, "float32 tanh: ganbook internal/vecmath (AVX-512)")
	}
	if setter, ok := b.(addMulKernelSetter); ok && vecmath.HasSIMD {
		setter.SetAddMulFloat32(vecmath.Add, vecmath.Mul)
		names = append(names, "float32 add, mul: ganbook internal/vecmath (AVX-512)")
	}
	if setter, ok := b.(subMaxMinKernelSetter); ok && vecmath.HasSIMD {
		setter.SetSubMaxMinFloat32(vecmath.Sub, vecmath.Max, vecmath.Min)
		names = append(names, "float32 sub, max, min: ganbook internal/vecmath (AVX-512)")
	}
	if len(names) > 0 {
		installedKernels.Store(b, strings.Join(names, ", "))
	}
}

// GoMLX v0.28.2's go backend (compute v0.1.2, dot/matmul/avx512_router.go)
// runs a product whose batch·m·n·k is under goMLXSmallFlops, with more than
// goMLXSmallVector columns, with its small-product kernel, one fused
// multiply-add chain per value over the whole contraction; larger ones with
// its blocked kernel, whose sums gemm.SumSelections does not reproduce.
// TestSumsOverRowsSameBitsAsGoMLX checks both sides of the bound.
const (
	goMLXSmallFlops  = 4 << 20
	goMLXSmallVector = 16
)

// installedKernels maps each backend useFastKernels changed to the words
// BackendDescription adds for it.
var installedKernels sync.Map

// gemmMatMul is the matmul kernel useFastKernels installs. Products thinner
// than gemm.MinRows × gemm.MinCols go back to GoMLX's kernels, except the
// sums over rows that gan/blocks writes as a row of ones times a matrix
// (batch norms' statistics and gradients, biases' gradients): GoMLX's
// small-product kernel sums the contraction in order in one pass, loading
// and storing the output at every step; gemm.SumSelections adds the rows in
// registers, with the same bits.
func gemmMatMul(lhsTransposed, rhsTransposed bool, lhs, rhs []float32, batchSize, lhsCrossSize, rhsCrossSize, contractingSize int, output []float32) bool {
	return gemmMatMulOn(runtime.GOMAXPROCS(0), lhsTransposed, rhsTransposed, lhs, rhs, batchSize, lhsCrossSize, rhsCrossSize, contractingSize, output)
}

// gemmMatMulOn is gemmMatMul split over at most workers goroutines.
func gemmMatMulOn(workers int, lhsTransposed, rhsTransposed bool, lhs, rhs []float32, batchSize, lhsCrossSize, rhsCrossSize, contractingSize int, output []float32) bool {
	if lhsCrossSize < gemm.MinRows || rhsCrossSize < gemm.MinCols {
		if lhsTransposed || rhsTransposed || rhsCrossSize <= goMLXSmallVector ||
			batchSize*lhsCrossSize*rhsCrossSize*contractingSize >= goMLXSmallFlops {
			return false
		}
		return gemm.SumSelections(lhs, rhs, batchSize, lhsCrossSize, rhsCrossSize, contractingSize, output, workers)
	}
	gemm.MatMul(lhsTransposed, rhsTransposed, lhs, rhs, batchSize, lhsCrossSize, rhsCrossSize, contractingSize, output, workers)
	return true
}
