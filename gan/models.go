package gan

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph ops read as math.
	"github.com/gomlx/gomlx/ml/model"

	"github.com/ganbook/ganbook/gan/blocks"
)

// Architecture is one GAN: its generator and discriminator graphs and the pixel
// range its generator draws in (which is the range the data is scaled to).
type Architecture struct {
	Name string
	// Generator maps z [batch, latent] to images [batch, 28, 28, 1] in [Low, High].
	Generator func(scope *model.Scope, z *Node, phase Phase) *Node
	// Discriminator maps images [batch, 28, 28, 1] to logits [batch, 1].
	Discriminator func(scope *model.Scope, images *Node, phase Phase) *Node
	Low, High     float64
	// Init is the weight initialisation of both networks.
	Init blocks.Init
	// BatchIndependent says both networks treat every example on its own (no
	// batch norm), so a batch may be computed in parts.
	BatchIndependent bool
	// Classes is the number of classes of a class-conditional model (0: an
	// unconditional one). A conditional model has CondGenerator and
	// CondDiscriminator instead of Generator and Discriminator: both take the
	// classes as one-hot rows [batch, Classes].
	Classes           int
	CondGenerator     func(scope *model.Scope, z, onehot *Node, phase Phase) *Node
	CondDiscriminator func(scope *model.Scope, images, onehot *Node, phase Phase) *Node
}

// NewArchitecture returns the architecture named by [Config.Model].
func NewArchitecture(name string) (Architecture, error) {
	if arch, ok := conditionalArchitecture(name); ok {
		return arch, nil
	}
	switch name {
	case ModelMLP:
		return Architecture{Name: name, Generator: mlpGenerator, Discriminator: mlpDiscriminator, Low: 0, High: 1, Init: blocks.InitHe, BatchIndependent: true}, nil
	case ModelDCGAN:
		return Architecture{Name: name, Generator: dcganGenerator, Discriminator: dcganDiscriminator, Low: -1, High: 1, Init: blocks.InitPyTorch}, nil
	}
	return Architecture{}, fmt.Errorf("unknown model %q (valid: %v)", name, Models())
}

// Phase says how a network is applied, which matters to batch norm.
type Phase int

const (
	// Training: batch statistics, and the running averages move. A network is in
	// this phase only in its own optimiser's step.
	Training Phase = iota
	// Frozen: batch statistics (and their gradient), running averages unchanged:
	// the other network's phase in a step, so that a step changes nothing of the
	// network it does not train (PyTorch would move its running averages).
	Frozen
	// Inference: running averages, for sampling and evaluation.
	Inference
	// Calibration: batch statistics, which replace the running averages
	// (momentum 1): the step of [Config.PreciseBN] that measures them.
	Calibration
)

// batchNorm applies blocks.BatchNorm in the given phase.
func batchNorm(scope *model.Scope, x *Node, phase Phase) *Node {
	switch phase {
	case Training:
		return blocks.BatchNorm(scope, x, true)
	case Frozen:
		return blocks.BatchNorm(scope, x, true, blocks.BatchNormFrozenStats())
	case Calibration:
		return blocks.BatchNorm(scope, x, true, blocks.BatchNormMomentum(1))
	}
	return blocks.BatchNorm(scope, x, false)
}

const leakySlope = 0.2

// mlpGenerator is the article's G: z(100)→128→256→512→784, LeakyReLU 0.2, sigmoid out.
func mlpGenerator(scope *model.Scope, z *Node, _ Phase) *Node {
	x := z
	for i, width := range []int{128, 256, 512} {
		x = blocks.LeakyReLU(blocks.Dense(scope.At("fc%d", i), x, width), leakySlope)
	}
	x = blocks.Sigmoid(blocks.Dense(scope.At("out"), x, ImageSize*ImageSize))
	return Reshape(x, -1, ImageSize, ImageSize, 1)
}

// mlpDiscriminator is the article's D: 784→512→256→128→1, LeakyReLU 0.2, logit
// out; with dropout after each hidden layer when the store's dropout
// parameter (Config.DropoutD) is set and the network is not in inference.
func mlpDiscriminator(scope *model.Scope, images *Node, phase Phase) *Node {
	rate := 0.0
	if phase != Inference {
		rate = model.GetParamOr(scope, ParamDropoutD, 0.0)
	}
	return mlpDiscriminatorHead(scope, MLPDiscriminatorFirstLayer(scope, images), rate)
}

// ParamDropoutD is the store parameter that holds Config.DropoutD.
const ParamDropoutD = "ganbook_dropout_d"

// ParamNormD is the store parameter that holds Config.NormD.
const ParamNormD = "ganbook_norm_d"

// discriminatorNorm is a DCGAN discriminator's normalisation: batch norm
// unless the store's ParamNormD (Config.NormD) says none.
func discriminatorNorm(scope *model.Scope, x *Node, phase Phase) *Node {
	if model.GetParamOr(scope, ParamNormD, "") == NormNone {
		return x
	}
	return batchNorm(scope, x, phase)
}

// dropout zeroes each value of x with probability rate and scales the rest by
// 1/(1−rate) (inverted dropout, as PyTorch's nn.Dropout in training mode).
// The mask comes from the store's random state, so checkpoints resume it.
func dropout(scope *model.Scope, x *Node, rate float64) *Node {
	if rate <= 0 {
		return x
	}
	u := scope.Store().RandomUniform(x.Graph(), x.Shape())
	keep := ConvertDType(GreaterOrEqual(u, Scalar(x.Graph(), x.DType(), rate)), x.DType())
	return Mul(x, StopGradient(MulScalar(keep, 1/(1-rate))))
}

// MLPDiscriminatorFirstLayer is the MLP discriminator's first dense layer,
// y = x·W + b for the flattened images x (before its LeakyReLU). With
// [MLPDiscriminatorHead] it splits the discriminator where a notebook needs
// ∂L/∂y, the δ whose outer products with x form the weight gradient.
func MLPDiscriminatorFirstLayer(scope *model.Scope, images *Node) *Node {
	return blocks.Dense(scope.At("fc0"), Reshape(images, -1, ImageSize*ImageSize), 512)
}

// MLPDiscriminatorHead is the rest of the MLP discriminator: from the first
// layer's output to the logit.
func MLPDiscriminatorHead(scope *model.Scope, firstLayer *Node) *Node {
	return mlpDiscriminatorHead(scope, firstLayer, 0)
}

func mlpDiscriminatorHead(scope *model.Scope, firstLayer *Node, dropoutRate float64) *Node {
	x := dropout(scope, blocks.LeakyReLU(firstLayer, leakySlope), dropoutRate)
	for i, width := range []int{256, 128} {
		x = dropout(scope, blocks.LeakyReLU(blocks.Dense(scope.At("fc%d", i+1), x, width), leakySlope), dropoutRate)
	}
	return blocks.Dense(scope.At("out"), x, 1)
}

// ImageSize is the side of the square images the models draw (MNIST's 28).
const ImageSize = 28
