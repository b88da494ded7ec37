package mathx

import "math"

// GaussianExpectation returns E[f(x)] for x ∼ N(mu, sigma²), by Simpson's rule on n intervals
// over mu ± 12 sigma (the mass outside is below 1e-32).
func GaussianExpectation(f func(float64) float64, mu, sigma float64, n int) float64 {
	return Simpson(func(x float64) float64 { return Normal(x, mu, sigma) * f(x) }, mu-12*sigma, mu+12*sigma, n)
}

// MinimizeGolden finds a minimiser of f on [lo, hi] by golden-section search, down to a bracket
// of width tol. For a function with one minimum on the interval it finds that minimum.
func MinimizeGolden(f func(float64) float64, lo, hi, tol float64) float64 {
	invPhi := (math.Sqrt(5) - 1) / 2
	c, d := hi-invPhi*(hi-lo), lo+invPhi*(hi-lo)
	fc, fd := f(c), f(d)
	for hi-lo > tol {
		if fc < fd {
			hi, d, fd = d, c, fc
			c = hi - invPhi*(hi-lo)
			fc = f(c)
		} else {
			lo, c, fc = c, d, fd
			d = lo + invPhi*(hi-lo)
			fd = f(d)
		}
	}
	return (lo + hi) / 2
}

// Mixture is a mixture of 1-D Gaussians: component k has weight Weights[k], mean Mus[k] and
// standard deviation Sigmas[k]; the weights sum to 1.
type Mixture struct {
	Weights, Mus, Sigmas []float64
}

// Density returns the mixture's density at x.
func (m Mixture) Density(x float64) float64 {
	s := 0.0
	for k, w := range m.Weights {
		s += w * Normal(x, m.Mus[k], m.Sigmas[k])
	}
	return s
}

// CentralDiff returns (f(x + h) − f(x − h)) / 2h, the central finite-difference derivative.
func CentralDiff(f func(float64) float64, x, h float64) float64 {
	return (f(x+h) - f(x-h)) / (2 * h)
}
