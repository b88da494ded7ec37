package blocks

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/nn"
)

// Dense is a fully connected layer y = x·W + b over the last axis of x:
// x [..., in] gives y [..., outDim]. Its variables live directly in scope:
// "weights" [in, outDim] and "biases" [outDim], in x's dtype.
//
// It goes through GoMLX's nn.Dense, which uses the backend's fused dense op
// for the forward pass and differentiates the decomposed form (DotGeneral +
// Add); the tests check both the float64 (finite-difference) and the float32
// gradients.
func Dense(scope *model.Scope, x *graph.Node, outDim int) *graph.Node {
	if x.Rank() < 1 || outDim <= 0 {
		panic(fmt.Sprintf("blocks.Dense: need x of rank ≥ 1 and outDim > 0, got x %s, outDim %d", x.Shape(), outDim))
	}
	inDim := x.Shape().Dimensions[x.Rank()-1]
	wInit, bInit := weightAndBiasInit(scope, inDim)
	g := x.Graph()
	w := scope.WithInitializer(wInit).VariableWithShape("weights", shapes.Make(x.DType(), inDim, outDim)).NodeValue(g)
	b := scope.WithInitializer(bInit).VariableWithShape("biases", shapes.Make(x.DType(), outDim)).NodeValue(g)
	return nn.Dense(x, w, b, compute.DenseLayoutInputOutputs)
}
