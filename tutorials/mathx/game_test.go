package mathx

import (
	"math"
	"math/cmplx"
	"testing"
)

func TestOneStep(t *testing.T) {
	// Each expected point was worked out by hand with η = ½.
	tests := []struct {
		name    string
		step    Step
		p, prev Point
		want    Point
	}{
		{"simultaneous from (1,0)", SimultaneousGD, Point{1, 0}, Point{}, Point{1, 0.5}},
		{"simultaneous from (0,1)", SimultaneousGD, Point{0, 1}, Point{}, Point{-0.5, 1}},
		{"alternating from (1,0)", AlternatingGD, Point{1, 0}, Point{}, Point{1, 0.5}},
		{"alternating from (0,1)", AlternatingGD, Point{0, 1}, Point{}, Point{-0.5, 0.75}},
		{"extragradient from (1,0)", Extragradient, Point{1, 0}, Point{}, Point{0.75, 0.5}},
		{"optimistic from (1,0) after (0,1)", OptimisticGD, Point{1, 0}, Point{0, 1}, Point{1.5, 1}},
		{"optimistic with prev = p is 2η simultaneous", OptimisticGD, Point{1, 0}, Point{1, 0}, Point{1, 0.5}},
		{"consensus γ=1 from (1,0)", ConsensusGD(1), Point{1, 0}, Point{}, Point{0.5, 0.5}},
		{"SGA λ=1 from (1,0)", SGA(1), Point{1, 0}, Point{}, Point{0.5, 0.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.step(tt.p, tt.prev, 0.5)
			if math.Abs(got[0]-tt.want[0]) > 1e-15 || math.Abs(got[1]-tt.want[1]) > 1e-15 {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRadii(t *testing.T) {
	const eta, steps = 0.1, 100
	z0 := Point{0.6, 0.8}
	T := float64(steps)
	lamPlus := func() float64 { // dominant root of λ² − (1+2iη)λ + iη, by the quadratic formula in complex numbers
		b, c := complex(1, 2*eta), complex(0, eta)
		d := cmplx.Sqrt(b*b - 4*c)
		return math.Max(cmplx.Abs((b+d)/2), cmplx.Abs((b-d)/2))
	}()
	tests := []struct {
		name string
		step Step
		want float64 // radius after steps, from the closed forms of notebook 03
	}{
		{"simultaneous", SimultaneousGD, math.Pow(1+eta*eta, T/2)},
		{"extragradient", Extragradient, math.Pow(1-eta*eta+eta*eta*eta*eta, T/2)},
		{"consensus γ=2", ConsensusGD(2), math.Pow((1-2*eta)*(1-2*eta)+eta*eta, T/2)},
		{"SGA λ=2", SGA(2), math.Pow((1-2*eta)*(1-2*eta)+eta*eta, T/2)},
	}
	for _, tt := range tests {
		traj := Trajectory(tt.step, z0, eta, steps)
		if len(traj) != steps+1 || traj[0] != z0 {
			t.Fatalf("%s: trajectory has %d points starting at %v", tt.name, len(traj), traj[0])
		}
		if got := traj[steps].Radius(); math.Abs(got-tt.want) > 1e-12*tt.want {
			t.Errorf("%s: radius %v, want %v", tt.name, got, tt.want)
		}
	}
	ogd := Trajectory(OptimisticGD, z0, eta, steps)
	rate := math.Pow(ogd[steps].Radius()/ogd[steps-20].Radius(), 1.0/20)
	if math.Abs(rate-lamPlus) > 1e-9 {
		t.Errorf("optimistic GD rate %v, want |λ+| = %v", rate, lamPlus)
	}
	for _, p := range Trajectory(AlternatingGD, z0, eta, steps) {
		if d := AlternatingInvariant(p, eta) - AlternatingInvariant(z0, eta); math.Abs(d) > 1e-13 {
			t.Fatalf("alternating GD changed Q by %g at %v", d, p)
		}
	}
}

func TestBilinearJacobian(t *testing.T) {
	j := BilinearJacobian()
	if want := (Mat2{{0, 1}, {-1, 0}}); j != want {
		t.Errorf("J = %v, want %v", j, want)
	}
	s, a := j.SymAntisym()
	if s != (Mat2{}) || a != j {
		t.Errorf("split of J: S = %v, A = %v", s, a)
	}
}
