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

// dcganDiscriminator: conv 4×4 s2→64→LeakyReLU→conv 4×4 s2→128→BN→LeakyReLU→dense→logit.
func dcganDiscriminator(scope *model.Scope, images *Node, phase Phase) *Node {
	x := blocks.LeakyReLU(blocks.Conv2D(scope.At("conv1"), images, 64, 4, 2, 1), leakySlope) // 28 → 14
	x = blocks.Conv2D(scope.At("conv2"), x, 128, 4, 2, 1)                                    // 14 → 7
	x = blocks.LeakyReLU(batchNorm(scope.At("bn2"), x, phase), leakySlope)
	return blocks.Dense(scope.At("out"), Reshape(x, -1, 7*7*128), 1)
}
