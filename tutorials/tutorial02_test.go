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
