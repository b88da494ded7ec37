package vecmath

import "math"

// HasSIMD reports whether the package's functions run vectorized here
// (GOEXPERIMENT=simd builds on amd64 CPUs with AVX-512F); otherwise they
// compute value by value.
var HasSIMD = hasSIMD()

// Sigmoid sets out[i] = 1/(1+e^(−in[i])). out must be at least as long as in;
// in and out may be the same slice.
func Sigmoid(in, out []float32) { unary(in, out, sigmoidSIMD, sigmoidScalar) }

// unary sets out[i] = f(in[i]): the vectorized loop does the longest prefix
// it can, 16 values at a time, and scalar the rest, fewer than 16 values
// where SIMD is available.
func unary(in, out []float32, vectorized func(in, out []float32) int, scalar func(x float32) float32) {
	out = out[:len(in)]
	n := 0
	if HasSIMD {
		n = vectorized(in, out)
		leaveSIMD()
	}
	for i := n; i < len(in); i++ {
		out[i] = scalar(in[i])
	}
}

// sigmoidScalar is the reference: float64 arithmetic, rounded once.
func sigmoidScalar(x float32) float32 {
	if x >= 0 {
		return float32(1 / (1 + math.Exp(-float64(x))))
	}
	e := math.Exp(float64(x))
	return float32(e / (1 + e))
}
