package tutorials

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ganbook/ganbook/tutorials/diracgan"
	"github.com/ganbook/ganbook/tutorials/gamejac"
	"github.com/ganbook/ganbook/tutorials/mathx"
	"github.com/ganbook/ganbook/tutorials/plots"
	"github.com/ganbook/ganbook/tutorials/ringgan"
	"github.com/gomlx/gomlx/core/graph"
)

func TestTutorial09NumbersAndFigures(t *testing.T) {
	ad, err := diracgan.NewAutodiffField(testBackend(t))
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 1))
	worstAD := 0.0
	for range 50 {
		z := mathx.Vec3{4*r.Float64() - 2, 4*r.Float64() - 2, 4*r.Float64() - 2}
		v, err := ad.At(z)
		if err != nil {
			t.Fatal(err)
		}
		worstAD = math.Max(worstAD, v.Sub(diracgan.Field3(z)).MaxAbs())
	}
	j := diracgan.JacobianFD(func(z mathx.Vec3) mathx.Vec3 { v, _ := ad.At(z); return v }, mathx.Vec3{}, 1e-5)
	if d := j.Sub(diracgan.HandJacobian3()).MaxAbs(); d > 1e-9 {
		t.Errorf("autodiff Jacobian %v differs from the hand one by %.1e", j, d)
	}
	_, a := diracgan.HandJacobian3().SymAntisym()
	omega := mathx.Vee(a)

	z0, eta, steps := mathx.Point{1, 1}, 0.1, 1000
	final := map[string]float64{}
	altLo, altHi := math.Inf(1), 0.0
	for _, m := range diracgan.Methods() {
		tr := mathx.Trajectory(m.Step, z0, eta, steps)
		final[m.Name] = tr[steps].Radius()
		if m.Name == "alternating GD" {
			for _, p := range tr {
				altLo, altHi = math.Min(altLo, p.Radius()), math.Max(altHi, p.Radius())
			}
		}
	}
	z := mathx.Vec3{0.01, 0.01, 0.5}
	for range 400 {
		z = diracgan.Simultaneous3(z, 0.1)
	}
	numbers := ringRotation(t)
	checkTutorial(t, tutorial{
		file: "09-rotation-in-a-gan.md",
		numbers: withNumbers(numbers, map[string]func() float64{
			"omega1": func() float64 { return omega[0] },
			"omega2": func() float64 { return omega[1] },
			"omega3": func() float64 { return omega[2] },
			"adBound": func() float64 {
				if worstAD < 1e-12 { // the text states a bound
					return 1e-12
				}
				return worstAD
			},
			"eigIm":    func() float64 { return math.Abs(imag(mathx.Eigenvalues3(diracgan.HandJacobian3())[1])) },
			"r0":       func() float64 { return z0.Radius() },
			"sim":      func() float64 { return final["simultaneous GD"] },
			"alt":      func() float64 { return final["alternating GD"] },
			"altLo":    func() float64 { return altLo },
			"altHi":    func() float64 { return altHi },
			"eg":       func() float64 { return final["extragradient"] },
			"cons":     func() float64 { return final["consensus (γ = 1)"] },
			"bias":     func() float64 { return z[2] },
			"spin":     func() float64 { return math.Hypot(z[0], z[1]) / math.Hypot(0.01, 0.01) },
			"spinPred": func() float64 { return math.Pow(1+0.1*0.1/4, 200) },
		}),
		figures: map[string]func() (string, error){
			"img/09-dirac-trajectories.svg": func() (string, error) {
				p, err := diracgan.TrajectoryPlot(z0, eta, steps)
				if err != nil {
					return "", err
				}
				return plots.SVG(p, 14, 14)
			},
		},
	})
}

func withNumbers(a, b map[string]func() float64) map[string]func() float64 {
	maps.Copy(a, b)
	return a
}

// ringRotation estimates ‖S‖_F, ‖A‖_F and their ratio for the Dirac-GAN (against √2) and for
// tutorial 05's non-saturating ring run (seed 1) at steps 0, 1500 and 3000.
func ringRotation(t *testing.T) map[string]func() float64 {
	t.Helper()
	backend := testBackend(t)
	const probes, batch = 10, 256
	diracField := func(p []*graph.Node) []*graph.Node { return []*graph.Node{diracgan.FieldGraph(p[0])} }
	dirac, err := gamejac.NewOperator(backend, diracField, [][]int{{3}}, []float64{0, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	dn, err := gamejac.Frobenius(dirac, 100, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	if lo, hi := dn.RatioRange(); !(lo <= math.Sqrt2 && math.Sqrt2 <= hi) {
		t.Errorf("Dirac-GAN: ratio range %v … %v misses √2", lo, hi)
	}
	cfg := ringgan.DefaultConfig()
	cfg.Grid, cfg.SnapshotEvery, cfg.KeepParams = 0, 1500, true
	snaps, err := ringgan.Train(backend, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	field, err := ringgan.GameField(cfg, batch, 1)
	if err != nil {
		t.Fatal(err)
	}
	numbers := map[string]func() float64{
		"diracRatio": dn.Ratio,
		"jacBatch":   func() float64 { return batch },
		"probes":     func() float64 { return probes },
		"ringParams": func() float64 { return float64(len(snaps[0].Params)) },
	}
	var ranges [][2]float64
	for _, s := range snaps {
		w := make([]float64, len(s.Params))
		for i, v := range s.Params {
			w[i] = float64(v)
		}
		op, err := gamejac.NewOperator(backend, field, ringgan.ParamDims(cfg), w)
		if err != nil {
			t.Fatal(err)
		}
		n, err := gamejac.Frobenius(op, probes, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := n.RatioRange()
		if !(n.Ratio() < 1) {
			t.Errorf("step %d: ‖A‖/‖S‖ = %v: the text says S dominates", s.Step, n.Ratio())
		}
		ranges = append(ranges, [2]float64{lo, hi})
		key := fmt.Sprint(s.Step)
		rKey := "r" + key
		if s.Step == 0 {
			rKey = "r0ring"
		}
		numbers["s"+key], numbers["a"+key], numbers[rKey] = n.S, n.A, n.Ratio
		numbers["lo"+key] = func() float64 { return lo }
		numbers["hi"+key] = func() float64 { return hi }
	}
	if len(ranges) != 3 || !(ranges[2][1] < ranges[0][0]) {
		t.Errorf("ratio ranges %v: the text says the ranges at steps 0 and 3000 do not overlap", ranges)
	}
	return numbers
}
