// Package gan defines and trains Generative Adversarial Networks with GoMLX.
//
// It holds the hyperparameters of a run in one validated [Config], the two model
// families ("mlp" and "dcgan", see [Models]), the discriminator and generator losses
// ([DiscriminatorLoss], [GeneratorLoss]), and a [Trainer] that alternates one
// discriminator step and one generator step, each with its own Adam optimiser that
// updates only its own network. The trainer renders a fixed noise batch to a PNG grid,
// saves checkpoints that resume bitwise, and stops on a NaN or Inf loss.
//
// The same package is driven by the ganbook command and by the notebooks; it knows
// nothing of the experiment tracker.
package gan
