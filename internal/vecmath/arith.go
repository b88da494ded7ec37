package vecmath

// Add sets out[i] = a[i] + b[i], or a[i] + b[0] when len(b) == 1, rounded to
// float32 as Go's float32 addition rounds (the vectorized loop gives the same
// bits). out must be at least as long as a and may be a or b; otherwise b has
// a's length.
func Add(a, b, out []float32) {
	out = out[:len(a)]
	n := 0
	if HasSIMD {
		n = addSIMD(a, b, out)
	}
	if len(b) == 1 {
		c := b[0]
		for i := n; i < len(a); i++ {
			out[i] = a[i] + c
		}
		return
	}
	b = b[:len(a)]
	for i := n; i < len(a); i++ {
		out[i] = a[i] + b[i]
	}
}

// Mul sets out[i] = a[i]·b[i], or a[i]·b[0] when len(b) == 1, with the same
// rounding and slice rules as Add.
func Mul(a, b, out []float32) {
	out = out[:len(a)]
	n := 0
	if HasSIMD {
		n = mulSIMD(a, b, out)
	}
	if len(b) == 1 {
		c := b[0]
		for i := n; i < len(a); i++ {
			out[i] = a[i] * c
		}
		return
	}
	b = b[:len(a)]
	for i := n; i < len(a); i++ {
		out[i] = a[i] * b[i]
	}
}
