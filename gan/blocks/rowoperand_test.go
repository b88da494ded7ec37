package blocks

import (
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/ganbook/ganbook/internal/gemm"
	"github.com/ganbook/ganbook/internal/vecmath"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Biases and batch norm's per-feature values meet the rows as [1, n]
// operands where the go backend's installed kernels broadcast them
// (rowOperand). The blocks' outputs and gradients must keep the bits they had
// with the repeated rows materialized by products, so trained models,
// checkpoints and the tutorials' figures do not move, only the time.
func TestRowOperandGivesTheSameBits(t *testing.T) {
	if !gemm.Available || !vecmath.HasSIMD {
		t.Skip("no AVX-512F: gan.NewBackend installs neither internal/gemm nor internal/vecmath here, so no row is broadcast in place")
	}
	fast := newPatchedBackend(t)
	if fast.BroadcastsRowsFloat32(64) {
		t.Fatal("no kernel is installed, yet the backend says it broadcasts rows with them")
	}
	var rowProducts atomic.Int64 // products with a contraction of 1: broadcastRows's
	fast.SetMatMulFloat32(func(lhsT, rhsT bool, lhs, rhs []float32, batch, m, n, k int, out []float32) bool {
		if k == 1 {
			rowProducts.Add(1)
		}
		if m < gemm.MinRows || n < gemm.MinCols { // as gan's gemmMatMul
			return false
		}
		gemm.MatMul(lhsT, rhsT, lhs, rhs, batch, m, n, k, out, runtime.GOMAXPROCS(0))
		return true
	})
	fast.SetAddMulFloat32(vecmath.Add, vecmath.Mul)
	fast.SetSubMaxMinFloat32(vecmath.Sub, vecmath.Max, vecmath.Min)
	// A single value, or a row of at least 16 (one kernel call per row); the
	// narrower rows stay with the backend's own loop, so rowOperand keeps
	// their products.
	for _, w := range []struct {
		width int
		want  bool
	}{{1, true}, {2, false}, {15, false}, {16, true}, {300, true}} {
		if got := fast.BroadcastsRowsFloat32(w.width); got != w.want {
			t.Fatalf("with Add, Mul and Sub installed, BroadcastsRowsFloat32(%d) = %v, want %v", w.width, got, w.want)
		}
	}
	cases := []blockCase{
		{"Dense", []int{64, 300}, func(s *model.Scope, x *graph.Node) *graph.Node { return Dense(s, x, 128) }},
		{"Conv2D", []int{4, 14, 14, 64}, func(s *model.Scope, x *graph.Node) *graph.Node { return Conv2D(s, x, 128, 4, 2, 1) }},
		{"BatchNorm", []int{4, 7, 7, 128}, func(s *model.Scope, x *graph.Node) *graph.Node { return BatchNorm(s, x, true) }},
		{"BatchNorm frozen statistics", []int{64, 256}, func(s *model.Scope, x *graph.Node) *graph.Node {
			return BatchNorm(s, x, true, BatchNormFrozenStats())
		}},
	}
	rng := rand.New(rand.NewPCG(13, 14))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := c.randomInput(rng, 3, 1)
			rowProducts.Store(0)
			got := c.outputAndGradients(fast, x)
			if k := rowProducts.Load(); k != 0 {
				t.Fatalf("%d products with a contraction of 1 with rows broadcast in place: a row is still materialized", k)
			}
			rowsBroadcastInPlace = false
			defer func() { rowsBroadcastInPlace = true }()
			want := c.outputAndGradients(fast, x)
			if rowProducts.Load() == 0 {
				t.Fatal("with rowsBroadcastInPlace false no row was materialized by a product: the comparison compares nothing")
			}
			requireSameBits(t, got, want, 3, "with materialized rows")
		})
	}
}
