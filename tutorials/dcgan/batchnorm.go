package dcgan

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/ganbook/ganbook/gan/blocks"
)

// BatchNormRun is one batch-norm layer (gamma 1, beta 0, as initialised
// without the DCGAN init) applied to a batch x [rows, features]: first in
// training mode, which normalises with the batch's own statistics and moves
// the running averages one step, then in inference mode, which uses those
// running averages.
type BatchNormRun struct {
	Train, Eval []float32 // the outputs, [rows·features] each
	// RunningMean and RunningVar after the training step (they start at 0 and 1).
	RunningMean, RunningVar []float32
}

// RunBatchNorm applies blocks.BatchNorm to x [rows·features], once in
// training mode and then once in inference mode.
func RunBatchNorm(backend compute.Backend, x []float32, rows, features int) (BatchNormRun, error) {
	store := model.NewStore()
	in := tensors.FromFlatDataAndDimensions(x, rows, features)
	var r BatchNormRun
	for _, training := range []bool{true, false} {
		exec, err := model.NewExec(backend, store, func(s *model.Scope, x *graph.Node) *graph.Node {
			return blocks.BatchNorm(s.In("bn"), x, training)
		})
		if err != nil {
			return r, err
		}
		out, err := exec.Call(in)
		if err != nil {
			return r, err
		}
		y, err := tensors.CopyFlatData[float32](out[0])
		if err != nil {
			return r, err
		}
		if training {
			r.Train = y
		} else {
			r.Eval = y
		}
	}
	for _, v := range []struct {
		name string
		dst  *[]float32
	}{{"running_mean", &r.RunningMean}, {"running_var", &r.RunningVar}} {
		t, err := store.Scope("/bn").GetVariable(v.name).Value()
		if err != nil {
			return r, err
		}
		if *v.dst, err = tensors.CopyFlatData[float32](t); err != nil {
			return r, err
		}
	}
	return r, nil
}
