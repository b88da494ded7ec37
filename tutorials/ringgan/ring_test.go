package ringgan

import (
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/tutorials/panels"
	"gonum.org/v1/plot"
)

func TestCentres(t *testing.T) {
	r := DefaultRing()
	s := math.Sqrt2
	tests := []struct {
		k    int
		x, y float64
	}{{0, 2, 0}, {1, s, s}, {2, 0, 2}, {4, -2, 0}, {6, 0, -2}, {7, s, -s}}
	for _, tt := range tests {
		x, y := r.Centre(tt.k)
		if math.Abs(x-tt.x) > 1e-15 || math.Abs(y-tt.y) > 1e-15 {
			t.Errorf("Centre(%d) = (%v, %v), want (%v, %v)", tt.k, x, y, tt.x, tt.y)
		}
	}
	// Neighbours are 2R sin(π/8) apart: √(2 − √2)·R.
	if got, want := r.CentreSpacing(), 2*math.Sqrt(2-math.Sqrt2); math.Abs(got-want) > 1e-15 {
		t.Errorf("CentreSpacing = %v, want %v", got, want)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		ring Ring
		ok   bool
	}{
		{DefaultRing(), true},
		{Ring{Modes: 8, Radius: 2, Sigma: 0.25}, true},  // 3σ discs 1.5 wide, centres 1.53 apart
		{Ring{Modes: 8, Radius: 2, Sigma: 0.26}, false}, // they overlap
		{Ring{Modes: 1, Radius: 1, Sigma: 5}, true},
		{Ring{Modes: 0, Radius: 2, Sigma: 0.05}, false},
		{Ring{Modes: 8, Radius: 2, Sigma: 0}, false},
	}
	for _, tt := range tests {
		if err := tt.ring.Validate(); (err == nil) != tt.ok {
			t.Errorf("%+v: Validate() = %v, want ok = %v", tt.ring, err, tt.ok)
		}
	}
}

func TestCoverage(t *testing.T) {
	r := DefaultRing() // σ = 0.05: a sample counts within 0.15 of a centre
	at := func(k int, dx, dy float64) []float32 {
		x, y := r.Centre(k)
		return []float32{float32(x + dx), float32(y + dy)}
	}
	repeat := func(p []float32, n int) []float32 {
		var out []float32
		for range n {
			out = append(out, p...)
		}
		return out
	}
	concat := func(parts ...[]float32) []float32 {
		var out []float32
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name             string
		samples          []float32
		covered, hq, min int
		perMode          []int
	}{
		{"one at each centre", concat(at(0, 0, 0), at(1, 0, 0), at(2, 0, 0), at(3, 0, 0), at(4, 0, 0), at(5, 0, 0), at(6, 0, 0), at(7, 0, 0)),
			8, 8, 1, []int{1, 1, 1, 1, 1, 1, 1, 1}},
		{"all on one mode", repeat(at(3, 0.1, -0.1), 64), 1, 64, 2, []int{0, 0, 0, 64, 0, 0, 0, 0}},
		{"just outside 3σ", repeat(at(0, 0.16, 0), 10), 0, 0, 1, []int{0, 0, 0, 0, 0, 0, 0, 0}},
		{"between modes", repeat([]float32{0, 0}, 10), 0, 0, 1, []int{0, 0, 0, 0, 0, 0, 0, 0}},
		// 64 samples: a mode needs ⌈64/32⌉ = 2; mode 5 has only 1.
		{"below the share", concat(repeat(at(0, 0, 0), 62), at(5, 0, 0.14), []float32{9, 9}), 1, 63, 2, []int{62, 0, 0, 0, 0, 1, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := r.Coverage(tt.samples)
			if c.Covered != tt.covered || c.HighQuality != tt.hq || c.MinPerMode != tt.min || c.Total != len(tt.samples)/2 {
				t.Errorf("covered %d, hq %d, min %d, total %d; want %d, %d, %d, %d", c.Covered, c.HighQuality, c.MinPerMode, c.Total, tt.covered, tt.hq, tt.min, len(tt.samples)/2)
			}
			for k := range tt.perMode {
				if c.PerMode[k] != tt.perMode[k] {
					t.Errorf("PerMode = %v, want %v", c.PerMode, tt.perMode)
					break
				}
			}
		})
	}
}

