package mathx

import (
	"math"
	"math/cmplx"
	"testing"
)

// The three-parameter game of notebook 03, f(x1, x2, y) = y(x1 + 2x2) + x1²/2: its field
// ξ = (y + x1, 2y, −(x1 + 2x2)) has this Jacobian. By hand: det(λI − J) = λ³ − λ² + 5λ − 4.
var gameJacobian = Mat3{{1, 0, 1}, {0, 0, 2}, {-1, -2, 0}}

func TestCharPoly3(t *testing.T) {
	tests := []struct {
		name       string
		m          Mat3
		c2, c1, c0 float64
	}{
		{"identity", Mat3{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, -3, 3, -1},
		{"diag(1, 2, 3)", Mat3{{1, 0, 0}, {0, 2, 0}, {0, 0, 3}}, -6, 11, -6},
		{"game", gameJacobian, -1, 5, -4},
	}
	for _, tt := range tests {
		c2, c1, c0 := CharPoly3(tt.m)
		if c2 != tt.c2 || c1 != tt.c1 || c0 != tt.c0 {
			t.Errorf("%s: CharPoly3 = %v, %v, %v; want %v, %v, %v", tt.name, c2, c1, c0, tt.c2, tt.c1, tt.c0)
		}
	}
}

func TestEigenvalues3(t *testing.T) {
	tests := []struct {
		name string
		m    Mat3
		want []complex128 // in Eigenvalues3's order: the real root, then +, − imaginary part
	}{
		{"rotation about z plus stretch", Mat3{{0, -1, 0}, {1, 0, 0}, {0, 0, 2}}, []complex128{2, 1i, -1i}},
		{"diag(1, 2, 3)", Mat3{{3, 0, 0}, {0, 1, 0}, {0, 0, 2}}, []complex128{1, 3, 2}},
		{"skew, ω = (1, 2, 2)", Skew(Vec3{1, 2, 2}), []complex128{0, 3i, -3i}},
	}
	for _, tt := range tests {
		got := Eigenvalues3(tt.m)
		for i := range got {
			if cmplx.Abs(got[i]-tt.want[i]) > 1e-9 {
				t.Errorf("%s: eigenvalues %v; want %v", tt.name, got, tt.want)
				break
			}
		}
	}
	// The game's eigenvalues: sum = trace = 1, product = det = 4, and each makes λI − J singular.
	eigs := Eigenvalues3(gameJacobian)
	sum, prod := eigs[0]+eigs[1]+eigs[2], eigs[0]*eigs[1]*eigs[2]
	if cmplx.Abs(sum-1) > 1e-12 || cmplx.Abs(prod-4) > 1e-12 {
		t.Errorf("game: eigenvalues %v sum to %v and multiply to %v; want 1 and 4", eigs, sum, prod)
	}
	for _, l := range eigs {
		if d := complexDet(gameJacobian, l); cmplx.Abs(d) > 1e-12 {
			t.Errorf("game: det(J − %vI) = %v, not 0", l, d)
		}
	}
}

// complexDet returns det(m − λI) by cofactor expansion in complex arithmetic.
func complexDet(m Mat3, l complex128) complex128 {
	var a [3][3]complex128
	for i := range 3 {
		for j := range 3 {
			a[i][j] = complex(m[i][j], 0)
		}
		a[i][i] -= l
	}
	return a[0][0]*(a[1][1]*a[2][2]-a[1][2]*a[2][1]) - a[0][1]*(a[1][0]*a[2][2]-a[1][2]*a[2][0]) + a[0][2]*(a[1][0]*a[2][1]-a[1][1]*a[2][0])
}

func TestGDGrowthRate(t *testing.T) {
	tests := []struct {
		name string
		m    Mat3
		eta  float64
		want float64 // max |1 − ηλ|, by hand
	}{
		{"diag(1, 2, 3), η = 0.1", Mat3{{1, 0, 0}, {0, 2, 0}, {0, 0, 3}}, 0.1, 0.9},
		{"diag(1, 2, 3), η = 0.9", Mat3{{1, 0, 0}, {0, 2, 0}, {0, 0, 3}}, 0.9, 1.7},
		{"rotation ±i, η = 0.2", Mat3{{0, -1, 0}, {1, 0, 0}, {0, 0, 1}}, 0.2, math.Sqrt(1.04)},
	}
	for _, tt := range tests {
		if got := GDGrowthRate(tt.m, Vec3{1, 1, 1}, tt.eta, 2000); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%s: growth rate %.12f; want %.12f", tt.name, got, tt.want)
		}
	}
}

// TestGDStepSizeLimit finds the step size where simulated GD stops converging, by bisection on
// the measured growth rate, and compares it with the eigenvalue criterion.
func TestGDStepSizeLimit(t *testing.T) {
	tests := []struct {
		name string
		m    Mat3
	}{
		{"game", gameJacobian},
		{"diag(1, 2, 3)", Mat3{{1, 0, 0}, {0, 2, 0}, {0, 0, 3}}},
		{"stretch plus rotation", Mat3{{1, -3, 0}, {3, 1, 0}, {0, 0, 0.5}}},
	}
	for _, tt := range tests {
		want := GDStepSizeLimit(Eigenvalues3(tt.m))
		lo := GDStepSizeLimitBySimulation(tt.m, 5)
		if math.Abs(lo-want) > 1e-3*want {
			t.Errorf("%s: simulated threshold %.6f; the eigenvalue criterion says %.6f", tt.name, lo, want)
		}
	}
	if got := GDStepSizeLimit(Eigenvalues3(Skew(Vec3{0, 0, 1}))); got != 0 {
		t.Errorf("pure rotation: step-size limit %v; want 0 (no η converges)", got)
	}
	// By hand for the game: the complex pair has Re λ = (1 − r)/2 and |λ|² = 4/r, r the real root.
	r := real(Eigenvalues3(gameJacobian)[0])
	if want, got := (1-r)/(4/r), GDStepSizeLimit(Eigenvalues3(gameJacobian)); math.Abs(got-want) > 1e-12 {
		t.Errorf("game: limit %v; want (1 − r)·r/4 = %v", got, want)
	}
}
