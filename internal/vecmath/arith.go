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

// Sub sets out[i] = a[i] − b[i], or a[i] − b[0] when len(b) == 1, with the
// same rounding and slice rules as Add.
func Sub(a, b, out []float32) {
	out = out[:len(a)]
	n := 0
	if HasSIMD {
		n = subSIMD(a, b, out)
	}
	if len(b) == 1 {
		c := b[0]
		for i := n; i < len(a); i++ {
			out[i] = a[i] - c
		}
		return
	}
	b = b[:len(a)]
	for i := n; i < len(a); i++ {
		out[i] = a[i] - b[i]
	}
}

// Max sets out[i] = max(a[i], b[i]), or max(a[i], b[0]) when len(b) == 1, as
// Go's max does: NaN if either is NaN, +0 for +0 and −0. Slices as in Add.
func Max(a, b, out []float32) {
	out = out[:len(a)]
	n := 0
	if HasSIMD {
		n = maxSIMD(a, b, out)
	}
	if len(b) == 1 {
		c := b[0]
		for i := n; i < len(a); i++ {
			out[i] = max(a[i], c)
		}
		return
	}
	b = b[:len(a)]
	for i := n; i < len(a); i++ {
		out[i] = max(a[i], b[i])
	}
}

// Min sets out[i] = min(a[i], b[i]), or min(a[i], b[0]) when len(b) == 1, as
// Go's min does: NaN if either is NaN, −0 for +0 and −0. Slices as in Add.
func Min(a, b, out []float32) {
	out = out[:len(a)]
	n := 0
	if HasSIMD {
		n = minSIMD(a, b, out)
	}
	if len(b) == 1 {
		c := b[0]
		for i := n; i < len(a); i++ {
			out[i] = min(a[i], c)
		}
		return
	}
	b = b[:len(a)]
	for i := n; i < len(a); i++ {
		out[i] = min(a[i], b[i])
	}
}
