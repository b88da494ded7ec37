package tutorials

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ganbook/ganbook/tutorials/mathx"
	"github.com/ganbook/ganbook/tutorials/plots"
)

func TestTutorial01NumbersAndFigures(t *testing.T) {
	a, b, c := mathx.Vec3{1, 2, 3}, mathx.Vec3{4, 5, 6}, mathx.Vec3{7, 8, 10}
	ab := mathx.Cross(a, b)
	e := func(i int) mathx.Vec7 { var v mathx.Vec7; v[i] = 1; return v }
	checkTutorial(t, tutorial{
		file: "01-cross-product.md",
		numbers: map[string]func() float64{
			"cross1":    func() float64 { return ab[0] },
			"cross2":    func() float64 { return ab[1] },
			"cross3":    func() float64 { return ab[2] },
			"crossNorm": func() float64 { return ab.Norm() },
			"angleDeg":  func() float64 { return math.Acos(a.Dot(b)/(a.Norm()*b.Norm())) * 180 / math.Pi },
			"normSin": func() float64 {
				return a.Norm() * b.Norm() * math.Sin(math.Acos(a.Dot(b)/(a.Norm()*b.Norm())))
			},
			"triple": func() float64 { return mathx.TripleProduct(a, b, c) },
			"area60": func() float64 {
				u, v := plots.CrossProductVectors(math.Pi / 3)
				return mathx.Cross(u, v).Norm()
			},
			"areaMax": func() float64 {
				u, v := plots.CrossProductVectors(math.Pi / 2)
				return mathx.Cross(u, v).Norm()
			},
			"wedge3":  func() float64 { return float64(mathx.WedgeComponents(3)) },
			"wedge4":  func() float64 { return float64(mathx.WedgeComponents(4)) },
			"wedge7":  func() float64 { return float64(mathx.WedgeComponents(7)) },
			"jacobi7": func() float64 { return mathx.Jacobi7(e(0), e(1), e(2)).Norm() },
			"baccab7": func() float64 { return mathx.BACCAB7(e(0), e(1), e(2)).Norm() },
			"planes7": func() float64 { return float64(len(normalForm(t, 7).rotations)) },
			"planes8": func() float64 { return float64(len(normalForm(t, 8).rotations)) },
			"reconBound": func() float64 {
				worst := math.Max(normalForm(t, 7).reconstruction, normalForm(t, 8).reconstruction)
				if worst < 1e-12 { // the text states a bound: it holds, or the check shows the excess
					return 1e-12
				}
				return worst
			},
			"rate3": func() float64 {
				m := mathx.Skew(mathx.Vec3{1, 2, 2})
				rs, err := mathx.PlanarRotations([][]float64{m[0][:], m[1][:], m[2][:]}, 1e-9)
				if err != nil || len(rs) != 1 {
					t.Fatalf("3-D normal form: %v, %d planes", err, len(rs))
				}
				return rs[0].Omega
			},
		},
		figures: map[string]func() (string, error){
			"img/01-cross-product.svg": func() (string, error) {
				p, err := plots.CrossProduct(math.Pi / 3)
				if err != nil {
					return "", err
				}
				return plots.SVG(p, 12, 11)
			},
		},
	})
}

// normalFormResult is the normal form of a random antisymmetric n×n matrix (seed 1, 2) and how
// far the sum of its rotations is from the matrix.
type normalFormResult struct {
	rotations      []mathx.PlanarRotation
	reconstruction float64
}

func normalForm(t *testing.T, n int) normalFormResult {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
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
	rs, err := mathx.PlanarRotations(a, 1e-9)
	if err != nil {
		t.Fatal(err)
	}
	back := mathx.SumOfRotations(rs, n)
	worst := 0.0
	for i := range n {
		for j := range n {
			worst = math.Max(worst, math.Abs(back[i][j]-a[i][j]))
		}
	}
	return normalFormResult{rs, worst}
}
