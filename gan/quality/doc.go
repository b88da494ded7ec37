// Package quality measures how good a GAN's samples are: MNIST-FID (and its
// Fashion-MNIST twin), class coverage, the divergence of the class histogram
// from uniform, and classifier confidence.
//
// Inception-based FID needs weights that cannot be downloaded here, and its
// numbers on 28×28 digits say little anyway, so the package ships its own
// feature extractor: a small CNN classifier per dataset ([Architecture]
// "cnn-v1": three 3×3 stride-2 convolutions with batch norm, a 128-unit dense
// layer and the 10-way output), built from the verified layers of
// gan/blocks and trained deterministically by [Train]. Its weights are
// committed in weights/ (checked against a sha256 constant when loaded), so
// nothing is trained before a measurement. The penultimate layer's 128
// activations are the features; the softmax gives the predicted classes.
//
// Every [Report] carries the [Extractor.ID] of the classifier it was measured
// with, e.g. "mnist-cnn-v1-0123456789ab" (dataset, architecture and the first
// 12 hex digits of the weights' sha256): numbers are comparable only between
// reports with the same id and the same sample count ([DefaultSamples]).
//
// # Metrics
//
//   - FID: the Fréchet distance between Gaussians fitted to the features of
//     the generated images and of the reference set (the dataset's test split):
//     ‖μ₁−μ₂‖² + tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^½), the matrix square root taken
//     through gonum's symmetric eigendecomposition ([FrechetDistance]).
//   - Coverage: how many of the 10 classes receive at least 5 % of the samples;
//     a generator collapsed onto one class scores 1.
//   - KLUniform: KL(p ‖ uniform) of the predicted-class histogram p, in nats
//     (0 to ln 10).
//   - MeanConfidence: the mean top softmax probability.
//
// [Evaluate] measures a set of images; [EvaluateGenerator] draws them from a
// generator function (such as gan.Trainer.Generate) with fixed latent vectors.
// Images are 28×28 with pixels in [0, 1]; [ToUnitRange] maps a tanh
// generator's [-1, 1] there.
package quality
