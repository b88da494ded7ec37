package mathx

import (
	"math"
	"testing"
)

func TestNormal(t *testing.T) {
	tests := []struct{ x, mu, sigma, want float64 }{
		{0, 0, 1, 0.3989422804014327},  // 1/√(2π)
		{1, 0, 1, 0.24197072451914337}, // e^(−1/2)/√(2π)
		{3, 1, 2, 0.12098536225957168}, // N(1, 4) one σ out: e^(−1/2)/(2√(2π))
	}
	for _, tt := range tests {
		if got := Normal(tt.x, tt.mu, tt.sigma); math.Abs(got-tt.want) > 1e-16 {
			t.Errorf("Normal(%v, %v, %v) = %v, want %v", tt.x, tt.mu, tt.sigma, got, tt.want)
		}
	}
}

func TestQuadrature(t *testing.T) {
	xs := Linspace(0, 1, 3)
	if got := Trapezoid(xs, []float64{0, 0.25, 1}); got != 0.375 { // x² with h = 1/2, by hand
		t.Errorf("Trapezoid = %v, want 0.375", got)
	}
	if got := Simpson(func(x float64) float64 { return x * x * x }, 0, 2, 4); math.Abs(got-4) > 1e-15 {
		t.Errorf("Simpson(x³, 0, 2) = %v, want 4 (exact for cubics)", got)
	}
	// Error bound (b−a)h⁴/180·max|f⁗| = π(π/1000)⁴/180 ≈ 1.7e-12.
	if got := Simpson(math.Sin, 0, math.Pi, 1000); math.Abs(got-2) > 2e-12 {
		t.Errorf("Simpson(sin, 0, π) = %v, want 2", got)
	}
	if xs := Linspace(-1, 1, 5); xs[0] != -1 || xs[2] != 0 || xs[4] != 1 {
		t.Errorf("Linspace = %v", xs)
	}
}

func TestOptimalDiscriminator(t *testing.T) {
	tests := []struct{ p, q, want float64 }{
		{1, 3, 0.25},
		{2, 2, 0.5},
		{0.3, 0.1, 0.75},
		{1e-300, 1e-300, 0.5},
	}
	for _, tt := range tests {
		if got := OptimalDiscriminator(tt.p, tt.q); math.Abs(got-tt.want) > 1e-15 {
			t.Errorf("OptimalDiscriminator(%v, %v) = %v, want %v", tt.p, tt.q, got, tt.want)
		}
		if got := MaximizeD(tt.p, tt.q, 1e-12); math.Abs(got-tt.want) > 1e-7 {
			t.Errorf("MaximizeD(%v, %v) = %v, want %v", tt.p, tt.q, got, tt.want)
		}
	}
	// ValueIntegrand at p = q = 1, D = ½ is 2 log ½ = −log 4.
	if got := ValueIntegrand(1, 1, 0.5); math.Abs(got+math.Log(4)) > 1e-15 {
		t.Errorf("ValueIntegrand(1, 1, ½) = %v, want −log 4", got)
	}
	if got := ValueIntegrand(0, 1, 0.5); math.Abs(got-math.Log(0.5)) > 1e-15 {
		t.Errorf("ValueIntegrand(0, 1, ½) = %v, want log ½", got)
	}
}

func uniform(lo, hi float64) func(float64) float64 {
	return func(x float64) float64 {
		if x >= lo && x < hi {
			return 1 / (hi - lo)
		}
		return 0
	}
}

func TestKLAndJSD(t *testing.T) {
	n01 := func(x float64) float64 { return Normal(x, 0, 1) }
	n12 := func(x float64) float64 { return Normal(x, 1, 2) }
	tests := []struct {
		name string
		got  float64
		want float64
		tol  float64
	}{
		// KL(N(0,1)‖N(1,4)) = log(σ₂/σ₁) + (σ₁² + (μ₁−μ₂)²)/(2σ₂²) − ½ = log 2 + 2/8 − ½.
		{"KL Gaussians", KL(n01, n12, -20, 20, 40000), math.Log(2) - 0.25, 1e-10},
		{"JSD of a density with itself", JSD(n01, n01, -20, 20, 4000), 0, 1e-15},
		// Disjoint supports: m = p/2 on p's support, so each KL is log 2.
		{"JSD disjoint uniforms", JSD(uniform(0, 1), uniform(2, 3), -1, 4, 50000), math.Log(2), 1e-3},
		// U[0,1] vs U[½,3/2]: each KL(·‖m) = ½ log 2 (half the mass sits where m is halved).
		{"JSD half-overlapping uniforms", JSD(uniform(0, 1), uniform(0.5, 1.5), -1, 3, 40000), math.Log(2) / 2, 1e-3},
	}
	for _, tt := range tests {
		if math.Abs(tt.got-tt.want) > tt.tol {
			t.Errorf("%s = %v, want %v ± %g", tt.name, tt.got, tt.want, tt.tol)
		}
	}
	if a, b := JSD(n01, n12, -20, 20, 4000), JSD(n12, n01, -20, 20, 4000); math.Abs(a-b) > 1e-15 {
		t.Errorf("JSD not symmetric: %v vs %v", a, b)
	}
}

func TestGeneratorGradients(t *testing.T) {
	const h = 1e-6
	for _, d := range []float64{0.001, 0.1, 0.5, 0.9, 0.999} {
		a := math.Log(d / (1 - d))
		if got := Sigmoid(a); math.Abs(got-d) > 1e-15 {
			t.Errorf("Sigmoid(logit(%v)) = %v", d, got)
		}
		fdS := (math.Log(1-Sigmoid(a+h)) - math.Log(1-Sigmoid(a-h))) / (2 * h)
		fdN := (-math.Log(Sigmoid(a+h)) + math.Log(Sigmoid(a-h))) / (2 * h)
		if got := SaturatingGeneratorGrad(d); math.Abs(got-fdS) > 1e-7 {
			t.Errorf("SaturatingGeneratorGrad(%v) = %v, finite difference %v", d, got, fdS)
		}
		if got := NonSaturatingGeneratorGrad(d); math.Abs(got-fdN) > 1e-7 {
			t.Errorf("NonSaturatingGeneratorGrad(%v) = %v, finite difference %v", d, got, fdN)
		}
	}
}
