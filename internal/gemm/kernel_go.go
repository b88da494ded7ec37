package gemm

import "unsafe"

// kernelGo is kernel8x32 in plain Go, for CPUs and architectures without the
// assembly one: the same tile, the same summation order per value (but
// separate multiply and add where the assembly fuses them).
func kernelGo(kc int, a *float32, aRow, aStep int, b *float32, ldb int, c *float32, ldc int, rows int, accumulate bool) {
	tileGo(tileCols, kc, a, aRow, aStep, b, ldb, c, ldc, rows, tileCols, accumulate)
}

// narrowKernelGo is kernel8x16 in plain Go: kernelGo's sums for the first
// cols (≤ 16) columns of the tile, the only ones it reads or writes in c.
func narrowKernelGo(kc int, a *float32, aRow, aStep int, b *float32, ldb int, c *float32, ldc int, rows, cols int, accumulate bool) {
	tileGo(narrowCols, kc, a, aRow, aStep, b, ldb, c, ldc, rows, cols, accumulate)
}

// tileGo computes a tile width columns wide and writes its first cols
// columns of its first rows rows.
func tileGo(width, kc int, a *float32, aRow, aStep int, b *float32, ldb int, c *float32, ldc int, rows, cols int, accumulate bool) {
	var acc [tileRows][tileCols]float32
	for p := range kc {
		bRow := unsafe.Slice((*float32)(unsafe.Add(unsafe.Pointer(b), 4*p*ldb)), width)
		for r := range tileRows {
			av := *(*float32)(unsafe.Add(unsafe.Pointer(a), 4*(r*aRow+p*aStep)))
			for j, bv := range bRow {
				acc[r][j] += av * bv
			}
		}
	}
	for r := range rows {
		row := unsafe.Slice((*float32)(unsafe.Add(unsafe.Pointer(c), 4*r*ldc)), cols)
		for j := range row {
			if accumulate {
				row[j] += acc[r][j]
			} else {
				row[j] = acc[r][j]
			}
		}
	}
}

// transposeGo is transpose8 in plain Go.
func transposeGo(rows *[8]*float32, dst *float32, dstStride int, blocks int) {
	for p := range blocks * 8 {
		out := unsafe.Slice((*float32)(unsafe.Add(unsafe.Pointer(dst), 4*p*dstStride)), 8)
		for i, row := range rows {
			out[i] = *(*float32)(unsafe.Add(unsafe.Pointer(row), 4*p))
		}
	}
}

// gatherRowsGo is gatherRows8 in plain Go.
func gatherRowsGo(dst *float32, src *float32, srcStride int, n int) {
	for p := range n {
		out := unsafe.Slice((*float32)(unsafe.Add(unsafe.Pointer(dst), 4*8*p)), 8)
		copy(out, unsafe.Slice((*float32)(unsafe.Add(unsafe.Pointer(src), 4*p*srcStride)), 8))
	}
}
