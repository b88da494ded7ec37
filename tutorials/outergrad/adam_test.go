package outergrad

import (
	"io"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ganbook/ganbook/gan"
)

func TestAdamFirstStep(t *testing.T) {
	tests := []struct {
		name string
		g    float32
		want float64 // −lr·g/(|g| + 1e-8), by hand, with lr = 2e-4
	}{
		{"large positive", 0.5, -2e-4 * 0.5 / (0.5 + 1e-8)},
		{"large negative", -3, 2e-4 * 3 / (3 + 1e-8)},
		{"tiny", 1e-8, -2e-4 * 0.5},
		{"zero", 0, 0},
	}
	for _, tt := range tests {
		got := AdamFirstStep([]float32{tt.g}, 2e-4, 0.5, 0.999)[0]
		if math.Abs(got-tt.want) > 1e-6*math.Abs(tt.want)+1e-18 {
			t.Errorf("%s: step %.10g; want %.10g", tt.name, got, tt.want)
		}
	}
}

func TestPixelSpread(t *testing.T) {
	tests := []struct {
		name string
		x    []float32
		n    int
		want float64
	}{
		{"identical images", []float32{0.2, 0.9, 0.2, 0.9}, 2, 0},
		{"one pixel, values 0 and 1", []float32{0, 1}, 2, 0.25},
		{"two pixels", []float32{0, 0, 1, 2}, 2, 0.25 + 1},
		{"constant offset ignored", []float32{5, 5, 6, 7}, 2, 0.25 + 1},
	}
	for _, tt := range tests {
		if got := PixelSpread(tt.x, tt.n, len(tt.x)/tt.n); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("%s: %v; want %v", tt.name, got, tt.want)
		}
	}
}

func TestMeanUniformCosine(t *testing.T) {
	// E[cos] → 3/4 as the dimension grows; with 784 pixels and 2000 pairs the mean is within 0.005.
	if got := MeanUniformCosine(rand.New(rand.NewPCG(1, 2)), 784, 2000); math.Abs(got-0.75) > 0.005 {
		t.Errorf("mean cosine of uniform images = %v; want ≈ 0.75", got)
	}
	// In one dimension every cosine is 1.
	if got := MeanUniformCosine(rand.New(rand.NewPCG(1, 2)), 1, 10); math.Abs(got-1) > 1e-12 {
		t.Errorf("1-D cosine = %v; want 1", got)
	}
}

func TestGeneratorGradientNorms(t *testing.T) {
	backend, err := gan.NewBackend(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	real := make([]float32, 8*In)
	r := rand.New(rand.NewPCG(5, 5))
	for i := range real {
		real[i] = r.Float32()
	}
	misWired, correct, err := GeneratorGradientNorms(backend, real, 1)
	if err != nil {
		t.Fatal(err)
	}
	if misWired != 0 || !(correct > 0) {
		t.Errorf("gradient norms: loss on real images %v (want exactly 0), loss on fakes %v (want > 0)", misWired, correct)
	}
}
