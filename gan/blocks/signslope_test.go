package blocks

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ganbook/ganbook/internal/vecmath"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// Where the backend's float32 Sign is vectorized, LeakyReLU's slope is
// max(sign(x), alpha) instead of min(max(x·2⁷⁵·2⁷⁵, alpha), 1). Values and
// gradients keep their bits for every input but NaN (signed zeros,
// subnormals, infinities included), so trained models and the tutorials'
// figures do not move; at a NaN the output stays NaN and the gradient becomes
// alpha·v, as in PyTorch.
func TestLeakyReLUSignSlopeGivesTheSameBits(t *testing.T) {
	if !vecmath.HasSIMD {
		t.Skip("no AVX-512F: gan.NewBackend installs no Sign kernel here, so LeakyReLU keeps the scaled slope")
	}
	fast := newPatchedBackend(t)
	if fast.ComputesSignFloat32() {
		t.Fatal("no Sign kernel is installed, yet the backend says it has one")
	}
	fast.SetSignFloat32(vecmath.Sign)
	fast.SetAddMulFloat32(vecmath.Add, vecmath.Mul)
	fast.SetSubMaxMinFloat32(vecmath.Sub, vecmath.Max, vecmath.Min)
	rng := rand.New(rand.NewPCG(15, 16))
	x, w := make([]float32, 1000), make([]float32, 1000)
	for i := range x {
		x[i], w[i] = float32(rng.NormFloat64()*math.Pow(10, float64(rng.IntN(9)-4))), float32(rng.NormFloat64())
	}
	nan := float32(math.NaN())
	copy(x, []float32{0, float32(math.Copysign(0, -1)), math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32,
		0x1p-126, -0x1p-126, float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, -math.MaxFloat32, nan})
	for _, alpha := range []float64{0.2, 0, 1, 0.01} {
		t.Run(fmt.Sprintf("alpha=%g", alpha), func(t *testing.T) {
			// LeakyReLU and the gradient of Σ y⊙w.
			run := func() (y, grad []float32) {
				out := graph.MustExecOnceN(fast, func(x, w *graph.Node) []*graph.Node {
					y := LeakyReLU(x, alpha)
					if signVectorized(x) != signInPlace {
						t.Fatalf("signVectorized = %v with signInPlace %v on a backend with a Sign kernel", signVectorized(x), signInPlace)
					}
					return []*graph.Node{y, graph.Gradient(graph.ReduceAllSum(graph.Mul(y, w)), x)[0]}
				}, tensors.FromFlatDataAndDimensions(slices.Clone(x), len(x)), tensors.FromFlatDataAndDimensions(slices.Clone(w), len(w)))
				return out[0].Value().([]float32), out[1].Value().([]float32)
			}
			y, grad := run()
			signInPlace = false
			defer func() { signInPlace = true }()
			wantY, wantGrad := run()
			for i := range x {
				if x[i] != x[i] {
					if y[i] == y[i] || wantY[i] == wantY[i] {
						t.Errorf("LeakyReLU(NaN) = %v, with the scaled slope %v; want NaN both", y[i], wantY[i])
					}
					if want := w[i] * float32(alpha); grad[i] != want {
						t.Errorf("gradient at NaN = %v, want alpha·v = %v", grad[i], want)
					}
					continue
				}
				if math.Float32bits(y[i]) != math.Float32bits(wantY[i]) || math.Float32bits(grad[i]) != math.Float32bits(wantGrad[i]) {
					t.Fatalf("x = %v: LeakyReLU %v, gradient %v; with the scaled slope %v, %v", x[i], y[i], grad[i], wantY[i], wantGrad[i])
				}
			}
		})
	}
}
