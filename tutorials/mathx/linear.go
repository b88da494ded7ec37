package mathx

import (
	"math"
	"math/cmplx"
)

// CharPoly3 returns the coefficients of det(λI − m) = λ³ + c2·λ² + c1·λ + c0.
func CharPoly3(m Mat3) (c2, c1, c0 float64) {
	tr := m[0][0] + m[1][1] + m[2][2]
	minors := m[0][0]*m[1][1] - m[0][1]*m[1][0] +
		m[0][0]*m[2][2] - m[0][2]*m[2][0] +
		m[1][1]*m[2][2] - m[1][2]*m[2][1]
	det := Det3(Vec3(m[0]), Vec3(m[1]), Vec3(m[2]))
	return -tr, minors, -det
}

// Eigenvalues3 returns the three eigenvalues of m, the real root of its characteristic
// polynomial first (found by bisection, which cannot miss it: a real cubic changes sign), then
// the two roots of the quadratic factor left after dividing it out.
func Eigenvalues3(m Mat3) []complex128 {
	c2, c1, c0 := CharPoly3(m)
	p := func(x float64) float64 { return ((x+c2)*x+c1)*x + c0 }
	bound := 1 + math.Max(math.Abs(c2), math.Max(math.Abs(c1), math.Abs(c0))) // Cauchy's bound
	lo, hi := -bound, bound                                                   // p(lo) < 0 < p(hi)
	for range 200 {
		mid := (lo + hi) / 2
		if p(mid) < 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	r := (lo + hi) / 2
	// (λ − r)(λ² + bλ + c) = λ³ + (b − r)λ² + (c − rb)λ − rc, matched to c2 and c1.
	b := r + c2
	c := c1 + r*b
	disc := cmplx.Sqrt(complex(b*b-4*c, 0))
	return []complex128{complex(r, 0), (complex(-b, 0) + disc) / 2, (complex(-b, 0) - disc) / 2}
}

// GDStepSizeLimit returns the largest step size η for which gradient descent z ← z − η J z on a
// linear field with Jacobian eigenvalues eigs converges: every |1 − ηλ| < 1, that is
// η < 2·Re λ / |λ|² for every λ (Mescheder et al., 2017). It is 0 when some eigenvalue has
// Re λ ≤ 0: then no step size converges.
func GDStepSizeLimit(eigs []complex128) float64 {
	limit := math.Inf(1)
	for _, l := range eigs {
		if real(l) <= 0 {
			return 0
		}
		a := cmplx.Abs(l)
		limit = math.Min(limit, 2*real(l)/(a*a))
	}
	return limit
}

// GDGrowthRate simulates gradient descent z ← z − η J z from z0 for steps steps and returns the
// measured factor by which |z| grows per step over the second half of the run (the long-run
// rate, the spectral radius of I − ηJ once the other modes have died out): below 1 the
// iterates converge, above 1 they diverge. The iterate is renormalised every step so that
// neither overflow nor underflow can end the run.
func GDGrowthRate(j Mat3, z0 Vec3, eta float64, steps int) float64 {
	z := z0.Scale(1 / z0.Norm())
	logGrowth := 0.0
	for t := range steps {
		z = z.Sub(j.MulVec(z).Scale(eta))
		n := z.Norm()
		if t >= steps/2 {
			logGrowth += math.Log(n)
		}
		z = z.Scale(1 / n)
	}
	return math.Exp(logGrowth / float64(steps-steps/2))
}

// MulMat returns the product m·n.
func (m Mat3) MulMat(n Mat3) Mat3 {
	var p Mat3
	for i := range 3 {
		for j := range 3 {
			for k := range 3 {
				p[i][j] += m[i][k] * n[k][j]
			}
		}
	}
	return p
}

// GDStepSizeLimitBySimulation finds, by bisection on the step size, where gradient descent on
// the linear field with Jacobian j stops converging: the largest η in (0, hi) whose measured
// GDGrowthRate (from (1, 1, 1), 50 000 steps) is below 1. It uses no eigenvalue, so it checks
// GDStepSizeLimit independently; it assumes GD converges for small η and diverges at hi.
func GDStepSizeLimitBySimulation(j Mat3, hi float64) float64 {
	lo := 0.0
	for range 24 {
		mid := (lo + hi) / 2
		if GDGrowthRate(j, Vec3{1, 1, 1}, mid, 50000) < 1 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}
