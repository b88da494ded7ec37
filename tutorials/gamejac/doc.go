// Package gamejac measures how much of a game's Jacobian is rotation: it splits the Jacobian J
// of the simultaneous gradient ξ(w) of a differentiable game into its symmetric part
// S = (J + Jᵀ)/2 and its antisymmetric part A = (J − Jᵀ)/2 (Balduzzi et al. 2018) and estimates
// their norms from matrix-vector products alone, without forming J.
//
// The products come from GoMLX's reverse-mode autodiff of the field, in float64 ([Operator]):
// Jᵀu = ∇_w⟨ξ(w), u⟩ (a second derivative), and Jv = ∇_u⟨Jᵀu, v⟩ (a third backward pass, exact
// because Jᵀu is linear in u); Jv also by central finite differences of ξ, the independent check.
// Then Sv = (Jv + Jᵀv)/2 and Av = (Jv − Jᵀv)/2, and [Frobenius] estimates ‖S‖_F and ‖A‖_F from
// random probes (E‖Mv‖² = ‖M‖_F² for v with independent zero-mean unit-variance entries), with
// a confidence interval from the probes' spread. Notebook 09 and tutorial 09 use it on the
// Dirac-GAN, where J is known by hand, and on the ring GAN of notebook 05.
package gamejac
