package blocks

import (
	"fmt"

	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Defaults of [BatchNorm], PyTorch's.
const (
	DefaultBatchNormMomentum = 0.1
	DefaultBatchNormEpsilon  = 1e-5
)

// BatchNormOption changes one setting of [BatchNorm].
type BatchNormOption func(*batchNormConfig)

type batchNormConfig struct {
	momentum, epsilon float64
	frozenStats       bool
}

// BatchNormMomentum sets the weight of the batch statistics in the running
// averages: running = (1−m)·running + m·batch, as PyTorch's momentum (default 0.1).
func BatchNormMomentum(m float64) BatchNormOption {
	return func(c *batchNormConfig) { c.momentum = m }
}

// BatchNormEpsilon sets the value added to the variance before the square root (default 1e-5).
func BatchNormEpsilon(eps float64) BatchNormOption {
	return func(c *batchNormConfig) { c.epsilon = eps }
}

// BatchNormFrozenStats keeps the running averages unchanged in training mode:
// the output still uses (and differentiates through) the batch statistics.
// Use it where a network is applied in training mode but is not the one being
// trained, e.g. the discriminator inside the generator's step, if its running
// averages should only move in its own step.
func BatchNormFrozenStats() BatchNormOption {
	return func(c *batchNormConfig) { c.frozenStats = true }
}

// BatchNorm normalises x per feature, the last axis ([batch, features] like
// PyTorch's BatchNorm1d, or NHWC [batch, h, w, channels] like BatchNorm2d),
// then applies the learnable scale "gamma" and offset "beta":
//
//	y = (x − μ) / √(σ² + ε) · gamma + beta
//
// training=true: μ and σ² are the batch statistics over all axes but the last
// (σ² biased, as PyTorch), and the gradient flows through them. That is why
// BatchNorm is written here with plain graph ops instead of GoMLX's
// norm.BatchNorm: in training mode on the go backend of GoMLX v0.28.2, its
// default path does not build (the backend op BatchNormForTraining is not
// implemented) and its UseBackendInference(false) path wraps the batch
// statistics in StopGradient, so its input gradient misses their terms and
// disagrees with finite differences (TestStockBatchNorm). In the same graph,
// the non-trainable variables
// "running_mean" and "running_var" are replaced via Variable.SetNodeValue by
//
//	running_mean ← (1−m)·running_mean + m·μ
//	running_var  ← (1−m)·running_var  + m·σ²·n/(n−1)   (unbiased, as PyTorch)
//
// and model.Exec writes the new values to the store when the graph runs.
//
// training=false: μ and σ² are "running_mean" and "running_var" (initially 0
// and 1); nothing is updated.
//
// Applying the same BatchNorm scope several times in one graph (a
// discriminator on the real batch and then on the fake batch in its step)
// normalises each batch with its own statistics and chains the running-average
// updates in call order, as if the applications had run one after the other:
// exactly what PyTorch does for D(real) followed by D(fake). A discriminator
// used in training mode inside the generator's step updates its running
// averages there too (PyTorch does the same); pass [BatchNormFrozenStats] to
// avoid that.
func BatchNorm(scope *model.Scope, x *graph.Node, training bool, opts ...BatchNormOption) *graph.Node {
	cfg := batchNormConfig{momentum: DefaultBatchNormMomentum, epsilon: DefaultBatchNormEpsilon}
	for _, o := range opts {
		o(&cfg)
	}
	if x.Rank() < 2 {
		panic(fmt.Sprintf("blocks.BatchNorm: x must be [batch, ..., features], got %s", x.Shape()))
	}
	if cfg.momentum < 0 || cfg.momentum > 1 || cfg.epsilon <= 0 {
		panic(fmt.Sprintf("blocks.BatchNorm: need 0 ≤ momentum ≤ 1 and epsilon > 0, got %g, %g", cfg.momentum, cfg.epsilon))
	}
	g := x.Graph()
	dtype := x.DType()
	features := x.Shape().Dimensions[x.Rank()-1]
	rows := x.Shape().Size() / features
	vshape := shapes.Make(dtype, features)
	gamma := scope.WithInitializer(gammaInit(scope)).VariableWithShape("gamma", vshape).NodeValue(g)
	beta := scope.WithInitializer(graph.Zeros).VariableWithShape("beta", vshape).NodeValue(g)
	runMeanVar := scope.WithInitializer(graph.Zeros).VariableWithShape("running_mean", vshape).SetTrainable(false)
	runVarVar := scope.WithInitializer(graph.Ones).VariableWithShape("running_var", vshape).SetTrainable(false)

	// All batch-sized work is on x as [rows, features]; sums over the rows
	// are matmuls with a ones vector (sumRows), which the go backend runs far
	// faster than ReduceSum, and per-feature values meet the rows as
	// rowOperand gives them (in the training pass, whose gradient is written
	// out; inference keeps broadcastRows's products, which autodiff handles
	// without BroadcastInDim).
	x2 := graph.Reshape(x, rows, features)
	if !training {
		// Inference: y = x·s + (beta − μ·s). Rsqrt is avoided throughout
		// because it has no gradient registered in GoMLX v0.28.2.
		mean, variance := runMeanVar.NodeValue(g), runVarVar.NodeValue(g)
		scale := graph.Mul(gamma, graph.Reciprocal(graph.Sqrt(graph.AddScalar(variance, cfg.epsilon))))
		shift := graph.Sub(beta, graph.Mul(mean, scale))
		y := graph.Add(graph.Mul(x2, broadcastRows(scale, rows)), broadcastRows(shift, rows))
		return graph.Reshape(y, x.Shape().Dimensions...)
	}

	// Training: batch statistics. The gradient is written out (see
	// withCustomVJP) in its closed form, with v = ∂L/∂y, x̂ = (x−μ)/σ,
	// s = gamma/σ and n rows:
	//
	//	∂beta = Σv,  ∂gamma = Σ v·x̂,  ∂x = s·(v − Σv/n − x̂·Σ(v·x̂)/n)
	//
	// which includes the terms through μ and σ² (the reason this BatchNorm
	// exists; TestBatchNormFDCheckSeesBatchStatistics).
	type batchStats struct{ mean, centred, variance, invStd, scale *graph.Node }
	var st batchStats // of the last forward built: the live one (see withCustomVJP)
	n := float64(rows)
	forward := func(in []*graph.Node, _ bool) *graph.Node {
		x2, gamma, beta := graph.Reshape(in[0], rows, features), in[1], in[2]
		mean := graph.MulScalar(sumRows(x2), 1/n)
		centred := graph.Sub(x2, rowOperand(x2, mean))
		variance := graph.MulScalar(sumRows(graph.Square(centred)), 1/n)
		invStd := graph.Reciprocal(graph.Sqrt(graph.AddScalar(variance, cfg.epsilon)))
		scale := graph.Mul(gamma, invStd)
		st = batchStats{mean, centred, variance, invStd, scale}
		y := graph.Add(graph.Mul(centred, rowOperand(x2, scale)), rowOperand(x2, beta))
		return graph.Reshape(y, x.Shape().Dimensions...)
	}
	y := withCustomVJP([]*graph.Node{x, gamma, beta}, forward, func(v *graph.Node) []*graph.Node {
		v2 := graph.Reshape(v, rows, features)
		sumV := sumRows(v2)
		sumVC := sumRows(graph.Mul(v2, st.centred)) // Σ v·(x−μ) = σ·Σ v·x̂
		dGamma := graph.Mul(sumVC, st.invStd)
		// ∂x = v·s − (x−μ)·(s/σ²·Σv(x−μ)/n) − s·Σv/n
		a := graph.Mul(st.scale, graph.MulScalar(graph.Mul(sumVC, graph.Square(st.invStd)), 1/n))
		c := graph.MulScalar(graph.Mul(st.scale, sumV), 1/n)
		dx := graph.Sub(graph.Mul(v2, rowOperand(v2, st.scale)),
			graph.Add(graph.Mul(st.centred, rowOperand(v2, a)), rowOperand(v2, c)))
		return []*graph.Node{graph.Reshape(dx, x.Shape().Dimensions...), dGamma, sumV}
	})
	if !cfg.frozenStats {
		m := cfg.momentum
		unbias := 1.0
		if rows > 1 {
			unbias = n / (n - 1)
		}
		rm := runMeanVar.NodeValue(g)
		rv := runVarVar.NodeValue(g)
		runMeanVar.SetNodeValue(graph.Add(graph.MulScalar(rm, 1-m), graph.MulScalar(graph.StopGradient(st.mean), m)))
		runVarVar.SetNodeValue(graph.Add(graph.MulScalar(rv, 1-m), graph.MulScalar(graph.StopGradient(st.variance), m*unbias)))
	}
	return y
}
