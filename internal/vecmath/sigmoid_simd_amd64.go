//go:build goexperiment.simd && amd64

package vecmath

import "simd/archsimd"

func hasSIMD() bool { return archsimd.X86.AVX512() }

// leaveSIMD ends a vectorized loop with VZEROUPPER. Go's compiler does not
// emit it after AVX-512 code, and until it runs, every SSE instruction the
// thread executes next (all of Go's scalar float32/float64 arithmetic, the
// scalar tails here, math.Exp) pays the CPU's transition penalty: 128 calls
// of math.Exp took 130–270 µs after a vectorized loop instead of about 2 µs
// (BenchmarkScalarAfterSIMD).
func leaveSIMD() { archsimd.ClearAVXUpperBits() }

// sigmoidSIMD does 16 values at a time and returns how many it did.
//
// e^(−x) is Cephes' expf: −x = n·ln2 + r with |r| ≤ ln2/2 (ln2 split in two
// parts so that n·ln2 is exact), e^r by its degree-7 minimax polynomial, 2^n
// by writing n into the exponent bits. −x is clamped to [−87, 88] so that
// 2^n stays a normal float32: beyond, the sigmoid is 1 or within 1e-38 of 0.
func sigmoidSIMD(in, out []float32) int {
	const (
		log2e = 1.44269504088896341
		ln2Hi = 0.693359375
		ln2Lo = -2.12194440e-4
	)
	one := archsimd.BroadcastFloat32x16(1)
	lo, hi := archsimd.BroadcastFloat32x16(-87), archsimd.BroadcastFloat32x16(88)
	log2E := archsimd.BroadcastFloat32x16(log2e)
	negLn2Hi, negLn2Lo := archsimd.BroadcastFloat32x16(-ln2Hi), archsimd.BroadcastFloat32x16(-ln2Lo)
	c0 := archsimd.BroadcastFloat32x16(1.9875691500e-4)
	c1 := archsimd.BroadcastFloat32x16(1.3981999507e-3)
	c2 := archsimd.BroadcastFloat32x16(8.3334519073e-3)
	c3 := archsimd.BroadcastFloat32x16(4.1665795894e-2)
	c4 := archsimd.BroadcastFloat32x16(1.6666665459e-1)
	c5 := archsimd.BroadcastFloat32x16(5.0000001201e-1)
	bias := archsimd.BroadcastInt32x16(127)
	zero := archsimd.BroadcastFloat32x16(0)
	n := len(in) &^ 15
	for i := 0; i < n; i += 16 {
		x := archsimd.LoadFloat32x16Slice(in[i:])
		t := zero.Sub(x).Max(lo).Min(hi) // −x, clamped
		k := t.Mul(log2E).RoundToEvenScaled(0)
		r := k.MulAdd(negLn2Hi, t)
		r = k.MulAdd(negLn2Lo, r)
		p := c0.MulAdd(r, c1)
		p = p.MulAdd(r, c2)
		p = p.MulAdd(r, c3)
		p = p.MulAdd(r, c4)
		p = p.MulAdd(r, c5)
		e := p.Mul(r).MulAdd(r, r).Add(one) // 1 + r + p·r²
		scale := k.ConvertToInt32().Add(bias).ShiftAllLeft(23).AsFloat32x16()
		s := one.Div(e.MulAdd(scale, one))
		// NaN in, NaN out (the clamp above would have turned it into a number).
		s.Merge(x, x.Equal(x)).StoreSlice(out[i:])
	}
	return n
}
