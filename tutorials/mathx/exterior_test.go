package mathx

import (
	"math/rand/v2"
	"testing"
)

func TestLeviCivita(t *testing.T) {
	tests := []struct {
		i, j, k int
		want    float64
	}{
		{0, 1, 2, 1}, {1, 2, 0, 1}, {2, 0, 1, 1},
		{0, 2, 1, -1}, {2, 1, 0, -1}, {1, 0, 2, -1},
		{0, 0, 1, 0}, {1, 2, 2, 0}, {2, 0, 2, 0},
	}
	for _, tt := range tests {
		if got := LeviCivita(tt.i, tt.j, tt.k); got != tt.want {
			t.Errorf("ε(%d,%d,%d) = %v; want %v", tt.i, tt.j, tt.k, got, tt.want)
		}
	}
}

func TestHodgeDualOfWedgeIsCross(t *testing.T) {
	// By hand: e1 ∧ e2 has w_01 = 1, w_10 = −1, and ⋆ gives e3.
	if got := HodgeDual3(Outer(Vec3{1, 0, 0}, Vec3{0, 1, 0}).Sub(Outer(Vec3{0, 1, 0}, Vec3{1, 0, 0}))); got != (Vec3{0, 0, 1}) {
		t.Errorf("⋆(e1 ∧ e2) = %v; want e3", got)
	}
	r := rand.New(rand.NewPCG(1, 3))
	for range 1000 {
		a := Vec3{r.NormFloat64(), r.NormFloat64(), r.NormFloat64()}
		b := Vec3{r.NormFloat64(), r.NormFloat64(), r.NormFloat64()}
		if d := HodgeDual3(Outer(a, b).Sub(Outer(b, a))).Sub(Cross(a, b)).MaxAbs(); d > 1e-12 {
			t.Fatalf("⋆(a ∧ b) − a × b = %.1e for %v, %v", d, a, b)
		}
	}
}
