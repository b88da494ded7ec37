//go:build goexperiment.simd && amd64

package vecmath

import "simd/archsimd"

// addSIMD, mulSIMD, subSIMD, maxSIMD and minSIMD do 16 values at a time and
// return how many they did. Each has its own loop so that the operation
// compiles inline.
func addSIMD(a, b, out []float32) int {
	n := len(a) &^ 15
	if len(b) == 1 {
		c := archsimd.BroadcastFloat32x16(b[0])
		for i := 0; i < n; i += 16 {
			archsimd.LoadFloat32x16Slice(a[i:]).Add(c).StoreSlice(out[i:])
		}
		return n
	}
	b = b[:len(a)]
	for i := 0; i < n; i += 16 {
		archsimd.LoadFloat32x16Slice(a[i:]).Add(archsimd.LoadFloat32x16Slice(b[i:])).StoreSlice(out[i:])
	}
	return n
}

func mulSIMD(a, b, out []float32) int {
	n := len(a) &^ 15
	if len(b) == 1 {
		c := archsimd.BroadcastFloat32x16(b[0])
		for i := 0; i < n; i += 16 {
			archsimd.LoadFloat32x16Slice(a[i:]).Mul(c).StoreSlice(out[i:])
		}
		return n
	}
	b = b[:len(a)]
	for i := 0; i < n; i += 16 {
		archsimd.LoadFloat32x16Slice(a[i:]).Mul(archsimd.LoadFloat32x16Slice(b[i:])).StoreSlice(out[i:])
	}
	return n
}

func subSIMD(a, b, out []float32) int {
	n := len(a) &^ 15
	if len(b) == 1 {
		c := archsimd.BroadcastFloat32x16(b[0])
		for i := 0; i < n; i += 16 {
			archsimd.LoadFloat32x16Slice(a[i:]).Sub(c).StoreSlice(out[i:])
		}
		return n
	}
	b = b[:len(a)]
	for i := 0; i < n; i += 16 {
		archsimd.LoadFloat32x16Slice(a[i:]).Sub(archsimd.LoadFloat32x16Slice(b[i:])).StoreSlice(out[i:])
	}
	return n
}

// maxSIMD and minSIMD follow Go's max and min, not VMAXPS/VMINPS alone: those
// return one fixed operand when either is NaN or both are zero. Equal values
// (±0 included) take the bitwise and (max: +0 unless both are −0) or or
// (min), a NaN operand is passed through.
func maxSIMD(a, b, out []float32) int {
	n := len(a) &^ 15
	if len(b) == 1 {
		c := archsimd.BroadcastFloat32x16(b[0])
		for i := 0; i < n; i += 16 {
			maxOf(archsimd.LoadFloat32x16Slice(a[i:]), c).StoreSlice(out[i:])
		}
		return n
	}
	b = b[:len(a)]
	for i := 0; i < n; i += 16 {
		maxOf(archsimd.LoadFloat32x16Slice(a[i:]), archsimd.LoadFloat32x16Slice(b[i:])).StoreSlice(out[i:])
	}
	return n
}

func minSIMD(a, b, out []float32) int {
	n := len(a) &^ 15
	if len(b) == 1 {
		c := archsimd.BroadcastFloat32x16(b[0])
		for i := 0; i < n; i += 16 {
			minOf(archsimd.LoadFloat32x16Slice(a[i:]), c).StoreSlice(out[i:])
		}
		return n
	}
	b = b[:len(a)]
	for i := 0; i < n; i += 16 {
		minOf(archsimd.LoadFloat32x16Slice(a[i:]), archsimd.LoadFloat32x16Slice(b[i:])).StoreSlice(out[i:])
	}
	return n
}

func maxOf(x, y archsimd.Float32x16) archsimd.Float32x16 {
	r := x.AsInt32x16().And(y.AsInt32x16()).AsFloat32x16().Merge(x.Max(y), x.Equal(y))
	return y.Merge(x.Merge(r, x.IsNaN()), y.IsNaN())
}

func minOf(x, y archsimd.Float32x16) archsimd.Float32x16 {
	r := x.AsInt32x16().Or(y.AsInt32x16()).AsFloat32x16().Merge(x.Min(y), x.Equal(y))
	return y.Merge(x.Merge(r, x.IsNaN()), y.IsNaN())
}

