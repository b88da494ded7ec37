package diracgan

import (
	"github.com/ganbook/ganbook/tutorials/mathx"
)

// The game is the GAN value V(D, G) = E_data[log D(x)] + E_g[log(1 − D(x))] with data δ₀ and
// G = θ: V(θ, ψ₁, ψ₂) = log σ(ψ₂) + log(1 − σ(ψ₁θ + ψ₂)). G minimises V, D maximises it, so the
// simultaneous gradient, the direction both descend, is ξ = (∂V/∂θ, −∂V/∂ψ₁, −∂V/∂ψ₂).

// Value returns V(θ, ψ₁, ψ₂) for z = (θ, ψ₁, ψ₂).
func Value(z mathx.Vec3) float64 {
	return logSigmoid(z[2]) + logSigmoid(-(z[1]*z[0] + z[2]))
}

// logSigmoid returns log σ(t) = −log(1 + e^(−t)); log(1 − σ(t)) = log σ(−t).
func logSigmoid(t float64) float64 {
	if t > 0 {
		return -log1pExp(-t)
	}
	return t - log1pExp(t)
}

// Field3 returns ξ of the three-parameter GAN, derived by hand: with u = ψ₁θ + ψ₂ and
// d/dt log σ(t) = σ(−t),
//
//	∂V/∂θ = −σ(u)·ψ₁,   ∂V/∂ψ₁ = −σ(u)·θ,   ∂V/∂ψ₂ = σ(−ψ₂) − σ(u),
//
// so ξ = (−σ(u)ψ₁, σ(u)θ, σ(u) − σ(−ψ₂)). It vanishes at the equilibrium (0, 0, 0).
func Field3(z mathx.Vec3) mathx.Vec3 {
	su := mathx.Sigmoid(z[1]*z[0] + z[2])
	return mathx.Vec3{-su * z[1], su * z[0], su - mathx.Sigmoid(-z[2])}
}

// HandJacobian3 is J = ∂ξ/∂z of Field3 at the equilibrium, by hand: σ(0) = ½ and σ'(0) = ¼ give
//
//	∂ξ₁/∂ψ₁ = −½,  ∂ξ₂/∂θ = ½,  ∂ξ₃/∂ψ₂ = σ'(0) + σ'(0) = ½,
//
// and every other entry is 0 (each carries a factor θ or ψ₁, zero there). So S = diag(0, 0, ½):
// the bias ψ₂ is pulled back to 0; and A rotates (θ, ψ₁) about the ψ₂ axis, ω = (0, 0, ½).
func HandJacobian3() mathx.Mat3 {
	return mathx.Mat3{{0, -0.5, 0}, {0.5, 0, 0}, {0, 0, 0.5}}
}

// DiracField returns ξ of the Dirac-GAN, the three-parameter game without the bias (ψ₂ ≡ 0):
// for p = (θ, ψ), ξ = (−σ(ψθ)ψ, σ(ψθ)θ). Its Jacobian at (0, 0) is [[0, −½], [½, 0]]: purely
// antisymmetric, eigenvalues ±i/2.
func DiracField(p mathx.Point) mathx.Point {
	s := mathx.Sigmoid(p[1] * p[0])
	return mathx.Point{-s * p[1], s * p[0]}
}

// JacobianFD returns ∂field/∂z at z by central finite differences with step h.
func JacobianFD(field func(mathx.Vec3) mathx.Vec3, z mathx.Vec3, h float64) mathx.Mat3 {
	var j mathx.Mat3
	for c := range 3 {
		var e mathx.Vec3
		e[c] = h
		d := field(z.Add(e)).Sub(field(z.Sub(e))).Scale(1 / (2 * h))
		for r := range 3 {
			j[r][c] = d[r]
		}
	}
	return j
}
