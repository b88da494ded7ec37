package diracgan

import (
	"math"

	"github.com/ganbook/ganbook/tutorials/mathx"
	"github.com/ganbook/ganbook/tutorials/plots"
)

// The methods below run on the Dirac-GAN, p = (θ, ψ); they have mathx.Step's signature so that
// plots.GameTrajectories draws them.

func dstep(p, v mathx.Point, eta float64) mathx.Point {
	return mathx.Point{p[0] - eta*v[0], p[1] - eta*v[1]}
}

// Simultaneous moves both players at once: p ← p − η ξ(p).
func Simultaneous(p, _ mathx.Point, eta float64) mathx.Point { return dstep(p, DiracField(p), eta) }

// Alternating moves D first and then G against the updated D, as gan.Train does.
func Alternating(p, _ mathx.Point, eta float64) mathx.Point {
	psi := p[1] - eta*DiracField(p)[1]
	theta := p[0] - eta*DiracField(mathx.Point{p[0], psi})[0]
	return mathx.Point{theta, psi}
}

// Extragradient steps with the field at the look-ahead point p − η ξ(p).
func Extragradient(p, _ mathx.Point, eta float64) mathx.Point {
	return dstep(p, DiracField(dstep(p, DiracField(p), eta)), eta)
}

// Consensus follows ξ + γ ∇(½|ξ|²) = ξ + γ Jᵀξ, with J by central finite differences.
func Consensus(gamma float64) mathx.Step {
	return func(p, _ mathx.Point, eta float64) mathx.Point {
		const h = 1e-6
		v := DiracField(p)
		var j [2][2]float64
		for c := range 2 {
			var e mathx.Point
			e[c] = h
			plus := DiracField(mathx.Point{p[0] + e[0], p[1] + e[1]})
			minus := DiracField(mathx.Point{p[0] - e[0], p[1] - e[1]})
			for r := range 2 {
				j[r][c] = (plus[r] - minus[r]) / (2 * h)
			}
		}
		adj := mathx.Point{v[0] + gamma*(j[0][0]*v[0]+j[1][0]*v[1]), v[1] + gamma*(j[0][1]*v[0]+j[1][1]*v[1])}
		return dstep(p, adj, eta)
	}
}

// Methods are the four methods notebook 09 runs on the Dirac-GAN, in its table's order.
func Methods() []plots.Method {
	return []plots.Method{
		{Name: "simultaneous GD", Step: Simultaneous},
		{Name: "alternating GD", Step: Alternating},
		{Name: "extragradient", Step: Extragradient},
		{Name: "consensus (γ = 1)", Step: Consensus(1)},
	}
}

// Simultaneous3 is one step of simultaneous GD on the three-parameter GAN.
func Simultaneous3(z mathx.Vec3, eta float64) mathx.Vec3 { return z.Sub(Field3(z).Scale(eta)) }

func log1pExp(t float64) float64 { return math.Log1p(math.Exp(t)) }
