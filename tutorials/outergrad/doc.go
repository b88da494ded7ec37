// Package outergrad shows that a dense layer's weight gradient is a sum of outer products, on
// the first layer of ganbook's MLP discriminator: for y = xW + b,
//
//	∂L/∂W = Σₙ xₙ ⊗ δₙ,  δₙ = ∂L/∂yₙ,
//
// one outer product per example in the batch. [Discriminator] runs one GoMLX graph that returns
// the layer's input x, its output gradient δ and GoMLX's autodiff ∂L/∂W; [OuterProductSum]
// forms the sum by hand, in plain loops, so the two can be compared. It serves notebook 04 and
// tutorial 04.
package outergrad
