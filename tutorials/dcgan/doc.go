// Package dcgan holds what notebook 10 computes about the DCGAN's two
// unfamiliar layers: the transposed convolution written as plain loops (its
// definition, to check ganbook's matmul-built layer against), the layer and
// its adjoint convolution run through GoMLX, and one batch-norm step in
// training and in inference mode.
package dcgan
