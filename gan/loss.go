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

// LossFuncs resolves a loss name (Config.Loss) once, so that a graph applies
// it without an error path: D's loss on the real and fake logits and G's
// loss on the fake logits l.
//   - "nonsaturating": D's binary cross-entropy ([DiscriminatorLoss]); G's mean −log D(G(z)) = mean softplus(−l);
//   - "minimax": the same D loss; G's mean log(1 − D(G(z))) = −mean softplus(l), the saturating objective;
//   - "hinge": [HingeDiscriminatorLoss] (the real label does not enter it); G's −mean l.
func LossFuncs(kind string, realLabel float64) (dLoss func(realLogits, fakeLogits *Node) *Node, gLoss func(fakeLogits *Node) *Node, err error) {
	gLoss, err = GeneratorLossFunc(kind)
	if err != nil {
		return nil, nil, err
	}
	if kind == LossHinge {
		return HingeDiscriminatorLoss, gLoss, nil
	}
	return func(r, f *Node) *Node { return DiscriminatorLoss(r, f, realLabel) }, gLoss, nil
}

// DiscriminatorLossOf is D's loss for the loss kind of [Config.Loss] (see [LossFuncs]).
func DiscriminatorLossOf(kind string, realLogits, fakeLogits *Node, realLabel float64) (*Node, error) {
	loss, _, err := LossFuncs(kind, realLabel)
	if err != nil {
		return nil, err
	}
	return loss(realLogits, fakeLogits), nil
}

// HingeDiscriminatorLoss is D's hinge loss (Lim & Ye 2017; Miyato et al. 2018):
// mean max(0, 1 − l_real) + mean max(0, 1 + l_fake). D stops pushing a logit
// once it is past the margin, which keeps its outputs bounded.
func HingeDiscriminatorLoss(realLogits, fakeLogits *Node) *Node {
	relu := func(x *Node) *Node { return Max(x, ZerosLike(x)) }
	return Add(ReduceAllMean(relu(OneMinus(realLogits))), ReduceAllMean(relu(AddScalar(fakeLogits, 1))))
}

// GeneratorLossFunc resolves G's loss (see [LossFuncs]) once.
func GeneratorLossFunc(kind string) (func(fakeLogits *Node) *Node, error) {
	switch kind {
	case LossHinge:
		return func(l *Node) *Node { return Neg(ReduceAllMean(l)) }, nil
	case LossNonSaturating:
		return func(l *Node) *Node { return ReduceAllMean(softplus(Neg(l))) }, nil
	case LossMinimax:
		return func(l *Node) *Node { return Neg(ReduceAllMean(softplus(l))) }, nil
	}
	return nil, fmt.Errorf("unknown loss %q (valid: %v)", kind, Losses())
}

// GeneratorLoss is G's loss kind (see [GeneratorLossFunc]) on D's logits for
// generated images.
func GeneratorLoss(kind string, fakeLogits *Node) (*Node, error) {
	loss, err := GeneratorLossFunc(kind)
	if err != nil {
		return nil, err
	}
	return loss(fakeLogits), nil
}
