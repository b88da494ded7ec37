package tutorials

import (
	"math"
	"testing"

	"github.com/ganbook/ganbook/tutorials/mathx"
	"github.com/ganbook/ganbook/tutorials/plots"
)

func TestTutorial02NumbersAndFigures(t *testing.T) {
	g := plots.TwoGaussians{Mu: 2, Sigma: 0.7}
	dStar := func(x float64) float64 { return mathx.OptimalDiscriminator(g.PData(x), g.PG(x)) }
	// V(D*, G) by Simpson's rule on the pointwise numerical maximiser, independently of JSD.
	valueAtOptimum := func(g plots.TwoGaussians) float64 {
		return mathx.Simpson(func(x float64) float64 {
			p, q := g.PData(x), g.PG(x)
			return mathx.ValueIntegrand(p, q, mathx.MaximizeD(p, q, 1e-12))
		}, -12, 16, 5600)
	}
	jsd := func(g plots.TwoGaussians) float64 { return mathx.JSD(g.PData, g.PG, -12, 16, 28000) }
	checkTutorial(t, tutorial{
		file: "02-minimax-objective.md",
		numbers: map[string]func() float64{
			"dStar0": func() float64 { return dStar(0) },
			"dStar2": func() float64 { return dStar(2) },
			"xHalf": func() float64 { // where p_data = p_g between the means, by bisection on D* − ½
				lo, hi := 0.0, 2.0
				for range 100 {
					if mid := (lo + hi) / 2; dStar(mid) > 0.5 {
						lo = mid
					} else {
						hi = mid
					}
				}
				return lo
			},
			"vStar":       func() float64 { return valueAtOptimum(g) },
			"jsd":         func() float64 { return jsd(g) },
			"identityRHS": func() float64 { return -math.Log(4) + 2*jsd(g) },
			"minusLog4":   func() float64 { return valueAtOptimum(plots.TwoGaussians{Mu: 0, Sigma: 1}) },
			"log2":        func() float64 { return math.Log(2) },
			"jsdFar":      func() float64 { return jsd(plots.TwoGaussians{Mu: 8, Sigma: 1}) },
			"vFar":        func() float64 { return valueAtOptimum(plots.TwoGaussians{Mu: 8, Sigma: 1}) },
			"satGrad001":  func() float64 { return -mathx.SaturatingGeneratorGrad(0.01) },
			"nsGrad001":   func() float64 { return -mathx.NonSaturatingGeneratorGrad(0.01) },
			"ratio001":    func() float64 { return mathx.NonSaturatingGeneratorGrad(0.01) / mathx.SaturatingGeneratorGrad(0.01) },
			"ratio0001":   func() float64 { return mathx.NonSaturatingGeneratorGrad(0.001) / mathx.SaturatingGeneratorGrad(0.001) },
			"muSat":       func() float64 { return mathx.MinimizeGolden(fixedD(true), 0.3, 3, 1e-9) },
			"muNonSat":    func() float64 { return mathx.MinimizeGolden(fixedD(false), 0.3, 3, 1e-9) },
			"abLHS":       func() float64 { return nonSaturatingAtOptimum(2, 0.7) },
			"abRHS": func() float64 {
				return mathx.CentralDiff(func(mu float64) float64 { return klMinus2JSD(mu, 0.7) }, 2, 1e-4)
			},
			"nsOne":   func() float64 { return modeSeeking(2, 0.5, false) },
			"nsBroad": func() float64 { return modeSeeking(0, math.Sqrt(4.25), false) },
			"mlOne":   func() float64 { return modeSeeking(2, 0.5, true) },
			"mlBroad": func() float64 { return modeSeeking(0, math.Sqrt(4.25), true) },
		},
		figures: map[string]func() (string, error){
			"img/02-optimal-discriminator.svg": func() (string, error) {
				p, err := plots.OptimalDiscriminator(g, mathx.Linspace(-4, 5, 361))
				if err != nil {
					return "", err
				}
				return plots.SVG(p, 16, 10)
			},
			"img/02-generator-gradient.svg": func() (string, error) {
				p, err := plots.GeneratorGradient()
				if err != nil {
					return "", err
				}
				return plots.SVG(p, 14, 9)
			},
		},
	})
}

// fixedD returns a generator loss of N(μ, 0.5²) against the optimal discriminator between
// 0.7·N(−1.5, 0.5²) + 0.3·N(1.5, 0.5²) and N(0, 1.5²): log(1 − D) if saturating, else −log D.
func fixedD(saturating bool) func(mu float64) float64 {
	data := mathx.Mixture{Weights: []float64{0.7, 0.3}, Mus: []float64{-1.5, 1.5}, Sigmas: []float64{0.5, 0.5}}
	loss := func(x float64) float64 {
		d := mathx.OptimalDiscriminator(data.Density(x), mathx.Normal(x, 0, 1.5))
		if saturating {
			return math.Log(1 - d)
		}
		return -math.Log(d)
	}
	return func(mu float64) float64 { return mathx.GaussianExpectation(loss, mu, 0.5, 4000) }
}

// nonSaturatingAtOptimum returns ∂/∂μ E[−log D*(x)], x ∼ N(μ, σ²), at μ = mu0 with D* the optimal
// discriminator between N(0, 1) and N(mu0, σ²) held fixed.
func nonSaturatingAtOptimum(mu0, sigma float64) float64 {
	dStar := func(x float64) float64 {
		return mathx.OptimalDiscriminator(mathx.Normal(x, 0, 1), mathx.Normal(x, mu0, sigma))
	}
	loss := func(mu float64) float64 {
		return mathx.GaussianExpectation(func(x float64) float64 { return -math.Log(dStar(x)) }, mu, sigma, 20000)
	}
	return mathx.CentralDiff(loss, mu0, 1e-4)
}

// klMinus2JSD returns KL(p_g‖p_data) − 2·JSD(p_g‖p_data) for p_g = N(mu, sigma²), p_data = N(0, 1).
func klMinus2JSD(mu, sigma float64) float64 {
	pg := func(x float64) float64 { return mathx.Normal(x, mu, sigma) }
	pd := func(x float64) float64 { return mathx.Normal(x, 0, 1) }
	return mathx.KL(pg, pd, -30, 30, 60000) - 2*mathx.JSD(pg, pd, -30, 30, 60000)
}

// modeSeeking scores N(mu, sigma²) against ½N(−2, 0.5²) + ½N(2, 0.5²): by maximum likelihood's
// KL(p_data‖p_g), or by the non-saturating generator's KL(p_g‖p_data) − 2·JSD.
func modeSeeking(mu, sigma float64, maxLikelihood bool) float64 {
	data := mathx.Mixture{Weights: []float64{0.5, 0.5}, Mus: []float64{-2, 2}, Sigmas: []float64{0.5, 0.5}}
	pg := func(x float64) float64 { return mathx.Normal(x, mu, sigma) }
	if maxLikelihood {
		return mathx.KL(data.Density, pg, -10, 10, 20000)
	}
	return mathx.KL(pg, data.Density, -10, 10, 20000) - 2*mathx.JSD(pg, data.Density, -10, 10, 20000)
}
