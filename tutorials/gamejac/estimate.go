package gamejac

import (
	"math"
	"math/rand/v2"

	"github.com/ganbook/ganbook/tracker"
)

// Norms is an estimate of ‖S‖_F and ‖A‖_F from random probes.
//
// For a probe v with independent standard normal entries, E‖Mv‖² = ‖M‖_F², so the mean of
// ‖Sv‖² (of ‖Av‖²) over independent probes is an unbiased estimate of ‖S‖_F² (of ‖A‖_F²);
// SquaredS and SquaredA hold those means with their 95 % Student-t intervals over the probes.
type Norms struct {
	Probes             int
	SquaredS, SquaredA tracker.Interval
}

// S is the estimate of ‖S‖_F.
func (n Norms) S() float64 { return math.Sqrt(float64(n.SquaredS.Mean)) }

// A is the estimate of ‖A‖_F.
func (n Norms) A() float64 { return math.Sqrt(float64(n.SquaredA.Mean)) }

// Ratio is the estimate of ‖A‖_F / ‖S‖_F.
func (n Norms) Ratio() float64 { return n.A() / n.S() }

// RatioRange bounds ‖A‖_F / ‖S‖_F by the ends of the two squared norms' 95 % intervals:
// √(low A² / high S²) … √(high A² / low S²), a conservative interval (both hold with at
// least 90 % probability together).
func (n Norms) RatioRange() (lo, hi float64) {
	lo = math.Sqrt(math.Max(n.SquaredA.Low(), 0) / n.SquaredS.High())
	hi = math.Sqrt(n.SquaredA.High() / math.Max(n.SquaredS.Low(), 0))
	return lo, hi
}

// Frobenius estimates ‖S‖_F and ‖A‖_F of op's Jacobian with the given number of Gaussian
// probes drawn from rng (each probe costs one JV and one JTV).
func Frobenius(op *Operator, probes int, rng *rand.Rand) (Norms, error) {
	var s2, a2 []float64
	v := make([]float64, op.Dim())
	for range probes {
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		sv, av, err := op.SymAntisym(v)
		if err != nil {
			return Norms{}, err
		}
		s2, a2 = append(s2, Dot(sv, sv)), append(a2, Dot(av, av))
	}
	return Norms{Probes: probes, SquaredS: tracker.TInterval(s2, 0.95), SquaredA: tracker.TInterval(a2, 0.95)}, nil
}

// Dot is ⟨a, b⟩.
func Dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}
