//go:build goexperiment.simd && amd64

package gan

import "simd/archsimd"

// adamUpdateFast is adamUpdate with AVX-512 or AVX2 where the CPU has them.
// Lane by lane it does the same float32 operations in the same order (no
// fused multiply-add), so its result is bitwise that of adamUpdate.
//
// The two loops are the same code on 16 and on 8 lanes: archsimd's vector
// types are compiler intrinsics, and a generic version over them is not
// guaranteed to compile to the same instructions, so they are written twice.
func adamUpdateFast(p, g, m, v []float32, c adamCoefficients) {
	n := len(p)
	g, m, v = g[:n], m[:n], v[:n]
	i := 0
	switch {
	case archsimd.X86.AVX512():
		beta1, oneMinusBeta1 := archsimd.BroadcastFloat32x16(c.beta1), archsimd.BroadcastFloat32x16(c.oneMinusBeta1)
		beta2, oneMinusBeta2 := archsimd.BroadcastFloat32x16(c.beta2), archsimd.BroadcastFloat32x16(c.oneMinusBeta2)
		bc2Sqrt, epsilon := archsimd.BroadcastFloat32x16(c.bc2Sqrt), archsimd.BroadcastFloat32x16(c.epsilon)
		negStepSize := archsimd.BroadcastFloat32x16(c.negStepSize)
		for ; i+16 <= n; i += 16 {
			gi := archsimd.LoadFloat32x16Slice(g[i:])
			mi := archsimd.LoadFloat32x16Slice(m[i:]).Mul(beta1).Add(gi.Mul(oneMinusBeta1))
			vi := archsimd.LoadFloat32x16Slice(v[i:]).Mul(beta2).Add(oneMinusBeta2.Mul(gi).Mul(gi))
			mi.StoreSlice(m[i:])
			vi.StoreSlice(v[i:])
			denom := vi.Sqrt().Div(bc2Sqrt).Add(epsilon)
			archsimd.LoadFloat32x16Slice(p[i:]).Add(negStepSize.Mul(mi.Div(denom))).StoreSlice(p[i:])
		}
	case archsimd.X86.AVX2():
		beta1, oneMinusBeta1 := archsimd.BroadcastFloat32x8(c.beta1), archsimd.BroadcastFloat32x8(c.oneMinusBeta1)
		beta2, oneMinusBeta2 := archsimd.BroadcastFloat32x8(c.beta2), archsimd.BroadcastFloat32x8(c.oneMinusBeta2)
		bc2Sqrt, epsilon := archsimd.BroadcastFloat32x8(c.bc2Sqrt), archsimd.BroadcastFloat32x8(c.epsilon)
		negStepSize := archsimd.BroadcastFloat32x8(c.negStepSize)
		for ; i+8 <= n; i += 8 {
			gi := archsimd.LoadFloat32x8Slice(g[i:])
			mi := archsimd.LoadFloat32x8Slice(m[i:]).Mul(beta1).Add(gi.Mul(oneMinusBeta1))
			vi := archsimd.LoadFloat32x8Slice(v[i:]).Mul(beta2).Add(oneMinusBeta2.Mul(gi).Mul(gi))
			mi.StoreSlice(m[i:])
			vi.StoreSlice(v[i:])
			denom := vi.Sqrt().Div(bc2Sqrt).Add(epsilon)
			archsimd.LoadFloat32x8Slice(p[i:]).Add(negStepSize.Mul(mi.Div(denom))).StoreSlice(p[i:])
		}
	}
	// VZEROUPPER: without it the scalar code that runs next on this thread
	// (the tail below, and whatever follows) pays the SSE/AVX transition
	// penalty (see internal/vecmath's leaveSIMD).
	archsimd.ClearAVXUpperBits()
	adamUpdate(p[i:], g[i:], m[i:], v[i:], c)
}
