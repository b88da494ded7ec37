package blocks

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/ganbook/ganbook/internal/gemm"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// im2colRowsByParity must give the bits of im2colRows' general path, in the
// convolutions' outputs and in every gradient, zeros of either sign included:
// it only selects the same values from other intermediates.
func TestIm2colByParityGivesTheSameBits(t *testing.T) {
	b := newPatchedBackend(t)
	var calls atomic.Int64
	b.SetMatMulFloat32(func(lhsT, rhsT bool, lhs, rhs []float32, batch, m, n, k int, out []float32) bool {
		calls.Add(1)
		if !gemm.Available || m < gemm.MinRows || n < gemm.MinCols {
			return false
		}
		gemm.MatMul(lhsT, rhsT, lhs, rhs, batch, m, n, k, out, runtime.GOMAXPROCS(0))
		return true
	})
	cases := []blockCase{
		{"Conv2D k4 s2 p1 (the DCGAN's)", []int{3, 14, 14, 5}, func(s *model.Scope, x *graph.Node) *graph.Node { return Conv2D(s, x, 7, 4, 2, 1) }},
		{"Conv2D k4 s2 p1, 16 channels (selections by internal/gemm)", []int{2, 14, 14, 16}, func(s *model.Scope, x *graph.Node) *graph.Node { return Conv2D(s, x, 8, 4, 2, 1) }},
		{"Conv2D k3 s2 p1", []int{2, 8, 8, 4}, func(s *model.Scope, x *graph.Node) *graph.Node { return Conv2D(s, x, 6, 3, 2, 1) }},
		{"Conv2D k5 s2 p2", []int{2, 10, 10, 3}, func(s *model.Scope, x *graph.Node) *graph.Node { return Conv2D(s, x, 5, 5, 2, 2) }},
		{"Conv2D k6 s2 p2", []int{2, 8, 8, 3}, func(s *model.Scope, x *graph.Node) *graph.Node { return Conv2D(s, x, 5, 6, 2, 2) }},
		{"Conv2D k2 s2 p0", []int{2, 8, 8, 3}, func(s *model.Scope, x *graph.Node) *graph.Node { return Conv2D(s, x, 5, 2, 2, 0) }},
		{"ConvTranspose2D k4 s2 p1 (the DCGAN's)", []int{3, 7, 7, 6}, func(s *model.Scope, x *graph.Node) *graph.Node { return ConvTranspose2D(s, x, 5, 4, 2, 1) }},
	}
	rng := rand.New(rand.NewPCG(21, 22))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := c.randomInput(rng, 1, 0)
			for i := range x {
				switch i % 7 {
				case 3:
					x[i] = float32(math.Copysign(0, -1))
				case 5:
					x[i] = 0
				}
			}
			calls.Store(0)
			got := c.outputAndGradients(b, x)
			byParityCalls := calls.Load()
			byParity = false
			defer func() { byParity = true }()
			calls.Store(0)
			want := c.outputAndGradients(b, x)
			if byParityCalls >= calls.Load() {
				t.Fatalf("%d products by parity, %d with the general path: the parity path was not taken", byParityCalls, calls.Load())
			}
			requireSameBits(t, got, want, 4, "with the general path")
		})
	}
}
