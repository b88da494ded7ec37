package diracgan

import (
	"io"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/tutorials/mathx"
)

// The hand-derived field against central finite differences of the value V.
func TestField3MatchesFiniteDifferencesOfValue(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for range 200 {
		z := mathx.Vec3{4*r.Float64() - 2, 4*r.Float64() - 2, 4*r.Float64() - 2}
		const h = 1e-5
		var grad mathx.Vec3
		for c := range 3 {
			var e mathx.Vec3
			e[c] = h
			grad[c] = (Value(z.Add(e)) - Value(z.Sub(e))) / (2 * h)
		}
		want := mathx.Vec3{grad[0], -grad[1], -grad[2]}
		if d := Field3(z).Sub(want).MaxAbs(); d > 1e-8 {
			t.Fatalf("at %v: Field3 = %v, finite differences of V give %v", z, Field3(z), want)
		}
	}
	// The Dirac-GAN is the bias-free restriction.
	p := mathx.Point{0.7, -1.3}
	f3 := Field3(mathx.Vec3{p[0], p[1], 0})
	if f2 := DiracField(p); f2[0] != f3[0] || f2[1] != f3[1] {
		t.Errorf("DiracField %v differs from Field3's first two components %v", f2, f3)
	}
}

func TestAutodiffAgreesWithHand(t *testing.T) {
	backend, err := gan.NewBackend(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ad, err := NewAutodiffField(backend)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(2, 2))
	for range 20 {
		z := mathx.Vec3{4*r.Float64() - 2, 4*r.Float64() - 2, 4*r.Float64() - 2}
		got, err := ad.At(z)
		if err != nil {
			t.Fatal(err)
		}
		if d := got.Sub(Field3(z)).MaxAbs(); d > 1e-12 {
			t.Errorf("at %v: autodiff %v, by hand %v", z, got, Field3(z))
		}
	}
	j := JacobianFD(func(z mathx.Vec3) mathx.Vec3 { v, _ := ad.At(z); return v }, mathx.Vec3{}, 1e-5)
	if d := j.Sub(HandJacobian3()).MaxAbs(); d > 1e-9 {
		t.Errorf("Jacobian from autodiff %v, by hand %v", j, HandJacobian3())
	}
}

func TestMethodsOnTheDiracGAN(t *testing.T) {
	z0, eta, steps := mathx.Point{1, 1}, 0.1, 1000
	tests := []struct {
		name   string
		step   mathx.Step
		lo, hi float64 // bounds on the final radius
	}{
		{"simultaneous spirals out", Simultaneous, 1.5, math.Inf(1)},
		{"alternating stays near its orbit", Alternating, 0.7, 1.5},
		{"extragradient converges", Extragradient, 0, 0.5},
		{"consensus converges", Consensus(1), 0, 0.1},
	}
	for _, tt := range tests {
		r := mathx.Trajectory(tt.step, z0, eta, steps)[steps].Radius()
		if !(r >= tt.lo && r <= tt.hi) {
			t.Errorf("%s: final radius %v, want in [%v, %v]", tt.name, r, tt.lo, tt.hi)
		}
	}
}
