package vecmath

import "math"

// Tanh sets out[i] = tanh(in[i]) with the bits GoMLX's go backend gives:
// float32(math.Tanh(float64(in[i]))), every value (TestTanhMatchesMathTanh).
// out must be at least as long as in; in and out may be the same slice.
func Tanh(in, out []float32) { unary(in, out, tanhSIMD, tanhScalar) }

func tanhScalar(x float32) float32 { return float32(math.Tanh(float64(x))) }
