package blocks

import (
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/ganbook/ganbook/internal/gemm"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// The weight and kernel gradients contract the rows of both operands. Read
// in place by internal/gemm (what gan.NewBackend installs) they must give the
// same bits as the explicit transposes they replace, so a trained model, its
// checkpoints and the tutorials' figures do not move, only the time.
func TestInPlaceTransposedLHSGivesTheSameGradients(t *testing.T) {
	if !gemm.Available {
		t.Skip("no AVX-512F: gan.NewBackend installs no internal/gemm here, so no product reads its lhs in place")
	}
	fast := newPatchedBackend(t)
	var taken, inPlace atomic.Int64
	fast.SetMatMulFloat32(func(lhsT, rhsT bool, lhs, rhs []float32, batch, m, n, k int, out []float32) bool {
		if m < 4 || n < 16 { // as gan's gemmMatMul: hand thin products back
			return false
		}
		gemm.MatMul(lhsT, rhsT, lhs, rhs, batch, m, n, k, out, runtime.GOMAXPROCS(0))
		taken.Add(1)
		if lhsT {
			inPlace.Add(1)
		}
		return true
	})
	if !fast.ReadsTransposedLHSFloat32() {
		t.Fatal("a kernel is installed, yet the backend says it transposes every lhs")
	}
	cases := []blockCase{
		{"Dense", []int{128, 784}, func(s *model.Scope, x *graph.Node) *graph.Node { return Dense(s, x, 512) }},
		{"Conv2D one matmul per kernel row", []int{4, 14, 14, 64}, func(s *model.Scope, x *graph.Node) *graph.Node { return Conv2D(s, x, 128, 4, 2, 1) }},
		{"Conv2D joined kernel rows", []int{4, 28, 28, 1}, func(s *model.Scope, x *graph.Node) *graph.Node { return Conv2D(s, x, 64, 4, 2, 1) }},
		{"ConvTranspose2D one matmul per kernel row", []int{4, 7, 7, 128}, func(s *model.Scope, x *graph.Node) *graph.Node { return ConvTranspose2D(s, x, 64, 4, 2, 1) }},
		{"ConvTranspose2D joined kernel rows", []int{4, 14, 14, 64}, func(s *model.Scope, x *graph.Node) *graph.Node { return ConvTranspose2D(s, x, 1, 4, 2, 1) }},
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := c.randomInput(rng, 1, 0)
			taken.Store(0)
			inPlace.Store(0)
			got := c.outputAndGradients(fast, x)
			if inPlace.Load() == 0 {
				t.Fatalf("none of the %d products internal/gemm took read its lhs in place: the gradient kept its transposes", taken.Load())
			}
			transposedLHSInPlace = false
			defer func() { transposedLHSInPlace = true }()
			taken.Store(0)
			inPlace.Store(0)
			want := c.outputAndGradients(fast, x)
			if inPlace.Load() != 0 || taken.Load() == 0 {
				t.Fatalf("with explicit transposes internal/gemm took %d products, %d with the lhs in place; want some, none", taken.Load(), inPlace.Load())
			}
			// The output, then the gradients for the input, weights and biases.
			requireSameBits(t, got, want, 4, "with explicit transposes")
		})
	}
}
