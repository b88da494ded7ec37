//go:build !amd64 || purego

package gemm

var (
	microKernel = kernelGo
	transpose   = transposeGo
)

func available() bool { return false }
