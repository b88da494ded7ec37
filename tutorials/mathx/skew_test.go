package mathx

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randomSkew(r *rand.Rand, n int) [][]float64 {
	a := make([][]float64, n)
	for i := range a {
		a[i] = make([]float64, n)
	}
	for i := range n {
		for j := i + 1; j < n; j++ {
			a[i][j] = 2*r.Float64() - 1
			a[j][i] = -a[i][j]
		}
	}
	return a
}

func TestPlanarRotations(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	tests := []struct {
		name   string
		a      [][]float64
		planes int
		omegas []float64 // by hand; nil: not known in closed form
	}{
		{"3-D, ω = (1, 2, 2)", skew3(Skew(Vec3{1, 2, 2})), 1, []float64{3}},
		{"4-D, two planes at rates 3 and 1", [][]float64{{0, -3, 0, 0}, {3, 0, 0, 0}, {0, 0, 0, -1}, {0, 0, 1, 0}}, 2, []float64{3, 1}},
		{"4-D, repeated rate 2", [][]float64{{0, -2, 0, 0}, {2, 0, 0, 0}, {0, 0, 0, -2}, {0, 0, 2, 0}}, 2, []float64{2, 2}},
		{"random 7×7", randomSkew(r, 7), 3, nil},
		{"random 8×8", randomSkew(r, 8), 4, nil},
	}
	for _, tt := range tests {
		rs, err := PlanarRotations(tt.a, 1e-9)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if len(rs) != tt.planes {
			t.Errorf("%s: %d planes; want %d", tt.name, len(rs), tt.planes)
			continue
		}
		for k, want := range tt.omegas {
			if math.Abs(rs[k].Omega-want) > 1e-9 {
				t.Errorf("%s: rate %d = %v; want %v", tt.name, k, rs[k].Omega, want)
			}
		}
		n := len(tt.a)
		back := SumOfRotations(rs, n)
		worst := 0.0
		for i := range n {
			for j := range n {
				worst = math.Max(worst, math.Abs(back[i][j]-tt.a[i][j]))
			}
		}
		if worst > 1e-9 {
			t.Errorf("%s: the rotations sum to a matrix %.1e away", tt.name, worst)
		}
		// The planes' vectors are orthonormal.
		var vs [][]float64
		for _, p := range rs {
			vs = append(vs, p.U, p.V)
		}
		for i := range vs {
			for j := range vs {
				want := 0.0
				if i == j {
					want = 1
				}
				if math.Abs(dot(vs[i], vs[j])-want) > 1e-9 {
					t.Fatalf("%s: plane vectors %d and %d have dot %v", tt.name, i, j, dot(vs[i], vs[j]))
				}
			}
		}
	}
	// In 3-D, Omega·(U × V) is the axial vector.
	rs, _ := PlanarRotations(skew3(Skew(Vec3{1, 2, 2})), 1e-9)
	u, v := Vec3{rs[0].U[0], rs[0].U[1], rs[0].U[2]}, Vec3{rs[0].V[0], rs[0].V[1], rs[0].V[2]}
	if w := Cross(u, v).Scale(rs[0].Omega); w.Sub(Vec3{1, 2, 2}).MaxAbs() > 1e-9 {
		t.Errorf("3-D: Ω·(U × V) = %v; want ω = (1, 2, 2)", w)
	}
	if _, err := PlanarRotations([][]float64{{0, 1}, {1, 0}}, 1e-9); err == nil {
		t.Error("PlanarRotations accepted a symmetric matrix")
	}
}

func skew3(m Mat3) [][]float64 {
	return [][]float64{m[0][:], m[1][:], m[2][:]}
}

func TestBACCAB(t *testing.T) {
	e := func(i int) Vec7 { var v Vec7; v[i] = 1; return v }
	// By hand from the Fano lines (i, i+1, i+3): e1 × e2 = e4, then e0 × e4 = e5 (line (4, 5, 0)),
	// while e1(e0·e2) − e2(e0·e1) = 0.
	if got := BACCAB7(e(0), e(1), e(2)); got.Sub(e(5)).MaxAbs() > 0 {
		t.Errorf("BAC − CAB residual for e0, e1, e2 = %v; want e5", got)
	}
	// Within one Fano line (a quaternionic triple) the expansion holds: e0 × (e1 × e0) = e1.
	if got := BACCAB7(e(0), e(1), e(0)); got.MaxAbs() > 0 {
		t.Errorf("BAC − CAB residual for e0, e1, e0 = %v; want 0", got)
	}
	r := rand.New(rand.NewPCG(9, 9))
	for range 1000 {
		a := Vec3{r.Float64(), r.Float64(), r.Float64()}
		b := Vec3{r.Float64(), r.Float64(), r.Float64()}
		c := Vec3{r.Float64(), r.Float64(), r.Float64()}
		if BACCAB(a, b, c).MaxAbs() > 1e-14 {
			t.Fatalf("3-D BAC − CAB fails for %v, %v, %v", a, b, c)
		}
	}
}
