package gan

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph ops read as math.
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
)

// Architecture is one GAN: its generator and discriminator graphs and the pixel
// range its generator draws in (which is the range the data is scaled to).
type Architecture struct {
	Name string
	// Generator maps z [batch, latent] to images [batch, 28, 28, 1] in [Low, High].
	// training selects batch statistics (and running-average updates) in batch norm.
	Generator func(scope *model.Scope, z *Node, training bool) *Node
	// Discriminator maps images [batch, 28, 28, 1] to logits [batch, 1].
	Discriminator func(scope *model.Scope, images *Node, training bool) *Node
	Low, High     float64
}

// NewArchitecture returns the architecture named by [Config.Model].
func NewArchitecture(name string) (Architecture, error) {
	switch name {
	case ModelMLP:
		return Architecture{Name: name, Generator: mlpGenerator, Discriminator: mlpDiscriminator, Low: 0, High: 1}, nil
	case ModelDCGAN:
		return Architecture{Name: name, Generator: dcganGenerator, Discriminator: dcganDiscriminator, Low: -1, High: 1}, nil
	}
	return Architecture{}, fmt.Errorf("unknown model %q (valid: %v)", name, Models())
}

const leakySlope = 0.2

// mlpGenerator is the article's G: z(100)→128→256→512→784, LeakyReLU 0.2, sigmoid out.
func mlpGenerator(scope *model.Scope, z *Node, _ bool) *Node {
	x := z
	for i, width := range []int{128, 256, 512} {
		x = activation.LeakyReluWith(layers.DenseWithBias(scope.At("fc%d", i), x, width), leakySlope)
	}
	x = Sigmoid(layers.DenseWithBias(scope.At("out"), x, ImageSize*ImageSize))
	return Reshape(x, -1, ImageSize, ImageSize, 1)
}

// mlpDiscriminator is the article's D: 784→512→256→128→1, LeakyReLU 0.2, logit out.
func mlpDiscriminator(scope *model.Scope, images *Node, _ bool) *Node {
	x := Reshape(images, -1, ImageSize*ImageSize)
	for i, width := range []int{512, 256, 128} {
		x = activation.LeakyReluWith(layers.DenseWithBias(scope.At("fc%d", i), x, width), leakySlope)
	}
	return layers.DenseWithBias(scope.At("out"), x, 1)
}

// ImageSize is the side of the square images the models draw (MNIST's 28).
const ImageSize = 28
