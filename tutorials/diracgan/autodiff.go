package diracgan

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/ganbook/ganbook/tutorials/mathx"
)

// AutodiffField computes ξ of the three-parameter GAN with GoMLX: the value V is built as a
// graph from σ and log, and ξ = (∂V/∂θ, −∂V/∂ψ₁, −∂V/∂ψ₂) comes from reverse-mode autodiff, in
// float64. It is the independent check of the hand-derived Field3.
type AutodiffField struct {
	exec *model.Exec
}

// NewAutodiffField builds the graph on backend.
func NewAutodiffField(backend compute.Backend) (*AutodiffField, error) {
	exec, err := model.NewExec(backend, model.NewStore(), func(_ *model.Scope, z *graph.Node) *graph.Node {
		return FieldGraph(z)
	})
	if err != nil {
		return nil, err
	}
	return &AutodiffField{exec: exec}, nil
}

// At returns ξ(z) by autodiff.
func (a *AutodiffField) At(z mathx.Vec3) (mathx.Vec3, error) {
	out, err := a.exec.Call(tensors.FromFlatDataAndDimensions([]float64{z[0], z[1], z[2]}, 3))
	if err != nil {
		return mathx.Vec3{}, err
	}
	v, err := tensors.CopyFlatData[float64](out[0])
	if err != nil {
		return mathx.Vec3{}, err
	}
	return mathx.Vec3{v[0], v[1], v[2]}, nil
}

// FieldGraph builds ξ(z) of the three-parameter GAN for z = (θ, ψ₁, ψ₂) [3], float64, as
// AutodiffField computes it: V from σ and log, ξ from reverse-mode autodiff of V.
func FieldGraph(z *graph.Node) *graph.Node {
	// Components as ⟨z, e_i⟩ rather than Slice: Slice's gradient is a Pad, which GoMLX cannot
	// differentiate again, and gamejac differentiates ξ twice more.
	component := func(i int) *graph.Node {
		e := make([]float64, 3)
		e[i] = 1
		return graph.ReduceAllSum(graph.Mul(z, graph.Const(z.Graph(), e)))
	}
	theta, psi1, psi2 := component(0), component(1), component(2)
	u := graph.Add(graph.Mul(psi1, theta), psi2)
	v := graph.Add(graph.Log(graph.Logistic(psi2)), graph.Log(graph.OneMinus(graph.Logistic(u))))
	grad := graph.Gradient(graph.ReduceAllSum(v), z)[0]
	sign := graph.Const(z.Graph(), []float64{1, -1, -1})
	return graph.Mul(grad, sign)
}
