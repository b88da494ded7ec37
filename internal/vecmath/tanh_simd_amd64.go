//go:build goexperiment.simd && amd64

package vecmath

import "simd/archsimd"

// tanhSIMD does 16 values at a time, as two halves of 8 in float64, and
// returns how many it did.
//
// It is Go's math.Tanh, operation for operation, so that each float64 result
// is the one math.Tanh returns before the rounding to float32: the same
// rational polynomial below 0.625; above, 1 − 2/(e^(2|x|)+1) with e^y
// computed as the amd64 math.Exp does on a CPU with FMA (every AVX-512 CPU):
// y = k·ln2 + r with k = round(y·log2(e)) and ln2 in two parts, fused;
// e^(r/16) by its Taylor polynomial, fused; squared four times as
// (t+2)·t; times 2^k. Here y = 2|x| lies in [1.25, 88.03], so neither
// math.Exp's overflow nor its subnormal branch can arise. Go does not fuse
// math.Tanh's own multiplications and additions on amd64 (GOAMD64=v1, the
// default), so neither does this.
func tanhSIMD(in, out []float32) int {
	const (
		halfMaxLog = 0.5 * 8.8029691931113054295988e+01 // math.Tanh's 0.5·MAXLOG
		log2e      = 1.4426950408889634073599246810018920
		ln2U       = 0.69314718055966295651160180568695068359375
		ln2L       = 0.28235290563031577122588448175013436025525412068e-12
	)
	bcast := archsimd.BroadcastFloat64x8
	p0, p1, p2 := bcast(-9.64399179425052238628e-1), bcast(-9.92877231001918586564e1), bcast(-1.61468768441708447952e3)
	q0, q1, q2 := bcast(1.12811678491632931402e2), bcast(2.23548839060100448583e3), bcast(4.84406305325125486048e3)
	t0, t1, t2, t3 := bcast(0.5), bcast(1.0), bcast(1.6666666666666666667e-1), bcast(4.1666666666666666667e-2)
	t4, t5, t6, t7 := bcast(8.3333333333333333333e-3), bcast(1.3888888888888888889e-3), bcast(1.9841269841269841270e-4), bcast(2.4801587301587301587e-5)
	one, two, zero, sixteenth := bcast(1), bcast(2), bcast(0), bcast(0.0625)
	limit, middle := bcast(halfMaxLog), bcast(0.625)
	log2E, negLn2U, negLn2L := bcast(log2e), bcast(-ln2U), bcast(-ln2L)
	bias := archsimd.BroadcastInt64x8(0x3FF)
	tanh8 := func(x archsimd.Float64x8) archsimd.Float64x8 {
		z := x.Max(zero.Sub(x)) // |x| (a NaN stays in the polynomial below)
		// Below 0.625: x + x·s·P(s)/Q(s), s = x².
		s := x.Mul(x)
		num := p0.Mul(s).Add(p1).Mul(s).Add(p2)
		den := s.Add(q0).Mul(s).Add(q1).Mul(s).Add(q2)
		small := x.Add(x.Mul(s).Mul(num).Div(den))
		small = x.Merge(small, x.Equal(zero)) // ±0 stays ±0
		// From 0.625: 1 − 2/(e^(2z)+1), negated for x < 0.
		y := z.Add(z)
		k := y.Mul(log2E).RoundToEvenScaled(0)
		r := k.MulAdd(negLn2U, y)
		r = k.MulAdd(negLn2L, r)
		r = r.Mul(sixteenth)
		e := t7.MulAdd(r, t6).MulAdd(r, t5).MulAdd(r, t4).MulAdd(r, t3).MulAdd(r, t2).MulAdd(r, t0).MulAdd(r, t1)
		r = r.Mul(e)
		r = r.Mul(r.Add(two))
		r = r.Mul(r.Add(two))
		r = r.Mul(r.Add(two))
		r = r.MulAdd(r.Add(two), one)
		scale := k.ConvertToInt64().Add(bias).ShiftAllLeft(52).AsFloat64x8()
		large := one.Sub(two.Div(r.Mul(scale).Add(one)))
		large = zero.Sub(large).Merge(large, x.Less(zero))
		// Beyond 0.5·MAXLOG: ±1.
		bound := zero.Sub(one).Merge(one, x.Less(zero))
		return bound.Merge(large.Merge(small, z.GreaterEqual(middle)), z.Greater(limit))
	}
	n := len(in) &^ 15
	for i := 0; i < n; i += 16 {
		x := archsimd.LoadFloat32x16Slice(in[i:])
		lo := tanh8(x.GetLo().ConvertToFloat64()).ConvertToFloat32()
		hi := tanh8(x.GetHi().ConvertToFloat64()).ConvertToFloat32()
		x.SetLo(lo).SetHi(hi).StoreSlice(out[i:])
	}
	return n
}
