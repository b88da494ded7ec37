package gamejac

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// Field builds a game's simultaneous gradient ξ as a graph: it receives the players' parameters
// as float64 nodes of the shapes given to [NewOperator] and returns ξ's part for each, in the
// same shapes and order. Each player's part is the gradient of that player's own loss with
// respect to its own parameters.
type Field func(params []*graph.Node) []*graph.Node

// Operator gives products with the Jacobian J = ∂ξ/∂w of a Field at one point w. Vectors are
// the parameters flattened part after part, each part row-major.
type Operator struct {
	dims  [][]int
	sizes []int
	n     int
	at    []float64
	field *graph.Exec // params → ξ
	jtv   *graph.Exec // params, u → Jᵀu
	jv    *graph.Exec // params, u, v → Jv (independent of u)
}

// NewOperator compiles field's products on backend at the point at (flattened), for parameters
// of the given dims.
func NewOperator(backend compute.Backend, field Field, dims [][]int, at []float64) (*Operator, error) {
	o := &Operator{dims: dims, at: at}
	for _, d := range dims {
		size := 1
		for _, x := range d {
			size *= x
		}
		o.sizes = append(o.sizes, size)
		o.n += size
	}
	if len(at) != o.n {
		return nil, fmt.Errorf("gamejac: point has %d values, the parameters %d", len(at), o.n)
	}
	k := len(dims)
	call := func(fn func(params, extra []*graph.Node) []*graph.Node) (*graph.Exec, error) {
		return graph.NewExec(backend, func(in []*graph.Node) []*graph.Node {
			return fn(in[:k], in[k:])
		})
	}
	var err error
	if o.field, err = call(func(p, _ []*graph.Node) []*graph.Node { return o.checked(field(p)) }); err != nil {
		return nil, err
	}
	// Jᵀu = ∇_w ⟨ξ(w), u⟩.
	jtu := func(p, u []*graph.Node) []*graph.Node {
		xi := o.checked(field(p))
		return graph.Gradient(inner(xi, u), p...)
	}
	if o.jtv, err = call(func(p, u []*graph.Node) []*graph.Node { return jtu(p, u) }); err != nil {
		return nil, err
	}
	// Jv = ∇_u ⟨Jᵀu, v⟩: Jᵀu is linear in u, so this holds at any u.
	if o.jv, err = call(func(p, uv []*graph.Node) []*graph.Node {
		u, v := uv[:k], uv[k:]
		return graph.Gradient(inner(jtu(p, u), v), u...)
	}); err != nil {
		return nil, err
	}
	return o, nil
}

func (o *Operator) checked(xi []*graph.Node) []*graph.Node {
	if len(xi) != len(o.dims) {
		panic(fmt.Sprintf("gamejac: the field returned %d parts for %d parameters", len(xi), len(o.dims)))
	}
	return xi
}

// inner is Σ_i ⟨a_i, b_i⟩.
func inner(a, b []*graph.Node) *graph.Node {
	total := graph.ReduceAllSum(graph.Mul(a[0], b[0]))
	for i := 1; i < len(a); i++ {
		total = graph.Add(total, graph.ReduceAllSum(graph.Mul(a[i], b[i])))
	}
	return total
}

// Dim is the number of parameters.
func (o *Operator) Dim() int { return o.n }

// Point returns the point the operator is at (not a copy).
func (o *Operator) Point() []float64 { return o.at }

// split turns flat vectors into one tensor per part.
func (o *Operator) split(args []any, vecs ...[]float64) []any {
	for _, vec := range vecs {
		off := 0
		for i, d := range o.dims {
			args = append(args, tensors.FromFlatDataAndDimensions(vec[off:off+o.sizes[i]], d...))
			off += o.sizes[i]
		}
	}
	return args
}

func (o *Operator) run(exec *graph.Exec, vecs ...[]float64) ([]float64, error) {
	for _, v := range vecs {
		if len(v) != o.n {
			return nil, fmt.Errorf("gamejac: vector of %d values for %d parameters", len(v), o.n)
		}
	}
	out, err := exec.Call(o.split(nil, vecs...)...)
	if err != nil {
		return nil, err
	}
	flat := make([]float64, 0, o.n)
	for _, t := range out {
		if t.Shape().DType != dtypes.Float64 {
			return nil, fmt.Errorf("gamejac: the field must be float64, got %s", t.Shape())
		}
		vals, err := tensors.CopyFlatData[float64](t)
		if err != nil {
			return nil, err
		}
		flat = append(flat, vals...)
	}
	return flat, nil
}

// Field returns ξ(w) at any w.
func (o *Operator) Field(w []float64) ([]float64, error) { return o.run(o.field, w) }

// JTV returns Jᵀu at the operator's point, by double backpropagation.
func (o *Operator) JTV(u []float64) ([]float64, error) { return o.run(o.jtv, o.at, u) }

// JV returns Jv at the operator's point, by a third backward pass through JTV.
func (o *Operator) JV(v []float64) ([]float64, error) {
	return o.run(o.jv, o.at, make([]float64, o.n), v)
}

// JVFiniteDiff returns Jv ≈ (ξ(w + hv) − ξ(w − hv)) / 2h, central differences of the field.
func (o *Operator) JVFiniteDiff(v []float64, h float64) ([]float64, error) {
	plus, minus := make([]float64, o.n), make([]float64, o.n)
	for i := range o.n {
		plus[i], minus[i] = o.at[i]+h*v[i], o.at[i]-h*v[i]
	}
	fp, err := o.Field(plus)
	if err != nil {
		return nil, err
	}
	fm, err := o.Field(minus)
	if err != nil {
		return nil, err
	}
	for i := range fp {
		fp[i] = (fp[i] - fm[i]) / (2 * h)
	}
	return fp, nil
}

// SymAntisym returns Sv = (Jv + Jᵀv)/2 and Av = (Jv − Jᵀv)/2.
func (o *Operator) SymAntisym(v []float64) (sv, av []float64, err error) {
	jv, err := o.JV(v)
	if err != nil {
		return nil, nil, err
	}
	jtv, err := o.JTV(v)
	if err != nil {
		return nil, nil, err
	}
	sv, av = make([]float64, o.n), make([]float64, o.n)
	for i := range jv {
		sv[i], av[i] = (jv[i]+jtv[i])/2, (jv[i]-jtv[i])/2
	}
	return sv, av, nil
}
