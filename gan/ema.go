package gan

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph ops read as math.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// EMAScope holds the moving averages of [Config.EMA]: the average of a
// variable /gen/fc/weights is /ema/gen/fc/weights, so the generator built on
// [GeneratorEMAScope] is the averaged generator.
const EMAScope = "/ema"

// GeneratorEMAScope is the scope of the averaged generator's variables.
const GeneratorEMAScope = EMAScope + GeneratorScope

// generatorScopeFor is the scope of the generator that a run of cfg samples
// and is evaluated with: the moving average of its weights where the run
// keeps one ([Config.EMA]), its raw weights otherwise.
func generatorScopeFor(cfg Config) string {
	if cfg.EMA > 0 {
		return GeneratorEMAScope
	}
	return GeneratorScope
}

// emaDecay is the weight of the old average at the optimiser's step t (1 for
// the first update): the configured decay, or less while t is small, so that
// the average of the first t steps is their plain mean (a zero start would
// otherwise pull it towards 0 for the first 1/(1−decay) steps).
func emaDecay(decay float64, t int64) float64 {
	return min(decay, float64(t-1)/float64(t))
}

// movingAverage is the exponential moving average of all of the generator's
// variables after each of its updates (Polyak averaging, as Yazıcı et al.
// 2019 apply it to GANs; PyTorch's AveragedModel with use_buffers=True):
//
//	avg ← d·avg + (1−d)·p,   d = [emaDecay](decay, t)
//
// for the trainable weights and for batch norm's running statistics alike,
// so that the averaged generator's statistics belong to averaged weights. Like
// [adam] it runs on the host where the backend shares buffers and in the
// training graph elsewhere, in the same variables.
type movingAverage struct {
	decay  float64
	onHost bool

	src, avg []*model.Variable
	step     *model.Variable // the generator optimiser's step counter
}

// graph creates the averages of scope's variables that the G step uses and,
// for an in-graph update, appends the update to g. step is the optimiser's
// step counter, already advanced in g (see [adam.gradientsGraph]).
func (e *movingAverage) graph(g *Graph, scope *model.Scope, step *model.Variable) {
	store := scope.Store()
	e.src, e.avg, e.step = nil, nil, step
	for v := range scope.IterVariables() {
		if !v.InUseByGraph(g) {
			continue
		}
		avg := store.VariableWithValue(EMAScope+v.Path(), tensors.FromShape(v.Shape())).SetTrainable(false)
		e.src = append(e.src, v)
		e.avg = append(e.avg, avg)
	}
	if e.onHost {
		return
	}
	d := Min(Scalar(g, dtypes.Float64, e.decay),
		Div(ConvertDType(AddScalar(step.NodeValue(g), -1), dtypes.Float64), ConvertDType(step.NodeValue(g), dtypes.Float64)))
	for i, v := range e.src {
		dt := ConvertDType(d, v.DType())
		oneMinus := ConvertDType(OneMinus(d), v.DType())
		e.avg[i].SetNodeValue(Add(Mul(dt, e.avg[i].NodeValue(g)), Mul(oneMinus, v.NodeValue(g))))
	}
}

// applyHost updates the averages after the G step and its optimiser's update.
func (e *movingAverage) applyHost(share func(*model.Variable) error) error {
	if !e.onHost {
		return nil
	}
	var t int64
	if err := e.step.MustValue().ConstFlatData(func(flat any) { t = flat.([]int64)[0] }); err != nil {
		return err
	}
	d := emaDecay(e.decay, t)
	dt, oneMinus := float32(d), float32(1-d)
	for i, v := range e.src {
		if v.DType() != dtypes.Float32 {
			return fmt.Errorf("moving average: %s is %s; the host update is for float32", v.Path(), v.DType())
		}
		if err := share(e.avg[i]); err != nil {
			return err
		}
		var avg []float32
		if err := e.avg[i].MustValue().MutableFlatData(func(flat any) { avg = flat.([]float32) }); err != nil {
			return fmt.Errorf("moving average of %s: %w", v.Path(), err)
		}
		var err error
		if cerr := v.MustValue().ConstFlatData(func(flat any) {
			p := flat.([]float32)
			if len(p) != len(avg) {
				err = fmt.Errorf("moving average of %s: %d values for %d", v.Path(), len(avg), len(p))
				return
			}
			for j, x := range p {
				// The conversions keep the compiler from fusing a
				// multiply-add, which the in-graph update does not do.
				avg[j] = float32(dt*avg[j]) + float32(oneMinus*x)
			}
		}); cerr != nil {
			return cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// validEMADecay reports whether d is a decay [Config.EMA] accepts.
func validEMADecay(d float64) bool { return d >= 0 && d < 1 && !math.IsNaN(d) }
