package blocks

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers/norm"
	"github.com/gomlx/gomlx/ml/model"
)

// These tests pin down the GoMLX v0.28.2 (go backend) behaviour each
// workaround in this package avoids, with the same finite-difference check
// the blocks pass. If one of them starts failing, GoMLX changed: re-check
// whether the workaround is still needed.

// stockConv is GoMLX's native convolution with PyTorch-style padding.
func stockConv(x, kernel *graph.Node, stride, padding int) *graph.Node {
	return graph.Convolve(x, kernel).Strides(stride).
		PaddingPerDim([][2]int{{padding, padding}, {padding, padding}}).Done()
}

func TestStockConvolveInputGradient(t *testing.T) {
	for _, cc := range []convCase{
		{2, 6, 6, 2, 2, 3, 1, 1},
		{2, 7, 7, 2, 2, 3, 2, 1},
		{2, 6, 6, 2, 2, 4, 1, 1},
		{2, 8, 8, 2, 2, 4, 2, 1},
		{2, 6, 6, 2, 2, 5, 1, 2},
		{2, 7, 7, 2, 2, 5, 2, 2},
	} {
		t.Run(cc.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(6, uint64(cc.k*10+cc.s)))
			x := tensor64(randData(rng, cc.n*cc.h*cc.w*cc.c), cc.n, cc.h, cc.w, cc.c)
			kern := tensor64(randData(rng, cc.k*cc.k*cc.c*cc.o), cc.k, cc.k, cc.c, cc.o)

			// The forward pass agrees with the reference…
			fwd := graph.MustNewExec(backend, func(x, k *graph.Node) *graph.Node { return stockConv(x, k, cc.s, cc.p) })
			want, _, _ := refConv2D(flat64(x), cc.n, cc.h, cc.w, cc.c, flat64(kern), cc.k, cc.o, nil, cc.s, cc.p)
			if d, _ := maxRelDiff(flat64(fwd.MustCall(x, kern)[0]), want); d > 1e-12 {
				t.Errorf("stock Convolve forward differs from reference by %.3g", d)
			}
			// …the gradient w.r.t. the input is what is in question.
			rep := fdCheck(t, func(s *model.Scope, in []*graph.Node) *graph.Node {
				return stockConv(in[0], in[1], cc.s, cc.p)
			}, []*tensors.Tensor{x, kern}, fdStep, fdTol)
			inputWrong := rep.failures != nil && strings.HasPrefix(rep.failures[0], "input0[")
			kernelWrong := false
			for _, f := range rep.failures {
				kernelWrong = kernelWrong || strings.HasPrefix(f, "input1[")
			}
			t.Logf("k=%d s=%d: input gradient wrong: %v, kernel gradient wrong: %v (worst %.3g at %s)",
				cc.k, cc.s, inputWrong, kernelWrong, rep.worst, rep.where)
			if cc.k%2 == 0 && !inputWrong {
				t.Errorf("GoMLX's Convolve input gradient for even kernel %d now agrees with FD: the workaround may no longer be needed", cc.k)
			}
			if cc.k%2 == 1 && inputWrong {
				t.Errorf("GoMLX's Convolve input gradient for odd kernel %d disagrees with FD too", cc.k)
			}
		})
	}
}

// TestStockBatchNorm: GoMLX's norm.BatchNorm in training mode either does not
// build on the go backend (default: the backend op BatchNormForTraining is
// not implemented) or, with UseBackendInference(false), normalises with batch
// statistics wrapped in StopGradient, so the input gradient misses the
// batch-statistics terms.
func TestStockBatchNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 1))
	x := tensor64(randData(rng, 6*3), 6, 3)
	stock := func(backendOp bool) func(s *model.Scope, in []*graph.Node) *graph.Node {
		return func(s *model.Scope, in []*graph.Node) *graph.Node {
			s.Store().SetTraining(in[0].Graph(), true)
			return norm.BatchNorm(s, in[0], -1).Momentum(0.9).Epsilon(1e-5).UseBackendInference(backendOp).Done()
		}
	}
	t.Run("default path does not build", func(t *testing.T) {
		fwd := model.MustNewExec(backend, newTestStore(), func(s *model.Scope, x *graph.Node) *graph.Node {
			return stock(true)(s, []*graph.Node{x})
		})
		err := panicError(func(*graph.Graph) { fwd.MustCall(x) })
		t.Logf("norm.BatchNorm (default) in training mode: %.200v", err)
		if err == nil {
			t.Errorf("GoMLX's default training-mode BatchNorm now runs on this backend: check its gradient")
		}
	})
	t.Run("graph path cuts the batch statistics", func(t *testing.T) {
		// Forward: the batch-normalised x, as it should be…
		fwd := model.MustNewExec(backend, newTestStore(), func(s *model.Scope, x *graph.Node) *graph.Node {
			return stock(false)(s, []*graph.Node{x})
		})
		want, _, _ := refBatchNormTrain(flat64(x), 6, 3, []float64{1, 1, 1}, []float64{0, 0, 0}, 1e-5)
		if d, _ := maxRelDiff(flat64(fwd.MustCall(x)[0]), want); d > 1e-9 {
			t.Errorf("stock BatchNorm forward differs from reference by %.3g", d)
		}
		// …but the gradient w.r.t. x disagrees with finite differences.
		rep := fdCheck(t, stock(false), []*tensors.Tensor{x}, fdStep, fdTol)
		t.Logf("stock BatchNorm: worst FD disagreement %.3g at %s", rep.worst, rep.where)
		if len(rep.failures) == 0 || !strings.HasPrefix(rep.failures[0], "input0[") {
			t.Errorf("GoMLX's training-mode BatchNorm input gradient now agrees with FD (worst %.3g): the workaround may no longer be needed", rep.worst)
		}
	})
}

// TestStockOpsWithoutGradient: graph.Pad, graph.Reverse and graph.Rsqrt have
// no gradient in GoMLX v0.28.2, so the blocks never pad with graph.Pad (the
// convolutions' zero padding comes from their selection matrices), never
// reverse, and take 1/√v as Reciprocal(Sqrt(v)).
func TestStockOpsWithoutGradient(t *testing.T) {
	for _, tc := range []struct {
		name string
		op   func(x *graph.Node) *graph.Node
	}{
		{"Pad", func(x *graph.Node) *graph.Node {
			return graph.Pad(x, graph.ScalarZero(x.Graph(), x.DType()), graph.PadAxis{Start: 1, End: 1})
		}},
		{"Reverse", func(x *graph.Node) *graph.Node { return graph.Reverse(x, 0) }},
		{"Rsqrt", func(x *graph.Node) *graph.Node { return graph.Rsqrt(graph.AddScalar(graph.Square(x), 1)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := panicError(func(g *graph.Graph) {
				x := graph.Parameter(g, "x", shapes.Make(dtypes.Float64, 3))
				graph.Gradient(graph.ReduceAllSum(tc.op(x)), x)
			})
			t.Logf("%s: %v", tc.name, err)
			if err == nil {
				t.Errorf("graph.Gradient through %s now works: the workaround may no longer be needed", tc.name)
			}
		})
	}
}

// panicError builds a graph with fn and returns the panic it raised, if any.
func panicError(fn func(g *graph.Graph)) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	fn(graph.NewGraph(backend, "stock"))
	return nil
}
