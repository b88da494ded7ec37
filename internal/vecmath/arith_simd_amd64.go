//go:build goexperiment.simd && amd64

package vecmath

import "simd/archsimd"

// addSIMD and mulSIMD do 16 values at a time and return how many they did.
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
