package dcgan

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
)

func testBackend(t *testing.T) compute.Backend {
	t.Helper()
	b, err := gobackend.New("parallelism=-1")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func randomTensor(r *rand.Rand, b, h, w, c int) Tensor {
	t := NewTensor(b, h, w, c)
	for i := range t.Data {
		t.Data[i] = float32(r.NormFloat64())
	}
	return t
}

func randomKernel(r *rand.Rand, k, in, out int) Kernel {
	w := Kernel{Data: make([]float32, k*k*in*out), K: k, In: in, Out: out}
	for i := range w.Data {
		w.Data[i] = float32(r.NormFloat64())
	}
	return w
}

// A 2×2 input through a 2×2 kernel, stride 1: every input value stamps the
// kernel, scaled, at its own position; the sums are worked out by hand
// (the kernel's powers of ten show which products meet where).
func TestConvTransposeByHand(t *testing.T) {
	x := Tensor{Data: []float32{1, 2, 3, 4}, Dims: [4]int{1, 2, 2, 1}}
	w := Kernel{Data: []float32{1, 10, 100, 1000}, K: 2, In: 1, Out: 1}
	want := []float32{
		1, 12, 20,
		103, 1234, 2040,
		300, 3400, 4000,
	}
	// Stride 2 puts the stamps side by side: each input value becomes a 2×2 block.
	wantStride2 := []float32{
		1, 10, 2, 20,
		100, 1000, 200, 2000,
		3, 30, 4, 40,
		300, 3000, 400, 4000,
	}
	backend := testBackend(t)
	for _, tc := range []struct {
		stride int
		want   []float32
	}{{1, want}, {2, wantStride2}} {
		loops, err := ConvTransposeLoops(x, w, tc.stride, 0)
		if err != nil {
			t.Fatal(err)
		}
		layer, err := ConvTransposeLayer(backend, x, w, tc.stride, 0)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range tc.want {
			if loops.Data[i] != v || layer.Data[i] != v {
				t.Errorf("stride %d, value %d: loops %g, layer %g, by hand %g", tc.stride, i, loops.Data[i], layer.Data[i], v)
			}
		}
	}
}

// At the DCGAN's shapes (k 4, s 2, p 1) and others, the layer equals the
// loops, its size follows the formula, and it is the adjoint of the
// convolution: ⟨T x, y⟩ = ⟨x, C y⟩.
func TestConvTransposeLayerIsTheAdjoint(t *testing.T) {
	backend := testBackend(t)
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ in, k, s, p, cin, cout, wantOut int }{
		{7, 4, 2, 1, 3, 2, 14},
		{14, 4, 2, 1, 2, 1, 28},
		{3, 3, 1, 0, 2, 2, 5},
		{4, 3, 2, 1, 1, 3, 7},
	} {
		if got := TransposedOutputSize(tc.in, tc.k, tc.s, tc.p); got != tc.wantOut {
			t.Errorf("TransposedOutputSize(%d, %d, %d, %d) = %d, want %d", tc.in, tc.k, tc.s, tc.p, got, tc.wantOut)
		}
		x := randomTensor(r, 2, tc.in, tc.in, tc.cin)
		w := randomKernel(r, tc.k, tc.cin, tc.cout)
		loops, err := ConvTransposeLoops(x, w, tc.s, tc.p)
		if err != nil {
			t.Fatal(err)
		}
		layer, err := ConvTransposeLayer(backend, x, w, tc.s, tc.p)
		if err != nil {
			t.Fatal(err)
		}
		if layer.Dims != [4]int{2, tc.wantOut, tc.wantOut, tc.cout} {
			t.Errorf("layer output %v, want side %d", layer.Dims, tc.wantOut)
		}
		for i := range loops.Data {
			if d := math.Abs(float64(loops.Data[i] - layer.Data[i])); d > 1e-4 {
				t.Fatalf("%+v: value %d: loops %g, layer %g", tc, i, loops.Data[i], layer.Data[i])
			}
		}
		y := randomTensor(r, 2, tc.wantOut, tc.wantOut, tc.cout)
		cy, err := ConvLoops(y, w, tc.s, tc.p)
		if err != nil {
			t.Fatal(err)
		}
		if cy.Dims != x.Dims {
			t.Fatalf("the adjoint convolution maps to %v, want %v", cy.Dims, x.Dims)
		}
		lhs, rhs := Dot(layer.Data, y.Data), Dot(x.Data, cy.Data)
		if math.Abs(lhs-rhs) > 1e-5*math.Abs(lhs) {
			t.Errorf("%+v: ⟨T x, y⟩ = %g, ⟨x, C y⟩ = %g", tc, lhs, rhs)
		}
		cyLayer, err := AdjointConvLayer(backend, y, w, tc.s, tc.p)
		if err != nil {
			t.Fatal(err)
		}
		grad, err := ConvInputGradient(backend, y, x, w, tc.s, tc.p)
		if err != nil {
			t.Fatal(err)
		}
		for i := range cy.Data {
			if d := math.Abs(float64(cy.Data[i] - cyLayer.Data[i])); d > 1e-4 {
				t.Fatalf("%+v: conv value %d: loops %g, layer %g", tc, i, cy.Data[i], cyLayer.Data[i])
			}
		}
		for i := range grad.Data {
			if d := math.Abs(float64(grad.Data[i] - loops.Data[i])); d > 1e-4 {
				t.Fatalf("%+v: gradient value %d: %g, transposed conv %g", tc, i, grad.Data[i], loops.Data[i])
			}
		}
	}
}

// Training mode normalises with the batch's statistics and moves the running
// averages by momentum 0.1 (the variance unbiased); inference mode uses them.
func TestBatchNormTrainAndEval(t *testing.T) {
	const rows, features = 8, 3
	r := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, rows*features)
	for i := range x {
		x[i] = float32(5 + 2*r.NormFloat64())
	}
	got, err := RunBatchNorm(testBackend(t), x, rows, features)
	if err != nil {
		t.Fatal(err)
	}
	for f := range features {
		var mean, sq float64
		for i := range rows {
			mean += float64(x[i*features+f]) / rows
		}
		for i := range rows {
			d := float64(x[i*features+f]) - mean
			sq += d * d
		}
		biased, unbiased := sq/rows, sq/(rows-1)
		wantMean, wantVar := 0.1*mean, 0.9+0.1*unbiased
		if math.Abs(float64(got.RunningMean[f])-wantMean) > 1e-5 || math.Abs(float64(got.RunningVar[f])-wantVar) > 1e-4 {
			t.Errorf("feature %d: running mean %g var %g, want %g %g", f, got.RunningMean[f], got.RunningVar[f], wantMean, wantVar)
		}
		for i := range rows {
			v := float64(x[i*features+f])
			train := (v - mean) / math.Sqrt(biased+1e-5)
			eval := (v - wantMean) / math.Sqrt(wantVar+1e-5)
			if math.Abs(float64(got.Train[i*features+f])-train) > 1e-4 || math.Abs(float64(got.Eval[i*features+f])-eval) > 1e-4 {
				t.Errorf("feature %d row %d: train %g eval %g, want %g %g", f, i, got.Train[i*features+f], got.Eval[i*features+f], train, eval)
			}
		}
	}
}