// TestSampleMatchesTheMixture checks the sampler against the mixture's closed form: a 2-D
// Gaussian puts 1 − e^{−9/2} of its mass within 3σ of its centre, and the modes are equally likely.
func TestSampleMatchesTheMixture(t *testing.T) {
	const n = 40000
	r := DefaultRing()
	c := r.Coverage(r.Sample(rand.New(rand.NewPCG(3, 4)), n))
	want := 1 - math.Exp(-4.5)
	if got := c.HighQualityShare(); math.Abs(got-want) > 4*math.Sqrt(want*(1-want)/n) {
		t.Errorf("share within 3σ = %.5f, want %.5f", got, want)
	}
	if c.Covered != 8 {
		t.Errorf("covered %d modes, want 8", c.Covered)
	}
	for k, m := range c.PerMode {
		p := want / 8
		if math.Abs(float64(m)/n-p) > 4*math.Sqrt(p*(1-p)/n) {
			t.Errorf("mode %d holds %d samples, want about %.0f", k, m, p*n)
		}
	}
}

func TestGridPoints(t *testing.T) {
	got := GridPoints(2, 1)
	want := []float32{-0.5, -0.5, 0.5, -0.5, -0.5, 0.5, 0.5, 0.5}
	if len(got) != len(want) {
		t.Fatalf("GridPoints = %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("GridPoints(2, 1) = %v, want %v", got, want)
		}
	}
}

func TestTrainIsReproducibleAndSnapshots(t *testing.T) {
	backend, err := gan.NewBackend(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Steps, cfg.SnapshotEvery, cfg.Samples, cfg.Grid = 20, 8, 64, 4
	var seen []int
	a, err := Train(backend, cfg, func(s Snapshot) { seen = append(seen, s.Step) })
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 4 || len(seen) != 4 || a[0].Step != 0 || a[1].Step != 8 || a[2].Step != 16 || a[3].Step != 20 {
		t.Fatalf("snapshots at %v (callback %v), want [0 8 16 20]", steps(a), seen)
	}
	if !math.IsNaN(a[0].DLoss) || math.IsNaN(a[3].DLoss) || len(a[3].Fake) != 2*64 || len(a[3].Surface) != 16 {
		t.Errorf("last snapshot: D loss %v, %d fake values, %d surface values", a[3].DLoss, len(a[3].Fake), len(a[3].Surface))
	}
	for _, v := range a[3].Surface {
		if !(v > 0 && v < 1) {
			t.Fatalf("surface value %v is not a probability", v)
		}
	}
	if !(a[3].DFake > 0 && a[3].DFake < 1) {
		t.Errorf("DFake = %v", a[3].DFake)
	}
	for _, s := range a {
		mean := 0.0
		for _, d := range s.DFakeSamples {
			mean += float64(d)
		}
		mean /= float64(len(s.DFakeSamples))
		if len(s.DFakeSamples) != cfg.Samples || math.Abs(mean-s.DFake) > 1e-6 {
			t.Errorf("step %d: %d per-sample D values with mean %v; want %d with mean DFake = %v", s.Step, len(s.DFakeSamples), mean, cfg.Samples, s.DFake)
		}
		// L_ns + L_sat = −mean logit, so the two gradients must add up to that one's.
		if !(s.GradNormNonSat > 0 && s.GradNormSat > 0 && s.GradIdentityResidual <= 1e-4*(s.GradNormNonSat+s.GradNormSat)) {
			t.Errorf("step %d: gradient norms %v (non-saturating), %v (saturating), identity residual %v", s.Step, s.GradNormNonSat, s.GradNormSat, s.GradIdentityResidual)
		}
	}
	b, err := Train(backend, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if a[i].DLoss != b[i].DLoss && !math.IsNaN(a[i].DLoss) || a[i].GLoss != b[i].GLoss && !math.IsNaN(a[i].GLoss) {
			t.Fatalf("snapshot %d: losses differ between identical runs", i)
		}
		for j := range a[i].Fake {
			if a[i].Fake[j] != b[i].Fake[j] {
				t.Fatalf("snapshot %d: samples differ between identical runs", i)
			}
		}
	}
	cfg.Loss = "wasserstein"
	if _, err := Train(backend, cfg, nil); err == nil {
		t.Error("Train accepted an unknown loss")
	}

	p, err := SnapshotPlot(cfg.Ring, cfg.Ring.Sample(rand.New(rand.NewPCG(1, 1)), 50), a[3], 10)
	if err != nil {
		t.Fatal(err)
	}
	svg, err := panels.SVG([]*plot.Plot{p}, 1, 8, 8)
	if err != nil || !strings.Contains(svg, "step 20") || !strings.Contains(svg, "<image") {
		t.Errorf("snapshot plot: %v, %.100q", err, svg)
	}
}

func steps(s []Snapshot) []int {
	var out []int
	for _, x := range s {
		out = append(out, x.Step)
	}
	return out
}
