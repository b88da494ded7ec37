package tutorials

import (
	"math"
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
