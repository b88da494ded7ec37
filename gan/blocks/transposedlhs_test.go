package blocks

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/ganbook/ganbook/internal/gemm"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
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
	fast, err := compute.NewWithConfig("go:parallelism=-1")
	if err != nil {
		t.Fatal(err)
	}
	setter, patched := fast.(interface {
		SetMatMulFloat32(func(lhsT, rhsT bool, lhs, rhs []float32, batch, m, n, k int, out []float32) bool)
		ReadsTransposedLHSFloat32() bool
	})
	if !patched {
		t.Fatal("the go backend lacks SetMatMulFloat32 or ReadsTransposedLHSFloat32: go.mod no longer replaces github.com/gomlx/compute with third_party/compute")
	}
	var taken, inPlace atomic.Int64
	setter.SetMatMulFloat32(func(lhsT, rhsT bool, lhs, rhs []float32, batch, m, n, k int, out []float32) bool {
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
	if !setter.ReadsTransposedLHSFloat32() {
		t.Fatal("a kernel is installed, yet the backend says it transposes every lhs")
	}
	cases := []struct {
		name  string
		xDims []int
		build func(s *model.Scope, x *graph.Node) *graph.Node
	}{
		{"Dense", []int{128, 784}, func(s *model.Scope, x *graph.Node) *graph.Node { return Dense(s, x, 512) }},
		{"Conv2D one matmul per kernel row", []int{4, 14, 14, 64}, func(s *model.Scope, x *graph.Node) *graph.Node { return Conv2D(s, x, 128, 4, 2, 1) }},
		{"Conv2D joined kernel rows", []int{4, 28, 28, 1}, func(s *model.Scope, x *graph.Node) *graph.Node { return Conv2D(s, x, 64, 4, 2, 1) }},
		{"ConvTranspose2D one matmul per kernel row", []int{4, 7, 7, 128}, func(s *model.Scope, x *graph.Node) *graph.Node { return ConvTranspose2D(s, x, 64, 4, 2, 1) }},
		{"ConvTranspose2D joined kernel rows", []int{4, 14, 14, 64}, func(s *model.Scope, x *graph.Node) *graph.Node { return ConvTranspose2D(s, x, 1, 4, 2, 1) }},
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := 1
			for _, d := range c.xDims {
				n *= d
			}
			xData := make([]float32, n)
			for i := range xData {
				xData[i] = float32(rng.NormFloat64())
			}
			gradients := func() [][]float32 {
				exec := model.MustNewExec(fast, newTestStore(), func(s *model.Scope, x *graph.Node) []*graph.Node {
					y := c.build(s.At("block"), x)
					// Σ y⊙w with w varying along the channels, so that every output's gradient differs.
					w := graph.Sin(graph.Iota(x.Graph(), y.Shape(), y.Rank()-1))
					loss := graph.ReduceAllSum(graph.Mul(y, w))
					wrt := []*graph.Node{x}
					for v := range s.IterVariables() {
						if v.Trainable && v.InUseByGraph(x.Graph()) {
							wrt = append(wrt, v.NodeValue(x.Graph()))
						}
					}
					return graph.Gradient(loss, wrt...)
				})
				var out [][]float32
				for _, g := range exec.MustExec(tensors.FromFlatDataAndDimensions(slices.Clone(xData), c.xDims...)) {
					out = append(out, tensors.MustCopyFlatData[float32](g))
				}
				return out
			}
			taken.Store(0)
			inPlace.Store(0)
			got := gradients()
			if inPlace.Load() == 0 {
				t.Fatalf("none of the %d products internal/gemm took read its lhs in place: the gradient kept its transposes", taken.Load())
			}
			transposedLHSInPlace = false
			defer func() { transposedLHSInPlace = true }()
			taken.Store(0)
			inPlace.Store(0)
			want := gradients()
			if inPlace.Load() != 0 || taken.Load() == 0 {
				t.Fatalf("with explicit transposes internal/gemm took %d products, %d with the lhs in place; want some, none", taken.Load(), inPlace.Load())
			}
			if len(got) != 3 || len(want) != 3 {
				t.Fatalf("%d gradients, with explicit transposes %d; want 3 (input, weights, biases)", len(got), len(want))
			}
			for i := range want {
				for j := range want[i] {
					if math.Float32bits(got[i][j]) != math.Float32bits(want[i][j]) {
						t.Fatalf("gradient %d, value %d: %v, with explicit transposes %v", i, j, got[i][j], want[i][j])
					}
				}
			}
		})
	}
}
