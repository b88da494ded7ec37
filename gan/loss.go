package gan

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph ops read as math.
)

// softplus is log(1 + e^x) written as max(x, 0) + log1p(e^−|x|): no overflow at
// x = ±50 (or ±1e4), and its gradient sigmoid(x) stays finite.
func softplus(x *Node) *Node {
	return Add(Max(x, ZerosLike(x)), Log1p(Exp(Neg(Abs(x)))))
}

// bceWithLogits is the mean binary cross-entropy of logits against a constant
// target y: mean(y·softplus(−l) + (1−y)·softplus(l)), PyTorch's BCEWithLogitsLoss.
func bceWithLogits(logits *Node, target float64) *Node {
	loss := MulScalar(softplus(Neg(logits)), target)
	if target != 1 {
		loss = Add(loss, MulScalar(softplus(logits), 1-target))
	}
	return ReduceAllMean(loss)
}

// DiscriminatorLoss is D's binary cross-entropy: real logits against realLabel
// (1, or 0.9 for one-sided label smoothing) plus fake logits against 0.
func DiscriminatorLoss(realLogits, fakeLogits *Node, realLabel float64) *Node {
	return Add(bceWithLogits(realLogits, realLabel), bceWithLogits(fakeLogits, 0))
}

// DiscriminatorLossOf is D's loss for the loss kind of [Config.Loss]: the
// hinge loss for "hinge", otherwise [DiscriminatorLoss] (the binary
// cross-entropy both other kinds train D with).
func DiscriminatorLossOf(kind string, realLogits, fakeLogits *Node, realLabel float64) (*Node, error) {
	switch kind {
	case LossHinge:
		return HingeDiscriminatorLoss(realLogits, fakeLogits), nil
	case LossNonSaturating, LossMinimax:
		return DiscriminatorLoss(realLogits, fakeLogits, realLabel), nil
	}
	return nil, fmt.Errorf("unknown loss %q (valid: %v)", kind, Losses())
}

// HingeDiscriminatorLoss is D's hinge loss (Lim & Ye 2017; Miyato et al. 2018):
// mean max(0, 1 − l_real) + mean max(0, 1 + l_fake). D stops pushing a logit
// once it is past the margin, which keeps its outputs bounded.
func HingeDiscriminatorLoss(realLogits, fakeLogits *Node) *Node {
	relu := func(x *Node) *Node { return Max(x, ZerosLike(x)) }
	return Add(ReduceAllMean(relu(OneMinus(realLogits))), ReduceAllMean(relu(AddScalar(fakeLogits, 1))))
}

// GeneratorLoss is G's loss on D's logits for generated images:
//   - "nonsaturating": mean −log D(G(z)) = mean softplus(−l);
//   - "minimax": mean log(1 − D(G(z))) = −mean softplus(l), the saturating objective;
//   - "hinge": −mean l, the generator's half of the hinge loss.
func GeneratorLoss(kind string, fakeLogits *Node) (*Node, error) {
	switch kind {
	case LossHinge:
		return Neg(ReduceAllMean(fakeLogits)), nil
	case LossNonSaturating:
		return ReduceAllMean(softplus(Neg(fakeLogits))), nil
	case LossMinimax:
		return Neg(ReduceAllMean(softplus(fakeLogits))), nil
	}
	return nil, fmt.Errorf("unknown loss %q (valid: %v)", kind, Losses())
}
