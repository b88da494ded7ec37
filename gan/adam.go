package gan

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph ops read as math.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// adamScope holds the optimisers' state: for a variable /disc/fc0/weights its
// moments are /adam/m/disc/fc0/weights and /adam/v/disc/fc0/weights, and the
// step count of the optimiser of /disc is /adam/disc/step.
const adamScope = "/adam"

// adam is PyTorch's torch.optim.Adam update (no weight decay, no amsgrad) for
// the trainable variables of one network scope:
//
//	m ← β₁m + (1−β₁)g        v ← β₂v + (1−β₂)g²
//	p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)
//
// On a backend whose buffers the host can address (the go backend), the
// training graph only returns the gradients and the host applies the update in
// one fused loop: the go backend runs each element-wise op as its own pass over
// memory, and GoMLX's in-graph Adam takes 14 of them per variable, about a
// tenth of the MLP GAN's iteration. Elsewhere (XLA) the same update is built
// into the graph, where the compiler fuses it. Both keep their state in the
// same variables, so checkpoints move between backends.
type adam struct {
	scope                     *model.Scope // the network's variables
	lr, beta1, beta2, epsilon float64
	onHost                    bool

	params  []*model.Variable // in the order of the graph's gradients
	m, v    []*model.Variable
	stepVar *model.Variable
	workers int
	backend compute.Backend
}

// newAdam builds the host update where the backend shares buffers with the
// host, the in-graph one elsewhere or when inGraph is set (Options'
// test-only adamInGraph).
func newAdam(scope *model.Scope, lr float64, cfg Config, backend compute.Backend, inGraph bool) *adam {
	return &adam{
		scope: scope, lr: lr, beta1: cfg.Beta1, beta2: cfg.Beta2, epsilon: 1e-8,
		onHost:  backend.HasSharedBuffers() && !inGraph,
		workers: runtime.GOMAXPROCS(0),
		backend: backend,
	}
}

// stateVariables returns, creating them on first use (or loading them from a
// checkpoint), the moment variables of p.
func (o *adam) stateVariables(p *model.Variable) (m, v *model.Variable) {
	store := o.scope.Store()
	zeros := func(kind string) *model.Variable {
		path := model.JoinPath(adamScope, kind) + p.Path()
		return store.VariableWithValue(path, tensors.FromShape(p.Shape())).SetTrainable(false)
	}
	return zeros("m"), zeros("v")
}

// step returns the optimiser's step counter, created like the moments.
func (o *adam) step() *model.Variable {
	path := adamScope + o.scope.Scope() + "/step"
	return o.scope.Store().VariableWithValue(path, int64(0)).SetTrainable(false)
}

// gradientsGraph builds the gradients of loss with respect to the scope's
// trainable variables in use and, when the update runs in the graph, the
// update itself. It returns the nodes the training graph must output for
// [adam.applyHost] (none for an in-graph update).
func (o *adam) gradientsGraph(loss *Node) []*Node {
	g := loss.Graph()
	var params []*model.Variable
	for v := range o.scope.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) {
			params = append(params, v)
		}
	}
	if len(params) == 0 {
		panic(fmt.Sprintf("adam: no trainable variables of %s in the graph", o.scope.Scope()))
	}
	grads := o.scope.BuildTrainableVariablesGradientsGraph(loss)
	o.params = params
	o.m, o.v = make([]*model.Variable, len(params)), make([]*model.Variable, len(params))
	for i, p := range params {
		o.m[i], o.v[i] = o.stateVariables(p)
	}
	o.stepVar = o.step()
	if o.onHost {
		return grads
	}
	o.updateGraph(g, grads)
	return nil
}

// updateGraph is the update as graph ops, for backends without shared buffers.
func (o *adam) updateGraph(g *Graph, grads []*Node) {
	stepNode := AddScalar(o.stepVar.NodeValue(g), 1)
	o.stepVar.SetNodeValue(stepNode)
	for i, p := range o.params {
		dtype := p.DType()
		t := ConvertDType(stepNode, dtypes.Float64)
		bc1 := OneMinus(Pow(Scalar(g, dtypes.Float64, o.beta1), t))
		bc2 := OneMinus(Pow(Scalar(g, dtypes.Float64, o.beta2), t))
		negStepSize := ConvertDType(Neg(Div(Scalar(g, dtypes.Float64, o.lr), bc1)), dtype)
		bc2Sqrt := ConvertDType(Sqrt(bc2), dtype)
		grad := grads[i]
		m := Add(MulScalar(o.m[i].NodeValue(g), o.beta1), MulScalar(grad, 1-o.beta1))
		v := Add(MulScalar(o.v[i].NodeValue(g), o.beta2), Mul(MulScalar(grad, 1-o.beta2), grad))
		denom := AddScalar(Div(Sqrt(v), bc2Sqrt), o.epsilon)
		o.m[i].SetNodeValue(m)
		o.v[i].SetNodeValue(v)
		p.SetNodeValue(Add(p.NodeValue(g), Mul(negStepSize, Div(m, denom))))
	}
}

