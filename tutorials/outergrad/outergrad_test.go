package outergrad

import (
	"io"
	"math"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/ganbook/ganbook/gan"
)

func TestOuterProductSum(t *testing.T) {
	// Golden values worked by hand: Σₙ xₙ ⊗ δₙ, entry (i, j) = Σₙ xₙᵢ δₙⱼ.
	tests := []struct {
		name         string
		x, delta     []float32
		batch, in, o int
		want         []float64
	}{
		{"one example", []float32{1, 2}, []float32{3, -1, 0.5}, 1, 2, 3, []float64{3, -1, 0.5, 6, -2, 1}},
		{"two examples", []float32{1, 2, 0, 3}, []float32{1, -1, 2, 4, 0, 1}, 2, 2, 3, []float64{1, -1, 2, 14, -2, 7}},
		{"zero input", []float32{0, 0}, []float32{5, 7}, 1, 2, 2, []float64{0, 0, 0, 0}},
		{"cancelling", []float32{1, 1}, []float32{2, -2}, 2, 1, 1, []float64{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := OuterProductSum(tt.x, tt.delta, tt.batch, tt.in, tt.o)
			if len(got) != len(tt.want) {
				t.Fatalf("len %d, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("got %v, want %v", got, tt.want)
					break
				}
			}
		})
	}
	if got := OuterProduct([]float32{2, 3}, []float32{1, -1}); got[0] != 2 || got[1] != -2 || got[2] != 3 || got[3] != -3 {
		t.Errorf("OuterProduct = %v", got)
	}
	if got := SumRows([]float32{1, 2, 3, 4, 5, 6}, 3, 2); got[0] != 9 || got[1] != 12 {
		t.Errorf("SumRows = %v, want [9 12]", got)
	}
	if d, s := MaxAbsDiff([]float64{1, -2}, []float32{1.5, -4}); d != 2 || s != 4 {
		t.Errorf("MaxAbsDiff = %v, %v, want 2, 4", d, s)
	}
	if d, _ := MaxAbsDiff([]float64{1}, []float32{1, 2}); !math.IsNaN(d) {
		t.Errorf("MaxAbsDiff of different lengths = %v, want NaN", d)
	}
}

func testBackend(t *testing.T) compute.Backend {
	t.Helper()
	b, err := gan.NewBackend(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// syntheticDigits returns n images with a bright square at a different place in each, zero
// elsewhere, like the sparse MNIST digits.
func syntheticDigits(n int) []float32 {
	px := make([]float32, n*In)
	for k := range n {
		for y := 8 + k%10; y < 14+k%10; y++ {
			for x := 6 + k%12; x < 12+k%12; x++ {
				px[k*In+y*gan.ImageSize+x] = 0.3 + 0.07*float32(k%10)
			}
		}
	}
	return px
}

func TestDiscriminatorGradientIsSumOfOuterProducts(t *testing.T) {
	const n = 8
	fl, err := Discriminator(testBackend(t), syntheticDigits(n), 3)
	if err != nil {
		t.Fatal(err)
	}
	if fl.Batch != 2*n || len(fl.X) != 2*n*In || len(fl.Delta) != 2*n*Out || len(fl.GradW) != In*Out || len(fl.GradB) != Out {
		t.Fatalf("shapes: batch %d, x %d, δ %d, ∂W %d, ∂b %d", fl.Batch, len(fl.X), len(fl.Delta), len(fl.GradW), len(fl.GradB))
	}
	// The first half of x is the real images, unchanged.
	for i, v := range syntheticDigits(n) {
		if fl.X[i] != v {
			t.Fatalf("x[%d] = %v, want the real pixel %v", i, fl.X[i], v)
		}
	}
	diff, scale := MaxAbsDiff(OuterProductSum(fl.X, fl.Delta, fl.Batch, In, Out), fl.GradW)
	if !(scale > 0) || !(diff <= 1e-5*scale) {
		t.Errorf("Σ x⊗δ vs autodiff ∂L/∂W: max |diff| %.3g, max |∂L/∂W| %.3g", diff, scale)
	}
	diff, scale = MaxAbsDiff(SumRows(fl.Delta, fl.Batch, Out), fl.GradB)
	if !(scale > 0) || !(diff <= 1e-5*scale) {
		t.Errorf("Σ δ vs autodiff ∂L/∂b: max |diff| %.3g, max |∂L/∂b| %.3g", diff, scale)
	}
	// A loss of a fresh discriminator on balanced real/fake batches is near 2·log 2.
	if math.Abs(fl.Loss-2*math.Log(2)) > 0.5 {
		t.Errorf("loss %.4f, want near 2 log 2", fl.Loss)
	}
}

// TestWeightGradientMatchesFiniteDifference checks GoMLX's ∂L/∂W itself, independently of
// autodiff: along the direction u = ∂L/∂W, the central difference (L(W+εu) − L(W−εu))/2ε must
// equal |u|².
func TestWeightGradientMatchesFiniteDifference(t *testing.T) {
	const n, seed = 8, 5
	store, exec, err := newStep(testBackend(t), n, seed)
	if err != nil {
		t.Fatal(err)
	}
	real := tensors.FromFlatDataAndDimensions(syntheticDigits(n), n, gan.ImageSize, gan.ImageSize, 1)
	call := func() []*tensors.Tensor {
		// The same fake batch every time: the random state is reset before each call.
		if err := store.SetRNGStateFromSeed(seed); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Call(real)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	call() // creates and initialises the variables
	out := call()
	u := tensors.MustCopyFlatData[float32](out[2])
	loss := float64(tensors.ToScalar[float32](out[4]))
	norm2 := 0.0
	for _, v := range u {
		norm2 += float64(v) * float64(v)
	}
	wVar := store.GetVariable("/disc/fc0/weights")
	if wVar == nil {
		t.Fatal("no /disc/fc0/weights")
	}
	w0 := tensors.MustCopyFlatData[float32](wVar.MustValue())
	eps := 0.002 / norm2 // moves the loss by about ±0.002: small enough that few units cross LeakyReLU's kink
	lossAt := func(sign float64) float64 {
		w := make([]float32, len(w0))
		for i := range w {
			w[i] = w0[i] + float32(sign*eps)*u[i]
		}
		wVar.MustSetValue(tensors.FromFlatDataAndDimensions(w, In, Out))
		return float64(tensors.ToScalar[float32](call()[4]))
	}
	fd := (lossAt(1) - lossAt(-1)) / (2 * eps)
	if math.Abs(fd-norm2) > 0.01*norm2 {
		t.Errorf("directional finite difference %.6g, |∂L/∂W|² %.6g (loss %.4f)", fd, norm2, loss)
	}
}
