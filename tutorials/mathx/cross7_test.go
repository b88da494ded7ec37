package mathx

import (
	"math"
	"math/rand/v2"
	"testing"
)

func basis7(i int) Vec7 {
	var e Vec7
	e[i] = 1
	return e
}

func TestCross7Basis(t *testing.T) {
	// Worked out by hand from the Fano lines (i, i+1, i+3) mod 7, 0-based.
	tests := []struct {
		i, j int
		want Vec7
	}{
		{0, 1, basis7(3)},
		{1, 0, basis7(3).scale(-1)},
		{1, 3, basis7(0)}, // cyclic rotation (1, 3, 0) of line (0, 1, 3)
		{3, 0, basis7(1)},
		{1, 2, basis7(4)},
		{6, 0, basis7(2)},
		{0, 2, basis7(6)}, // line (6, 0, 2) rotated to (0, 2, 6)
		{2, 2, Vec7{}},
	}
	for _, tt := range tests {
		if got := Cross7(basis7(tt.i), basis7(tt.j)); got != tt.want {
			t.Errorf("e%d × e%d = %v, want %v", tt.i, tt.j, got, tt.want)
		}
	}
	// Every pair of distinct basis vectors lies on exactly one line: their product is ±one basis vector.
	for i := range 7 {
		for j := range 7 {
			if i == j {
				continue
			}
			c := Cross7(basis7(i), basis7(j))
			if c.Norm() != 1 || c.MaxAbs() != 1 {
				t.Errorf("e%d × e%d = %v, want a signed basis vector", i, j, c)
			}
		}
	}
}

func TestCross7Identities(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	rv := func() Vec7 {
		var v Vec7
		for i := range v {
			v[i] = 2*r.Float64() - 1
		}
		return v
	}
	for range 1000 {
		a, b := rv(), rv()
		ab := Cross7(a, b)
		if res := math.Max(math.Abs(a.Dot(ab)), math.Abs(b.Dot(ab))); res > 1e-12 {
			t.Fatalf("orthogonality residual %g", res)
		}
		if res := ab.Dot(ab) - (a.Dot(a)*b.Dot(b) - a.Dot(b)*a.Dot(b)); math.Abs(res) > 1e-12 {
			t.Fatalf("Lagrange residual %g", res)
		}
	}
	// Jacobi fails: by hand, e1×(e2×e0)... for (e0, e1, e2) each of the three terms is e5.
	if got, want := Jacobi7(basis7(0), basis7(1), basis7(2)), basis7(5).scale(3); got != want {
		t.Errorf("Jacobi7(e0, e1, e2) = %v, want %v", got, want)
	}
}

func (a Vec7) scale(s float64) Vec7 {
	for i := range a {
		a[i] *= s
	}
	return a
}
