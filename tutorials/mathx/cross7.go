package mathx

import "math"

// Vec7 is a vector of R⁷.
type Vec7 [7]float64

// fanoLines are the seven oriented lines (i, j, k) of the Fano plane with e_i × e_j = e_k,
// 0-based: (i, i+1, i+3) mod 7. This is the multiplication table of the imaginary octonions.
var fanoLines = func() [7][3]int {
	var l [7][3]int
	for i := range 7 {
		l[i] = [3]int{i, (i + 1) % 7, (i + 3) % 7}
	}
	return l
}()

// Cross7 returns the seven-dimensional cross product a × b defined by the Fano plane:
// e_i × e_j = e_k and its cyclic permutations for each line (i, j, k), with the sign flipped
// when two factors are swapped.
func Cross7(a, b Vec7) Vec7 {
	var c Vec7
	for _, l := range fanoLines {
		for r := range 3 { // the three cyclic rotations (i,j,k), (j,k,i), (k,i,j)
			i, j, k := l[r], l[(r+1)%3], l[(r+2)%3]
			c[k] += a[i]*b[j] - a[j]*b[i]
		}
	}
	return c
}

// Dot returns a · b.
func (a Vec7) Dot(b Vec7) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// Norm returns |a|.
func (a Vec7) Norm() float64 { return math.Sqrt(a.Dot(a)) }

// Add returns a + b.
func (a Vec7) Add(b Vec7) Vec7 {
	for i := range a {
		a[i] += b[i]
	}
	return a
}

// MaxAbs returns the largest |a_i|.
func (a Vec7) MaxAbs() float64 {
	var m float64
	for _, x := range a {
		m = math.Max(m, math.Abs(x))
	}
	return m
}

// Jacobi7 returns a×(b×c) + b×(c×a) + c×(a×b) in seven dimensions, which, unlike in three,
// is not zero in general: the 7-D cross product does not make R⁷ a Lie algebra.
func Jacobi7(a, b, c Vec7) Vec7 {
	return Cross7(a, Cross7(b, c)).Add(Cross7(b, Cross7(c, a))).Add(Cross7(c, Cross7(a, b)))
}

// Jacobi returns a×(b×c) + b×(c×a) + c×(a×b), which is zero in three dimensions.
func Jacobi(a, b, c Vec3) Vec3 {
	return Cross(a, Cross(b, c)).Add(Cross(b, Cross(c, a))).Add(Cross(c, Cross(a, b)))
}

// BACCAB7 returns a×(b×c) − (b(a·c) − c(a·b)) in seven dimensions: the "BAC − CAB" expansion of
// the triple cross product, exact in three dimensions, fails for the 7-D product; this is by how
// much.
func BACCAB7(a, b, c Vec7) Vec7 {
	lhs := Cross7(a, Cross7(b, c))
	ac, ab := a.Dot(c), a.Dot(b)
	var r Vec7
	for i := range r {
		r[i] = lhs[i] - (b[i]*ac - c[i]*ab)
	}
	return r
}

// BACCAB returns a×(b×c) − (b(a·c) − c(a·b)) in three dimensions, zero up to rounding.
func BACCAB(a, b, c Vec3) Vec3 {
	return Cross(a, Cross(b, c)).Sub(b.Scale(a.Dot(c)).Sub(c.Scale(a.Dot(b))))
}

// Sub returns a − b.
func (a Vec7) Sub(b Vec7) Vec7 {
	var c Vec7
	for i := range c {
		c[i] = a[i] - b[i]
	}
	return c
}
