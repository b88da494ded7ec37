package mathx

import (
	"math"
	"testing"
)

// With a = 0, c = 1 every method must reproduce notebook 03's f = xy version exactly.
func TestLinearGameReducesToBilinear(t *testing.T) {
	g := LinearGame{Potential: 0, Coupling: 1}
	for _, tt := range []struct {
		name string
		ref  Step
	}{
		{"simultaneous", SimultaneousGD}, {"alternating", AlternatingGD}, {"extragradient", Extragradient},
		{"optimistic", OptimisticGD}, {"consensus", ConsensusGD(1)},
	} {
		step, err := g.Step(tt.name)
		if err != nil {
			t.Fatal(err)
		}
		got, want := Trajectory(step, Point{1, 0}, 0.2, 40), Trajectory(tt.ref, Point{1, 0}, 0.2, 40)
		for i := range got {
			if math.Abs(got[i][0]-want[i][0]) > 1e-14 || math.Abs(got[i][1]-want[i][1]) > 1e-14 {
				t.Fatalf("%s: step %d at %v, the bilinear version at %v", tt.name, i, got[i], want[i])
			}
		}
	}
	if _, err := g.Step("newton"); err == nil {
		t.Error("Step accepted an unknown method")
	}
}

func TestLinearGameSplitAndCriterion(t *testing.T) {
	tests := []struct {
		g     LinearGame
		limit float64 // 2a/(a² + c²), by hand
	}{
		{LinearGame{0.1, 1}, 0.2 / 1.01},
		{LinearGame{1, 0}, 2},
		{LinearGame{0.5, 2}, 1 / 4.25},
		{LinearGame{0, 3}, 0},
	}
	for _, tt := range tests {
		p := Point{0.3, -0.7}
		s, a, f := tt.g.SymPart(p), tt.g.AntisymPart(p), tt.g.Field(p)
		if s[0]+a[0] != f[0] || s[1]+a[1] != f[1] || math.Abs(a[0]*p[0]+a[1]*p[1]) > 1e-15 {
			t.Errorf("%+v: S·p + A·p = %v, ξ = %v, p·A·p = %v", tt.g, Point{s[0] + a[0], s[1] + a[1]}, f, a[0]*p[0]+a[1]*p[1])
		}
		if got := tt.g.StepSizeLimit(); math.Abs(got-tt.limit) > 1e-12 {
			t.Errorf("%+v: limit %v; want %v", tt.g, got, tt.limit)
		}
		if tt.limit == 0 {
			continue
		}
		step, _ := tt.g.Step("simultaneous")
		for _, eta := range []float64{0.9 * tt.limit, 1.1 * tt.limit} {
			r := Trajectory(step, Point{1, 0}, eta, 2000)[2000].Radius()
			if (r < 1) != (eta < tt.limit) {
				t.Errorf("%+v, η = %v: r₂₀₀₀ = %v, but the criterion says converges = %v", tt.g, eta, r, eta < tt.limit)
			}
		}
	}
}
