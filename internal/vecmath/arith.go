package vecmath

// Add sets out[i] = a[i] + b[i], or a[i] + b[0] when len(b) == 1, rounded to
// float32 as Go's float32 addition rounds (the vectorized loop gives the same
// bits). out must be at least as long as a and may be a or b; otherwise b has
// a's length.
func Add(a, b, out []float32) {
	elementwise(a, b, out, addSIMD, func(x, y float32) float32 { return x + y })
}

// Mul sets out[i] = a[i]·b[i], or a[i]·b[0] when len(b) == 1, with the same
// rounding and slice rules as Add.
func Mul(a, b, out []float32) {
	elementwise(a, b, out, mulSIMD, func(x, y float32) float32 { return x * y })
}

// Sub sets out[i] = a[i] − b[i], or a[i] − b[0] when len(b) == 1, with the
// same rounding and slice rules as Add.
func Sub(a, b, out []float32) {
	elementwise(a, b, out, subSIMD, func(x, y float32) float32 { return x - y })
}

// Max sets out[i] = max(a[i], b[i]), or max(a[i], b[0]) when len(b) == 1, as
// Go's max does: NaN if either is NaN, +0 for +0 and −0. Slices as in Add.
func Max(a, b, out []float32) {
	elementwise(a, b, out, maxSIMD, func(x, y float32) float32 { return max(x, y) })
}

// Min sets out[i] = min(a[i], b[i]), or min(a[i], b[0]) when len(b) == 1, as
// Go's min does: NaN if either is NaN, −0 for +0 and −0. Slices as in Add.
func Min(a, b, out []float32) {
	elementwise(a, b, out, minSIMD, func(x, y float32) float32 { return min(x, y) })
}

// elementwise sets out[i] = op(a[i], b[i]) (b[0] for a scalar b): the
// vectorized loop does the longest prefix it can, 16 values at a time, and op
// the rest, fewer than 16 values where SIMD is available.
func elementwise(a, b, out []float32, vectorized func(a, b, out []float32) int, op func(x, y float32) float32) {
	out = out[:len(a)]
	n := 0
	if HasSIMD {
		n = vectorized(a, b, out)
		leaveSIMD()
	}
	if len(b) == 1 {
		c := b[0]
		for i := n; i < len(a); i++ {
			out[i] = op(a[i], c)
		}
		return
	}
	b = b[:len(a)]
	for i := n; i < len(a); i++ {
		out[i] = op(a[i], b[i])
	}
}
