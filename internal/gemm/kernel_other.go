//go:build !amd64 || purego

package gemm

func kernel8x32(kc int, a *float32, aRow, aStep int, b *float32, ldb int, c *float32, ldc int, accumulate bool) {
	panic("gemm: no micro-kernel for this architecture")
}

func available() bool { return false }

func transpose8(rows *[8]*float32, dst *float32, dstStride int, blocks int) {
	panic("gemm: no transpose for this architecture")
}
