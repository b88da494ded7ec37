package mathx

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Golden values in this file were worked out by hand.

func TestCross(t *testing.T) {
	tests := []struct {
		name string
		a, b Vec3
		want Vec3
	}{
		{"e1×e2", Vec3{1, 0, 0}, Vec3{0, 1, 0}, Vec3{0, 0, 1}},
		{"e2×e3", Vec3{0, 1, 0}, Vec3{0, 0, 1}, Vec3{1, 0, 0}},
		{"e3×e1", Vec3{0, 0, 1}, Vec3{1, 0, 0}, Vec3{0, 1, 0}},
		{"e2×e1", Vec3{0, 1, 0}, Vec3{1, 0, 0}, Vec3{0, 0, -1}},
		{"(1,2,3)×(4,5,6)", Vec3{1, 2, 3}, Vec3{4, 5, 6}, Vec3{-3, 6, -3}},
		{"parallel", Vec3{1, 2, 3}, Vec3{-2, -4, -6}, Vec3{0, 0, 0}},
		{"(2,-1,0)×(0,3,1)", Vec3{2, -1, 0}, Vec3{0, 3, 1}, Vec3{-1, -2, 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Cross(tt.a, tt.b); got != tt.want {
				t.Errorf("Cross(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestDet3AndTripleProduct(t *testing.T) {
	tests := []struct {
		name    string
		a, b, c Vec3
		want    float64
	}{
		{"identity", Vec3{1, 0, 0}, Vec3{0, 1, 0}, Vec3{0, 0, 1}, 1},
		{"swapped rows", Vec3{0, 1, 0}, Vec3{1, 0, 0}, Vec3{0, 0, 1}, -1},
		{"[[1 2 3] [0 1 4] [5 6 0]]", Vec3{1, 2, 3}, Vec3{0, 1, 4}, Vec3{5, 6, 0}, 1},
		{"[[2 0 1] [1 3 2] [1 1 1]] singular", Vec3{2, 0, 1}, Vec3{1, 3, 2}, Vec3{1, 1, 1}, 0},
		{"diagonal", Vec3{2, 0, 0}, Vec3{0, 3, 0}, Vec3{0, 0, 4}, 24},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Det3(tt.a, tt.b, tt.c); got != tt.want {
				t.Errorf("Det3 = %v, want %v", got, tt.want)
			}
			if got := TripleProduct(tt.a, tt.b, tt.c); got != tt.want {
				t.Errorf("TripleProduct = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAngle(t *testing.T) {
	tests := []struct {
		a, b Vec3
		want float64
	}{
		{Vec3{1, 0, 0}, Vec3{0, 1, 0}, math.Pi / 2},
		{Vec3{1, 0, 0}, Vec3{1, 1, 0}, math.Pi / 4},
		{Vec3{1, 0, 0}, Vec3{-1, 0, 0}, math.Pi},
		{Vec3{1, 0, 0}, Vec3{3, 0, 0}, 0},
		{Vec3{1, 0, 0}, Vec3{1, math.Sqrt(3), 0}, math.Pi / 3},
	}
	for _, tt := range tests {
		if got := Angle(tt.a, tt.b); math.Abs(got-tt.want) > 1e-15 {
			t.Errorf("Angle(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestSkewVeeOuter(t *testing.T) {
	a, b := Vec3{1, 2, 3}, Vec3{4, 5, 6}
	wantSkew := Mat3{{0, -3, 2}, {3, 0, -1}, {-2, 1, 0}}
	if got := Skew(a); got != wantSkew {
		t.Errorf("Skew(%v) = %v, want %v", a, got, wantSkew)
	}
	if got := Vee(wantSkew); got != a {
		t.Errorf("Vee(Skew(a)) = %v, want %v", got, a)
	}
	wantOuter := Mat3{{4, 5, 6}, {8, 10, 12}, {12, 15, 18}}
	if got := Outer(a, b); got != wantOuter {
		t.Errorf("Outer = %v, want %v", got, wantOuter)
	}
	// a⊗b − b⊗a = [[0 −3 −6] [3 0 −3] [6 3 0]] = −[(−3, 6, −3)]×.
	w := Outer(a, b).Sub(Outer(b, a))
	if want := (Mat3{{0, -3, -6}, {3, 0, -3}, {6, 3, 0}}); w != want {
		t.Errorf("a⊗b − b⊗a = %v, want %v", w, want)
	}
	if got := Vee(w.Scale(-1)); got != (Vec3{-3, 6, -3}) {
		t.Errorf("vee(b⊗a − a⊗b) = %v, want a×b = (-3, 6, -3)", got)
	}
	sym, anti := Mat3{{1, 2, 3}, {4, 5, 6}, {7, 8, 10}}.SymAntisym()
	if want := (Mat3{{1, 3, 5}, {3, 5, 7}, {5, 7, 10}}); sym != want {
		t.Errorf("sym = %v, want %v", sym, want)
	}
	if want := (Mat3{{0, -1, -2}, {1, 0, -1}, {2, 1, 0}}); anti != want {
		t.Errorf("antisym = %v, want %v", anti, want)
	}
}

// TestIdentities checks the identities of notebook 01 on random vectors; a wrong sign or index in
// Cross breaks at least one of them.
func TestIdentities(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	rv := func() Vec3 { return Vec3{2*r.Float64() - 1, 2*r.Float64() - 1, 2*r.Float64() - 1} }
	for range 1000 {
		a, b, c := rv(), rv(), rv()
		ab := Cross(a, b)
		checks := []struct {
			name     string
			residual float64
		}{
			{"a·(a×b)", a.Dot(ab)},
			{"b·(a×b)", b.Dot(ab)},
			{"Lagrange", ab.Dot(ab) - (a.Dot(a)*b.Dot(b) - a.Dot(b)*a.Dot(b))},
			{"length", ab.Norm() - a.Norm()*b.Norm()*math.Sin(math.Acos(a.Dot(b)/(a.Norm()*b.Norm())))},
			{"anticommutativity", Cross(b, a).Add(ab).MaxAbs()},
			{"triple product", TripleProduct(a, b, c) - Det3(a, b, c)},
			{"Jacobi", Jacobi(a, b, c).MaxAbs()},
			{"skew", Skew(a).MulVec(b).Sub(ab).MaxAbs()},
			{"outer", Outer(a, b).Sub(Outer(b, a)).Add(Skew(ab)).MaxAbs()},
		}
		for _, ch := range checks {
			if math.Abs(ch.residual) > 1e-10 {
				t.Fatalf("%s: residual %g for a=%v b=%v c=%v", ch.name, ch.residual, a, b, c)
			}
		}
	}
}

func TestWedgeComponents(t *testing.T) {
	for n, want := range map[int]int{2: 1, 3: 3, 4: 6, 7: 21} {
		if got := WedgeComponents(n); got != want {
			t.Errorf("WedgeComponents(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestMatString(t *testing.T) {
	if got := (Mat3{{0, -1, 2}, {math.Copysign(0, -1), 0, 0}, {0, 0, 1}}).String(); got != "[[0 -1 2] [0 0 0] [0 0 1]]" {
		t.Errorf("Mat3.String = %q", got)
	}
	if got := (Mat2{{0, 1}, {-1, math.Copysign(0, -1)}}).String(); got != "[[0 1] [-1 0]]" {
		t.Errorf("Mat2.String = %q", got)
	}
}
