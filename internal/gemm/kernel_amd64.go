//go:build amd64 && !purego

package gemm

import "golang.org/x/sys/cpu"

// kernel8x32 is the AVX-512 micro-kernel (kernel_amd64.s).
//
//go:noescape
func kernel8x32(kc int, a *float32, aRow, aStep int, b *float32, ldb int, c *float32, ldc int, rows int, accumulate bool)

// kernel8x16 is the micro-kernel for a B panel at most 16 columns wide
// (kernel_amd64.s).
//
//go:noescape
func kernel8x16(kc int, a *float32, aRow, aStep int, b *float32, ldb int, c *float32, ldc int, rows, cols int, accumulate bool)

// transpose8 is the 8×8 block transpose of interleave8 (transpose_amd64.s).
//
//go:noescape
func transpose8(rows *[8]*float32, dst *float32, dstStride int, blocks int)

// gatherRows8 copies 8 adjacent values from each of n rows (transpose_amd64.s).
//
//go:noescape
func gatherRows8(dst *float32, src *float32, srcStride int, n int)

func available() bool { return cpu.X86.HasAVX512F }

// microKernel, narrowKernel and transpose are the assembly versions where
// the CPU has AVX-512F (the transpose needs only AVX, which such CPUs have),
// else Go.
var (
	microKernel  = kernelGo
	narrowKernel = narrowKernelGo
	transpose    = transposeGo
	gatherRows   = gatherRowsGo
)

func init() {
	if available() {
		microKernel, narrowKernel, transpose, gatherRows = kernel8x32, kernel8x16, transpose8, gatherRows8
	}
}
