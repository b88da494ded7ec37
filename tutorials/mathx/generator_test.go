package mathx

import (
	"math"
	"testing"
)

func TestGaussianExpectation(t *testing.T) {
	tests := []struct {
		name      string
		f         func(float64) float64
		mu, sigma float64
		want      float64 // by hand
	}{
		{"E[1]", func(float64) float64 { return 1 }, 0.3, 2, 1},
		{"E[x]", func(x float64) float64 { return x }, -1.5, 0.7, -1.5},
		{"E[x²] = μ² + σ²", func(x float64) float64 { return x * x }, 2, 0.5, 4.25},
		{"E[cos x] = e^(−σ²/2) cos μ", math.Cos, 1, 0.8, math.Exp(-0.32) * math.Cos(1)},
	}
	for _, tt := range tests {
		if got := GaussianExpectation(tt.f, tt.mu, tt.sigma, 4000); math.Abs(got-tt.want) > 1e-10 {
			t.Errorf("%s: %.12f; want %.12f", tt.name, got, tt.want)
		}
	}
}

func TestMinimizeGolden(t *testing.T) {
	tests := []struct {
		name   string
		f      func(float64) float64
		lo, hi float64
		want   float64
	}{
		{"(x − 1.3)²", func(x float64) float64 { return (x - 1.3) * (x - 1.3) }, -5, 5, 1.3},
		{"cosh(x + 0.4)", func(x float64) float64 { return math.Cosh(x + 0.4) }, -3, 1, -0.4},
		{"−sin on [0, 3]", func(x float64) float64 { return -math.Sin(x) }, 0, 3, math.Pi / 2},
	}
	for _, tt := range tests {
		if got := MinimizeGolden(tt.f, tt.lo, tt.hi, 1e-10); math.Abs(got-tt.want) > 1e-7 {
			t.Errorf("%s: argmin %.10f; want %.10f", tt.name, got, tt.want)
		}
	}
}

func TestMixtureAndKL(t *testing.T) {
	m := Mixture{Weights: []float64{0.2, 0.8}, Mus: []float64{-1, 3}, Sigmas: []float64{0.5, 1}}
	if got := Simpson(m.Density, -15, 20, 7000); math.Abs(got-1) > 1e-10 {
		t.Errorf("mixture density integrates to %v", got)
	}
	if got, want := m.Density(3), 0.2*Normal(3, -1, 0.5)+0.8*Normal(3, 3, 1); got != want {
		t.Errorf("density at 3: %v; want %v", got, want)
	}
	// KL(N(μ1, σ1²) ‖ N(μ2, σ2²)) = log(σ2/σ1) + (σ1² + (μ1 − μ2)²)/(2σ2²) − ½.
	for _, g := range [][4]float64{{0, 1, 0, 1}, {2, 0.7, 0, 1}, {0, 1, 2, 0.7}, {-1, 2, 1, 1.5}} {
		p := func(x float64) float64 { return Normal(x, g[0], g[1]) }
		q := func(x float64) float64 { return Normal(x, g[2], g[3]) }
		want := math.Log(g[3]/g[1]) + (g[1]*g[1]+(g[0]-g[2])*(g[0]-g[2]))/(2*g[3]*g[3]) - 0.5
		if got := KL(p, q, -20, 20, 40000); math.Abs(got-want) > 1e-9 {
			t.Errorf("KL(N(%g, %g²) ‖ N(%g, %g²)) = %.12f; want %.12f", g[0], g[1], g[2], g[3], got, want)
		}
	}
}

func TestCentralDiff(t *testing.T) {
	if got := CentralDiff(math.Sin, 0.7, 1e-5); math.Abs(got-math.Cos(0.7)) > 1e-9 {
		t.Errorf("d/dx sin at 0.7 = %v; want %v", got, math.Cos(0.7))
	}
	if got := CentralDiff(func(x float64) float64 { return x * x * x }, 2, 1e-3); math.Abs(got-12) > 1e-5 {
		t.Errorf("d/dx x³ at 2 = %v; want 12", got)
	}
}