// signSIMD does 16 values at a time and returns how many it did: two
// comparisons and two blends, no branch (a NaN compares false both ways).
func signSIMD(in, out []float32) int {
	one, negOne, zero := archsimd.BroadcastFloat32x16(1), archsimd.BroadcastFloat32x16(-1), archsimd.BroadcastFloat32x16(0)
	n := len(in) &^ 15
	for i := 0; i < n; i += 16 {
		x := archsimd.LoadFloat32x16Slice(in[i:])
		negOne.Merge(one.Merge(zero, x.Greater(zero)), x.Less(zero)).StoreSlice(out[i:])
	}
	return n
}

// sumRowsSIMD does SumRows, 16 values at a time, and returns n, the values of
// each row it did. Each block of up to 64 values of a row is summed in
// registers, +0 plus each source row in order, and stored once.
func sumRowsSIMD(out, src []float32, n int, starts, rows []int32) int {
	whole := n &^ 63 // the values in whole 64-value blocks
	var zero archsimd.Float32x16
	for r := range len(starts) - 1 {
		sel := rows[starts[r]:starts[r+1]]
		dst := out[r*n : r*n+n]
		if len(sel) == 0 {
			clear(dst)
			continue
		}
		q := 0
		for ; q < whole; q += 64 {
			first := src[int(sel[0])*n+q:][:64]
			s0 := zero.Add(archsimd.LoadFloat32x16Slice(first[0:16]))
			s1 := zero.Add(archsimd.LoadFloat32x16Slice(first[16:32]))
			s2 := zero.Add(archsimd.LoadFloat32x16Slice(first[32:48]))
			s3 := zero.Add(archsimd.LoadFloat32x16Slice(first[48:64]))
			for _, j := range sel[1:] {
				next := src[int(j)*n+q:][:64]
				s0 = s0.Add(archsimd.LoadFloat32x16Slice(next[0:16]))
				s1 = s1.Add(archsimd.LoadFloat32x16Slice(next[16:32]))
				s2 = s2.Add(archsimd.LoadFloat32x16Slice(next[32:48]))
				s3 = s3.Add(archsimd.LoadFloat32x16Slice(next[48:64]))
			}
			d := dst[q : q+64]
			s0.StoreSlice(d[0:16])
			s1.StoreSlice(d[16:32])
			s2.StoreSlice(d[32:48])
			s3.StoreSlice(d[48:64])
		}
		for ; q < n; q += 16 { // the last block may be short: loaded zero-filled, stored in part
			l := min(16, n-q)
			mask := archsimd.Mask32x16FromBits(0xffff >> (16 - l))
			s := zero.Add(loadPart(src, int(sel[0])*n+q, l, mask))
			for _, j := range sel[1:] {
				s = s.Add(loadPart(src, int(j)*n+q, l, mask))
			}
			storePart(s, dst, q, l, mask)
		}
	}
	return n
}

// loadPart loads s[at:at+l] (1 ≤ l ≤ 16; mask has the low l bits set), the
// rest of the vector zero, and storePart stores x's first l values there.
// They do what archsimd's LoadFloat32x16SlicePart and StoreSlicePart do,
// which convert a short slice to *[16]float32 and so fail the runtime's
// pointer checks (go test -race; golang/go#78413): a masked load or store
// through s's capacity where it reaches 16 values, else through a copy.
func loadPart(s []float32, at, l int, mask archsimd.Mask32x16) archsimd.Float32x16 {
	if at+16 <= cap(s) {
		return archsimd.LoadMaskedFloat32x16((*[16]float32)(s[at:at+16]), mask)
	}
	return loadCopy(s[at : at+l])
}

func loadCopy(s []float32) archsimd.Float32x16 {
	var buf [16]float32
	copy(buf[:], s)
	return archsimd.LoadFloat32x16(&buf)
}

func storePart(x archsimd.Float32x16, s []float32, at, l int, mask archsimd.Mask32x16) {
	if at+16 <= cap(s) {
		x.StoreMasked((*[16]float32)(s[at:at+16]), mask)
		return
	}
	storeCopy(x, s[at:at+l])
}

func storeCopy(x archsimd.Float32x16, s []float32) {
	var buf [16]float32
	x.Store(&buf)
	copy(s, buf[:len(s)])
}
