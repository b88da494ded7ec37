package blocks

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// The tests that build a block two ways on one backend (an operand read in
// place or materialized first) and require the same bits share these.

// patchedBackend is the go backend with ganbook's patch
// (third_party/compute): the kernel setters and the questions graph builders
// ask it.
type patchedBackend interface {
	compute.Backend
	SetMatMulFloat32(kernel func(lhsT, rhsT bool, lhs, rhs []float32, batch, m, n, k int, out []float32) bool)
	SetSignFloat32(kernel func(in, out []float32))
	SetAddMulFloat32(add, mul func(lhs, rhs, out []float32))
	SetSubMaxMinFloat32(sub, max, min func(lhs, rhs, out []float32))
	ReadsTransposedLHSFloat32() bool
	BroadcastsRowsFloat32(width int) bool
	ComputesSignFloat32() bool
}

// newPatchedBackend is a go backend with parallelism=-1 (as gan.NewBackend
// makes it) and no kernel installed yet.
func newPatchedBackend(t *testing.T) patchedBackend {
	t.Helper()
	b, err := compute.NewWithConfig("go:parallelism=-1")
	if err != nil {
		t.Fatal(err)
	}
	p, ok := b.(patchedBackend)
	if !ok {
		t.Fatal("the go backend lacks ganbook's kernel setters or queries: go.mod no longer replaces github.com/gomlx/compute with third_party/compute")
	}
	return p
}

// blockCase is a block built on an input of shape xDims.
type blockCase struct {
	name  string
	xDims []int
	build func(s *model.Scope, x *graph.Node) *graph.Node
}

// randomInput is c's input: float32 normal values times scale plus shift.
func (c blockCase) randomInput(rng *rand.Rand, scale, shift float64) []float32 {
	n := 1
	for _, d := range c.xDims {
		n *= d
	}
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(scale*rng.NormFloat64() + shift)
	}
	return x
}

// outputAndGradients runs c's block on b at x (fresh variables from seed 42)
// and returns its output, then the gradients of Σ y⊙w, w varying along the
// last axis so that every output's gradient differs, with respect to x and
// every trainable variable.
func (c blockCase) outputAndGradients(b compute.Backend, x []float32) [][]float32 {
	exec := model.MustNewExec(b, newTestStore(), func(s *model.Scope, x *graph.Node) []*graph.Node {
		y := c.build(s.At("block"), x)
		w := graph.Sin(graph.Iota(x.Graph(), y.Shape(), y.Rank()-1))
		loss := graph.ReduceAllSum(graph.Mul(y, w))
		wrt := []*graph.Node{x}
		for v := range s.IterVariables() {
			if v.Trainable && v.InUseByGraph(x.Graph()) {
				wrt = append(wrt, v.NodeValue(x.Graph()))
			}
		}
		return append([]*graph.Node{y}, graph.Gradient(loss, wrt...)...)
	})
	var out [][]float32
	for _, v := range exec.MustExec(tensors.FromFlatDataAndDimensions(slices.Clone(x), c.xDims...)) {
		out = append(out, tensors.MustCopyFlatData[float32](v))
	}
	return out
}

// requireSameBits fails t unless got and want hold as many results, at least
// minResults, with the same bits; other names how want was built.
func requireSameBits(t *testing.T, got, want [][]float32, minResults int, other string) {
	t.Helper()
	if len(got) != len(want) || len(got) < minResults {
		t.Fatalf("%d results, %s %d; want the same, at least %d", len(got), other, len(want), minResults)
	}
	for i := range want {
		for j := range want[i] {
			if math.Float32bits(got[i][j]) != math.Float32bits(want[i][j]) {
				t.Fatalf("result %d, value %d: %v, %s %v", i, j, got[i][j], other, want[i][j])
			}
		}
	}
}
