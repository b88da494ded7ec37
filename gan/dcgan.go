package gan

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph ops read as math.
	"github.com/gomlx/gomlx/ml/model"

	"github.com/ganbook/ganbook/gan/blocks"
)

// dcganGenerator for 28×28×1 (PyTorch's DCGAN example shrunk to MNIST):
// z→dense 7·7·128→BN→ReLU→convT 4×4 s2→64→BN→ReLU→convT 4×4 s2→1→tanh.
func dcganGenerator(scope *model.Scope, z *Node, phase Phase) *Node {
	x := blocks.Dense(scope.At("fc"), z, 7*7*128)
	x = blocks.ReLU(batchNorm(scope.At("bn0"), x, phase))
	x = Reshape(x, -1, 7, 7, 128)
	x = blocks.ConvTranspose2D(scope.At("deconv1"), x, 64, 4, 2, 1) // 7 → 14
	x = blocks.ReLU(batchNorm(scope.At("bn1"), x, phase))
	x = blocks.ConvTranspose2D(scope.At("deconv2"), x, 1, 4, 2, 1) // 14 → 28
	return Tanh(x)
}

// dcganDiscriminator: conv 4×4 s2→64→LeakyReLU→conv 4×4 s2→128→BN→LeakyReLU→dense→logit,
// with dropout after each LeakyReLU when the store's dropout parameter
// (Config.DropoutD) is set and the network is not in inference, and without
// the BN when Config.NormD is "none".
func dcganDiscriminator(scope *model.Scope, images *Node, phase Phase) *Node {
	rate := 0.0
	if phase != Inference {
		rate = model.GetParamOr(scope, ParamDropoutD, 0.0)
	}
	x := blocks.LeakyReLU(blocks.Conv2D(scope.At("conv1"), images, 64, 4, 2, 1), leakySlope) // 28 → 14
	x = dropout(scope, x, rate)
	x = blocks.Conv2D(scope.At("conv2"), x, 128, 4, 2, 1) // 14 → 7
	x = dropout(scope, blocks.LeakyReLU(discriminatorNorm(scope.At("bn2"), x, phase), leakySlope), rate)
	return blocks.Dense(scope.At("out"), Reshape(x, -1, 7*7*128), 1)
}
