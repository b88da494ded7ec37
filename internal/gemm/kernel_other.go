//go:build !amd64 || purego

package gemm

var (
	microKernel  = kernelGo
	narrowKernel = narrowKernelGo
	transpose    = transposeGo
	gatherRows   = gatherRowsGo
)

func available() bool { return false }
