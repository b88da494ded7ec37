// Package ringgan trains a small GAN on a ring of Gaussians in two dimensions, where what the
// generator and the discriminator do can be drawn (in the manner of GAN Lab), and counts how
// many of the ring's modes the generator covers. It serves notebook 05 and tutorial 05.
//
// The data ([Ring]) are K Gaussians of standard deviation σ centred on a circle. A generated
// sample is a high-quality sample of mode k when it lies within 3σ of centre k; a mode counts
// as covered when at least a quarter of its fair share of the samples, N/(4K), are high-quality
// samples of it ([Ring.Coverage]). With K = 8, radius 2 and σ ≤ 0.25 the 3σ discs are disjoint,
// so no sample counts for two modes.
//
// The networks are small MLPs built from gan/blocks; the losses are gan.DiscriminatorLoss and
// gan.GeneratorLoss, and training alternates one discriminator step and one generator step,
// each with its own Adam optimiser that updates only its own network, as gan.Trainer does for
// MNIST ([Train]).
package ringgan
