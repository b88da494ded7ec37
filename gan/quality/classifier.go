package quality

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph ops read as math.
	"github.com/gomlx/gomlx/ml/model"

	"github.com/ganbook/ganbook/gan/blocks"
)

// Architecture is the name of the classifier's layout; it is part of every
// extractor id and of the weights file, so weights cannot be loaded into a
// different network.
const Architecture = "cnn-v1"

// FeatureDim is the size of the penultimate layer, the features the Fréchet
// distance is computed on.
const FeatureDim = 128

// NumClasses is the number of labels of MNIST and Fashion-MNIST.
const NumClasses = 10

// ImageSize is the side of the square images the classifier reads.
const ImageSize = 28

// modelScope holds the classifier's variables; the optimiser keeps its own
// state outside it, so the weights file is exactly this scope.
const modelScope = "/cnn"

// convChannels are the output channels of the three 3×3 stride-2 convolutions.
var convChannels = []int{32, 64, 128}

// classifier is the "cnn-v1" network on NHWC images [batch, 28, 28, 1] with
// pixels in [0, 1]:
//
//	conv 3×3 stride 2 → 32, BN, ReLU     14×14
//	conv 3×3 stride 2 → 64, BN, ReLU     7×7
//	conv 3×3 stride 2 → 128, BN, ReLU    4×4
//	dense 2048 → 128, BN, ReLU           the features (penultimate layer)
//	dense 128 → 10                       logits
//
// It downsamples with strided convolutions, not pooling, because GoMLX
// v0.28.2's go backend has no MaxPool gradient, and it is built only from
// gan/blocks layers, whose gradients are checked against finite differences.
// Stride-2 3×3 convolutions cost gan/blocks no more than 4×4 ones (both are
// 4 slices after space-to-depth) and much less than stride 1: two epochs take
// about a minute on two cores and reach 99.24 % on MNIST.
func classifier(scope *model.Scope, images *Node, training bool) (features, logits *Node) {
	x := images
	for i, channels := range convChannels {
		x = blocks.Conv2D(scope.At("conv%d", i+1), x, channels, 3, 2, 1)
		x = blocks.ReLU(blocks.BatchNorm(scope.At("bn%d", i+1), x, training))
	}
	dims := x.Shape().Dimensions
	x = Reshape(x, dims[0], dims[1]*dims[2]*dims[3])
	features = blocks.ReLU(blocks.BatchNorm(scope.At("bn_fc"), blocks.Dense(scope.At("fc"), x, FeatureDim), training))
	logits = blocks.Dense(scope.At("out"), features, NumClasses)
	return features, logits
}
