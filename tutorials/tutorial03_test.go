package tutorials

import (
	"math"
	"testing"

	"github.com/ganbook/ganbook/tutorials/mathx"
	"github.com/ganbook/ganbook/tutorials/plots"
)

func TestTutorial03NumbersAndFigures(t *testing.T) {
	const eta, steps = 0.2, 40
	z0 := mathx.Point{1, 0}
	final := func(s mathx.Step) float64 { return mathx.Trajectory(s, z0, eta, steps)[steps].Radius() }
	alternating := mathx.Trajectory(mathx.AlternatingGD, z0, eta, steps)
	radiusRange := func(pick func(a, b float64) float64, start float64) float64 {
		r := start
		for _, z := range alternating {
			r = pick(r, z.Radius())
		}
		return r
	}
	// The 3-parameter game of section 3: ξ = (y + x1, 2y, −(x1 + 2x2)) is linear, so its Jacobian
	// is read off column by column as ξ(e_c).
	field3 := func(z mathx.Vec3) mathx.Vec3 { return mathx.Vec3{z[2] + z[0], 2 * z[2], -(z[0] + 2*z[1])} }
	var j mathx.Mat3
	for c := range 3 {
		var e mathx.Vec3
		e[c] = 1
		col := field3(e)
		for r := range 3 {
			j[r][c] = col[r]
		}
	}
	_, antisym := j.SymAntisym()
	omega := mathx.Vee(antisym)
	checkTutorial(t, tutorial{
		file: "03-game-dynamics.md",
		numbers: map[string]func() float64{
			"simFactor": func() float64 { return math.Pow(final(mathx.SimultaneousGD), 1.0/steps) },
			"simGD":     func() float64 { return final(mathx.SimultaneousGD) },
			"altMin":    func() float64 { return radiusRange(math.Min, math.Inf(1)) },
			"altMax":    func() float64 { return radiusRange(math.Max, 0) },
			"altFinal":  func() float64 { return alternating[steps].Radius() },
			"eg":        func() float64 { return final(mathx.Extragradient) },
			"ogd":       func() float64 { return final(mathx.OptimisticGD) },
			"ogdRate": func() float64 {
				tr := mathx.Trajectory(mathx.OptimisticGD, z0, eta, 400)
				return math.Pow(tr[400].Radius()/tr[300].Radius(), 0.01)
			},
			"consensus":  func() float64 { return final(mathx.ConsensusGD(1)) },
			"sgaLo":      func() float64 { return bisectConvergenceEdge(eta, 0, 1) },
			"sgaHi":      func() float64 { return bisectConvergenceEdge(eta, 20, 1) },
			"omega1":     func() float64 { return omega[0] },
			"omega2":     func() float64 { return omega[1] },
			"omega3":     func() float64 { return omega[2] },
			"eigReal":    func() float64 { return real(mathx.Eigenvalues3(j)[0]) },
			"eigPairRe":  func() float64 { return real(mathx.Eigenvalues3(j)[1]) },
			"eigPairIm":  func() float64 { return math.Abs(imag(mathx.Eigenvalues3(j)[1])) },
			"gdLimit":    func() float64 { return mathx.GDStepSizeLimit(mathx.Eigenvalues3(j)) },
			"gdLimitSim": func() float64 { return mathx.GDStepSizeLimitBySimulation(j, 1) },
		},
		figures: map[string]func() (string, error){
			"img/03-game-trajectories.svg": func() (string, error) {
				p, err := plots.GameTrajectories(plots.GameMethods(), z0, eta, steps)
				if err != nil {
					return "", err
				}
				return plots.SVG(p, 14, 14)
			},
		},
	})
}

// bisectConvergenceEdge finds, by simulation rather than by the closed form, the SGA weight λ
// between out (diverges) and in (converges) where one SGA step stops shrinking the radius.
func bisectConvergenceEdge(eta, out, in float64) float64 {
	shrinks := func(lambda float64) bool {
		return mathx.SGA(lambda)(mathx.Point{1, 0}, mathx.Point{}, eta).Radius() < 1
	}
	for range 100 {
		mid := (out + in) / 2
		if shrinks(mid) {
			in = mid
		} else {
			out = mid
		}
	}
	return (out + in) / 2
}