// adamCoefficients are one step's scalars, rounded to float32 as PyTorch
// rounds its Python floats when it applies them to float32 tensors.
type adamCoefficients struct {
	beta1, oneMinusBeta1, beta2, oneMinusBeta2 float32
	bc2Sqrt, epsilon, negStepSize              float32
}

func (o *adam) coefficients(step int64) adamCoefficients {
	bc1 := 1 - math.Pow(o.beta1, float64(step))
	bc2 := 1 - math.Pow(o.beta2, float64(step))
	return adamCoefficients{
		beta1: float32(o.beta1), oneMinusBeta1: float32(1 - o.beta1),
		beta2: float32(o.beta2), oneMinusBeta2: float32(1 - o.beta2),
		bc2Sqrt: float32(math.Sqrt(bc2)), epsilon: float32(o.epsilon),
		negStepSize: float32(-o.lr / bc1),
	}
}

// adamUpdate applies one step to p with gradient g and moments m, v, in place,
// in the operation order of PyTorch's single-tensor Adam.
func adamUpdate(p, g, m, v []float32, c adamCoefficients) {
	n := len(p)
	g, m, v = g[:n], m[:n], v[:n]
	for i := range p {
		gi := g[i]
		mi := m[i]*c.beta1 + gi*c.oneMinusBeta1
		vi := v[i]*c.beta2 + c.oneMinusBeta2*gi*gi
		m[i], v[i] = mi, vi
		denom := float32(math.Sqrt(float64(vi)))/c.bc2Sqrt + c.epsilon
		p[i] += c.negStepSize * (mi / denom)
	}
}

// applyHost applies one step from the gradients the training graph returned,
// splitting the work over GOMAXPROCS goroutines.
func (o *adam) applyHost(grads []*tensors.Tensor) error {
	if len(grads) != len(o.params) {
		return fmt.Errorf("adam: %d gradients for %d variables of %s", len(grads), len(o.params), o.scope.Scope())
	}
	var step int64
	if err := o.stepVar.MustValue().MutableFlatData(func(flat any) {
		s := flat.([]int64)
		s[0]++
		step = s[0]
	}); err != nil {
		return err
	}
	c := o.coefficients(step)

	// Collect the flat slices first: the variables' tensors are shared with the
	// backend, so writing them updates what the next graph reads, with no copy.
	type job struct{ p, g, m, v []float32 }
	jobs := make([]job, len(o.params))
	for i, p := range o.params {
		for _, vr := range []*model.Variable{p, o.m[i], o.v[i]} {
			if err := o.share(vr); err != nil {
				return err
			}
		}
		var j job
		if err := grads[i].ConstFlatData(func(flat any) { j.g = flat.([]float32) }); err != nil {
			return fmt.Errorf("adam: gradient of %s: %w", p.Path(), err)
		}
		for _, dst := range []struct {
			vr   *model.Variable
			flat *[]float32
		}{{p, &j.p}, {o.m[i], &j.m}, {o.v[i], &j.v}} {
			if err := dst.vr.MustValue().MutableFlatData(func(flat any) { *dst.flat = flat.([]float32) }); err != nil {
				return fmt.Errorf("adam: %s: %w", dst.vr.Path(), err)
			}
		}
		if p.DType() != dtypes.Float32 {
			return fmt.Errorf("adam: %s is %s; the host update is for float32", p.Path(), p.DType())
		}
		if len(j.g) != len(j.p) {
			return fmt.Errorf("adam: gradient of %s has %d values, the variable %d", p.Path(), len(j.g), len(j.p))
		}
		jobs[i] = j
	}

	// Chunks of about equal size, so that both cores finish together.
	const chunk = 1 << 14
	type piece struct{ job, from, to int }
	var pieces []piece
	for i, j := range jobs {
		for from := 0; from < len(j.p); from += chunk {
			pieces = append(pieces, piece{i, from, min(from+chunk, len(j.p))})
		}
	}
	workers := min(o.workers, len(pieces))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for k := w; k < len(pieces); k += workers {
				pc := pieces[k]
				j := jobs[pc.job]
				adamUpdateFast(j.p[pc.from:pc.to], j.g[pc.from:pc.to], j.m[pc.from:pc.to], j.v[pc.from:pc.to], c)
			}
		})
	}
	wg.Wait()
	return nil
}

// share replaces a variable's value by a copy in a buffer shared with the
// backend, once (after initialisation or a checkpoint load the value lives
// in a buffer of its own or on the host).
func (o *adam) share(v *model.Variable) error {
	value := v.MustValue()
	if value.IsShared() {
		return nil
	}
	shared, err := tensors.FromShapeForBackend(o.backend, 0, value.Shape())
	if err != nil {
		return err
	}
	if !shared.IsShared() {
		return fmt.Errorf("adam: backend %s gave no shared buffer for %s", o.backend.Name(), v.Path())
	}
	var copyErr error
	err = value.ConstFlatData(func(src any) {
		copyErr = shared.MutableFlatData(func(dst any) { copy(dst.([]float32), src.([]float32)) })
	})
	if err != nil {
		return err
	}
	if copyErr != nil {
		return copyErr
	}
	return v.SetValue(shared)
}
