// Package diracgan holds the smallest GANs whose game Jacobian can be derived by hand: the
// Dirac-GAN of Mescheder et al. (2018) — real data a point mass at 0, generator G = θ, a
// discriminator D(x) = σ(ψx) — and a three-parameter variant with a bias, D(x) = σ(ψ₁x + ψ₂).
// It gives their simultaneous-gradient fields written out by hand, the same fields by GoMLX's
// autodiff (to check one against the other), and the game-solving methods of notebook 03 on them.
// Notebook 09 and tutorial 09 use it.
package diracgan
