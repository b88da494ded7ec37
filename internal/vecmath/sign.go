package vecmath

// Sign sets out[i] to −1 where in[i] < 0, 1 where in[i] > 0 and +0 elsewhere
// (±0 and NaN), as GoMLX's go backend computes Sign. out must be at least as
// long as in; in and out may be the same slice.
func Sign(in, out []float32) { unary(in, out, signSIMD, signScalar) }

func signScalar(x float32) float32 {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}
