package mathx

import "math"

// Normal returns the density of the normal distribution N(mu, sigma²) at x.
func Normal(x, mu, sigma float64) float64 {
	z := (x - mu) / sigma
	return math.Exp(-z*z/2) / (sigma * math.Sqrt(2*math.Pi))
}

// Linspace returns n evenly spaced points from lo to hi inclusive.
func Linspace(lo, hi float64, n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = lo + (hi-lo)*float64(i)/float64(n-1)
	}
	return xs
}

// Trapezoid integrates the samples ys taken at the points xs by the trapezoidal rule.
func Trapezoid(xs, ys []float64) float64 {
	var s float64
	for i := 1; i < len(xs); i++ {
		s += (xs[i] - xs[i-1]) * (ys[i] + ys[i-1]) / 2
	}
	return s
}

// Simpson integrates f over [lo, hi] by composite Simpson's rule on n intervals (n is rounded up to even).
func Simpson(f func(float64) float64, lo, hi float64, n int) float64 {
	n += n % 2
	h := (hi - lo) / float64(n)
	s := f(lo) + f(hi)
	for i := 1; i < n; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		s += w * f(lo+float64(i)*h)
	}
	return s * h / 3
}

// xlogy returns x·log(y), taken as 0 when x = 0 (the limit the GAN objective needs where a density vanishes).
func xlogy(x, y float64) float64 {
	if x == 0 {
		return 0
	}
	return x * math.Log(y)
}

// ValueIntegrand returns p_data·log D + p_g·log(1 − D), the integrand of the GAN value function
// V(D, G) = E_{x∼p_data}[log D(x)] + E_{x∼p_g}[log(1 − D(x))] at one point x.
func ValueIntegrand(pData, pG, d float64) float64 {
	return xlogy(pData, d) + xlogy(pG, 1-d)
}

// OptimalDiscriminator returns D*(x) = p_data(x) / (p_data(x) + p_g(x)).
func OptimalDiscriminator(pData, pG float64) float64 { return pData / (pData + pG) }

// MaximizeD finds the D in (0, 1) that maximises ValueIntegrand(pData, pG, D) by golden-section
// search, without using the closed form; the integrand is concave in D, so the search converges to
// the global maximum. tol is the width of the final bracket.
func MaximizeD(pData, pG, tol float64) float64 {
	invPhi := (math.Sqrt(5) - 1) / 2
	lo, hi := 0.0, 1.0
	c, d := hi-invPhi*(hi-lo), lo+invPhi*(hi-lo)
	fc, fd := ValueIntegrand(pData, pG, c), ValueIntegrand(pData, pG, d)
	for hi-lo > tol {
		if fc > fd {
			hi, d, fd = d, c, fc
			c = hi - invPhi*(hi-lo)
			fc = ValueIntegrand(pData, pG, c)
		} else {
			lo, c, fc = c, d, fd
			d = lo + invPhi*(hi-lo)
			fd = ValueIntegrand(pData, pG, d)
		}
	}
	return (lo + hi) / 2
}

// KL returns the Kullback–Leibler divergence KL(p‖q) = ∫ p log(p/q) over [lo, hi], by Simpson's rule on n intervals.
func KL(p, q func(float64) float64, lo, hi float64, n int) float64 {
	return Simpson(func(x float64) float64 {
		px := p(x)
		if px == 0 {
			return 0
		}
		return px * math.Log(px/q(x))
	}, lo, hi, n)
}

// JSD returns the Jensen–Shannon divergence ½KL(p‖m) + ½KL(q‖m), m = (p+q)/2, over [lo, hi].
// It lies in [0, log 2].
func JSD(p, q func(float64) float64, lo, hi float64, n int) float64 {
	m := func(x float64) float64 { return (p(x) + q(x)) / 2 }
	return KL(p, m, lo, hi, n)/2 + KL(q, m, lo, hi, n)/2
}

// Sigmoid returns 1 / (1 + e^(−a)).
func Sigmoid(a float64) float64 { return 1 / (1 + math.Exp(-a)) }

// SaturatingGeneratorGrad returns ∂/∂a log(1 − σ(a)) = −D, the gradient of the generator's
// minimax loss with respect to the discriminator's logit a at a fake sample, where D = σ(a).
// It vanishes as D → 0, which is where a freshly trained discriminator puts the fakes.
func SaturatingGeneratorGrad(d float64) float64 { return -d }

// NonSaturatingGeneratorGrad returns ∂/∂a (−log σ(a)) = −(1 − D), the gradient of the
// non-saturating generator loss −log D(G(z)) with respect to the logit; it is largest where D → 0.
func NonSaturatingGeneratorGrad(d float64) float64 { return -(1 - d) }
