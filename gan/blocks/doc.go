// Package blocks provides the verified layers the GANs are built from —
// Dense, Conv2D, ConvTranspose2D, BatchNorm and the activations — as GoMLX
// (v0.28.2) graph code whose forward values and gradients are checked, on the
// pure-Go backend, against plain-Go float64 references, float64 central
// finite differences and PyTorch.
//
// It exists because GoMLX's stock layers are wrong or missing on the go
// backend in exactly the places a DCGAN needs:
//
//   - graph.Convolve's input gradient is wrong for even kernel sizes (right
//     for 3 and 5), and the native convolution is 40× slower or more than the
//     same convolution written as patches plus a matmul: Conv2D gathers its
//     patches with small 0/1 selection matmuls (im2col) and multiplies;
//   - there is no transposed convolution: ConvTranspose2D is the adjoint,
//     a matmul then the transposed selections (col2im);
//   - norm.BatchNorm in training mode does not build (the backend lacks
//     BatchNormForTraining) or, on its graph path, cuts the batch statistics
//     from the gradient: BatchNorm differentiates through them;
//   - graph.Pad, graph.Reverse and graph.Rsqrt have no gradient: the blocks
//     avoid them.
//
// Each of these is pinned down by a TestStock* test, so the day GoMLX changes
// the tests say so.
//
// # Speed on the go backend
//
// The backward passes of Dense, Conv2D, ConvTranspose2D and BatchNorm are
// written out rather than left to GoMLX's autodiff (see withCustomVJP), so
// that they use only what the go backend runs fast: row-major matmuls, sums
// over the batch as matmuls with a ones vector, and no Transpose of large
// operands (the autodiff of a matmul contracts over the batch axis, which
// the backend serves by transposing both operands value by value).
// LeakyReLU avoids Where, which runs a branch per value. Where ganbook's
// float32 kernels are installed (gan.NewBackend), the backend tells the
// blocks what else runs fast there: per-feature values broadcast along the
// rows (rowOperand) and Sign (LeakyReLU's two-pass slope), each with the
// same bits as the graph it replaces.
// TestBackwardPassesUseFastOps pins this down; the finite-difference tests
// check the gradients. These graphs have several matmuls ready at once: use
// the go backend with parallelism=-1 (as gan.NewBackend does) or
// ops_sequential, since GoMLX v0.28.2's default bounded worker pool
// deadlocks when more matmuls are ready than it has workers.
//
// # Conventions
//
// Images are NHWC ([batch, height, width, channels]); convolution kernels are
// HWIO ([k, k, inC, outC]). Conv2D and ConvTranspose2D have PyTorch's
// Conv2d/ConvTranspose2d semantics (zero padding, output sizes, weights up to
// a permutation of axes). Variables take the dtype of the input, so the same
// code runs in float32 for training and in float64 for gradient checks.
// Weights start as in PyTorch ([InitPyTorch]) unless [SetInit] selects
// [InitDCGAN] for a scope.
//
// Layers put their variables directly in the scope they are given; use a
// distinct sub-scope per layer, with scope.At (not In) when a network is
// applied more than once in a graph:
//
//	h := blocks.Conv2D(d.At("conv1"), x, 64, 4, 2, 1)
//	h = blocks.LeakyReLU(h, 0.2)
//	h = blocks.Conv2D(d.At("conv2"), h, 128, 4, 2, 1)
//	h = blocks.BatchNorm(d.At("bn2"), h, training)
//
// BatchNorm keeps running averages as non-trainable variables and updates
// them inside the training graph; see [BatchNorm] for what happens when one
// network is applied to several batches in one graph.
package blocks
