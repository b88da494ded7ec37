package mathx

import (
	"fmt"
	"math"
)

// Vec3 is a vector of R³.
type Vec3 [3]float64

// Mat3 is a 3×3 matrix, indexed [row][column].
type Mat3 [3][3]float64

// Add returns a + b.
func (a Vec3) Add(b Vec3) Vec3 { return Vec3{a[0] + b[0], a[1] + b[1], a[2] + b[2]} }

// Sub returns a − b.
func (a Vec3) Sub(b Vec3) Vec3 { return Vec3{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }

// Scale returns s·a.
func (a Vec3) Scale(s float64) Vec3 { return Vec3{s * a[0], s * a[1], s * a[2]} }

// Dot returns a · b.
func (a Vec3) Dot(b Vec3) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }

// Norm returns |a|.
func (a Vec3) Norm() float64 { return math.Sqrt(a.Dot(a)) }

// Cross returns a × b, the cofactor expansion of det[[e1 e2 e3] [a] [b]] along its first row.
func Cross(a, b Vec3) Vec3 {
	return Vec3{
		a[1]*b[2] - a[2]*b[1],
		a[2]*b[0] - a[0]*b[2],
		a[0]*b[1] - a[1]*b[0],
	}
}

// Angle returns the angle between a and b in radians, in [0, π].
// It uses atan2(|a×b|, a·b), which stays accurate near 0 and π where acos does not.
func Angle(a, b Vec3) float64 { return math.Atan2(Cross(a, b).Norm(), a.Dot(b)) }

// Det3 returns the determinant of the matrix whose rows are a, b and c, by the rule of Sarrus
// (written out independently of Cross, so that comparing the two checks something).
func Det3(a, b, c Vec3) float64 {
	return a[0]*b[1]*c[2] + a[1]*b[2]*c[0] + a[2]*b[0]*c[1] -
		a[2]*b[1]*c[0] - a[0]*b[2]*c[1] - a[1]*b[0]*c[2]
}

// TripleProduct returns a · (b × c).
func TripleProduct(a, b, c Vec3) float64 { return a.Dot(Cross(b, c)) }

// Skew returns [a]×, the skew-symmetric matrix with [a]× b = a × b for every b.
func Skew(a Vec3) Mat3 {
	return Mat3{
		{0, -a[2], a[1]},
		{a[2], 0, -a[0]},
		{-a[1], a[0], 0},
	}
}

// Vee is the inverse of Skew: it reads the axial vector ω out of an antisymmetric
// matrix A, so that A v = ω × v. Only the antisymmetric part of A matters.
func Vee(a Mat3) Vec3 {
	return Vec3{
		(a[2][1] - a[1][2]) / 2,
		(a[0][2] - a[2][0]) / 2,
		(a[1][0] - a[0][1]) / 2,
	}
}

// Outer returns the outer product a ⊗ b, the matrix with entries a_i b_j.
func Outer(a, b Vec3) Mat3 {
	var m Mat3
	for i := range 3 {
		for j := range 3 {
			m[i][j] = a[i] * b[j]
		}
	}
	return m
}

// MulVec returns m v.
func (m Mat3) MulVec(v Vec3) Vec3 {
	return Vec3{
		m[0][0]*v[0] + m[0][1]*v[1] + m[0][2]*v[2],
		m[1][0]*v[0] + m[1][1]*v[1] + m[1][2]*v[2],
		m[2][0]*v[0] + m[2][1]*v[1] + m[2][2]*v[2],
	}
}

// Sub returns m − n.
func (m Mat3) Sub(n Mat3) Mat3 {
	var r Mat3
	for i := range 3 {
		for j := range 3 {
			r[i][j] = m[i][j] - n[i][j]
		}
	}
	return r
}

// Add returns m + n.
func (m Mat3) Add(n Mat3) Mat3 { return m.Sub(n.Scale(-1)) }

// Scale returns s·m.
func (m Mat3) Scale(s float64) Mat3 {
	var r Mat3
	for i := range 3 {
		for j := range 3 {
			r[i][j] = s * m[i][j]
		}
	}
	return r
}

// T returns the transpose of m.
func (m Mat3) T() Mat3 {
	var r Mat3
	for i := range 3 {
		for j := range 3 {
			r[i][j] = m[j][i]
		}
	}
	return r
}

// SymAntisym splits m into its symmetric part (m + mᵀ)/2 and antisymmetric part (m − mᵀ)/2.
func (m Mat3) SymAntisym() (sym, antisym Mat3) {
	return m.Add(m.T()).Scale(0.5), m.Sub(m.T()).Scale(0.5)
}

// MaxAbs returns the largest |m_ij|.
func (m Mat3) MaxAbs() float64 {
	var r float64
	for i := range 3 {
		for j := range 3 {
			r = math.Max(r, math.Abs(m[i][j]))
		}
	}
	return r
}

// MaxAbs returns the largest |a_i|.
func (a Vec3) MaxAbs() float64 {
	return math.Max(math.Abs(a[0]), math.Max(math.Abs(a[1]), math.Abs(a[2])))
}

// WedgeComponents returns the number of independent components of a ∧ b in n dimensions,
// n(n−1)/2: it equals n, so that the wedge can be read as a vector, only for n = 3.
func WedgeComponents(n int) int { return n * (n - 1) / 2 }

// String formats m row by row, printing −0 as 0.
func (m Mat3) String() string {
	return fmt.Sprintf("[[%g %g %g] [%g %g %g] [%g %g %g]]",
		m[0][0]+0, m[0][1]+0, m[0][2]+0, m[1][0]+0, m[1][1]+0, m[1][2]+0, m[2][0]+0, m[2][1]+0, m[2][2]+0)
}
