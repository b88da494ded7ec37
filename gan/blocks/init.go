package blocks

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Init names a weight-initialisation scheme. It is read from the scope
// hyperparameter [ParamInit] (inherited by sub-scopes), so a whole network is
// switched with one SetInit call on its root scope.
type Init string

const (
	// InitPyTorch reproduces PyTorch's default initialisation
	// (kaiming_uniform_ with a=√5): weights and biases are drawn from
	// U(−1/√fanIn, +1/√fanIn). fanIn is in for Dense and k·k·inC for Conv2D.
	// For ConvTranspose2D it is k·k·outC, because PyTorch computes the fan from
	// the ConvTranspose2d weight tensor [inC, outC, k, k] as if it were a
	// convolution's; we copy that quirk so models start alike.
	// BatchNorm: gamma 1, beta 0. This is the default.
	InitPyTorch Init = "pytorch"

	// InitDCGAN is the initialisation of Radford et al. (DCGAN):
	// weights ~ N(0, 0.02), biases 0, BatchNorm gamma ~ N(1, 0.02), beta 0.
	InitDCGAN Init = "dcgan"

	// InitHe is He et al.'s initialisation for (leaky) ReLU networks, GoMLX's
	// default: weights ~ N(0, 2/fanIn), biases 0; BatchNorm like InitPyTorch.
	// ganbook's MLP GAN uses it: with PyTorch's default the MLP GAN collapses
	// onto one blob within a few thousand steps (seen with the default recipe).
	InitHe Init = "he"
)

// ParamInit is the scope hyperparameter that selects the [Init] scheme
// (a value of type Init or string). Unset means [InitPyTorch].
const ParamInit = "blocks_init"

// SetInit selects the initialisation scheme for every block created under scope.
func SetInit(scope *model.Scope, init Init) {
	scope.SetParam(ParamInit, string(init))
}

// initFromScope returns the scheme configured for scope; an unknown name panics,
// like GoMLX's other graph-building errors, so a typo cannot silently change
// the initialisation.
func initFromScope(scope *model.Scope) Init {
	v, found := scope.GetParam(ParamInit)
	if !found || v == nil {
		return InitPyTorch
	}
	var name Init
	switch x := v.(type) {
	case Init:
		name = x
	case string:
		name = Init(x)
	default:
		panic(fmt.Sprintf("blocks: scope hyperparameter %q must be a blocks.Init or string, got %T", ParamInit, v))
	}
	switch name {
	case InitPyTorch, InitDCGAN, InitHe:
		return name
	}
	panic(fmt.Sprintf("blocks: unknown %s %q (want %q, %q or %q)", ParamInit, name, InitPyTorch, InitDCGAN, InitHe))
}

// uniformInit draws from U(−bound, +bound) with the store's random state.
func uniformInit(scope *model.Scope, bound float64) model.VariableInitializer {
	return func(g *graph.Graph, shape shapes.Shape) *graph.Node {
		u := scope.RandomUniform(g, shape) // [0, 1)
		return graph.AddScalar(graph.MulScalar(u, 2*bound), -bound)
	}
}

// normalInit draws from N(mean, stddev²) with the store's random state.
func normalInit(scope *model.Scope, mean, stddev float64) model.VariableInitializer {
	return func(g *graph.Graph, shape shapes.Shape) *graph.Node {
		return graph.AddScalar(graph.MulScalar(scope.RandomNormal(g, shape), stddev), mean)
	}
}

// weightAndBiasInit returns the initialisers of a layer's weights and biases
// for the configured scheme; fanIn follows PyTorch (see [InitPyTorch]).
func weightAndBiasInit(scope *model.Scope, fanIn int) (weights, biases model.VariableInitializer) {
	switch initFromScope(scope) {
	case InitDCGAN:
		return normalInit(scope, 0, 0.02), graph.Zeros
	case InitHe:
		return normalInit(scope, 0, math.Sqrt(2/float64(max(fanIn, 1)))), graph.Zeros
	default:
		bound := 1 / math.Sqrt(float64(max(fanIn, 1)))
		return uniformInit(scope, bound), uniformInit(scope, bound)
	}
}

// gammaInit returns the BatchNorm scale initialiser for the configured scheme.
func gammaInit(scope *model.Scope) model.VariableInitializer {
	if initFromScope(scope) == InitDCGAN {
		return normalInit(scope, 1, 0.02)
	}
	return graph.Ones
}
