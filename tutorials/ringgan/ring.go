package ringgan

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Ring is a mixture of Modes equally weighted Gaussians, each with standard deviation Sigma in
// both coordinates, centred at Radius·(cos 2πk/Modes, sin 2πk/Modes), k = 0 … Modes−1.
type Ring struct {
	Modes  int
	Radius float64
	Sigma  float64
}

// DefaultRing is the ring of notebook 05: 8 modes on a circle of radius 2, σ = 0.05.
func DefaultRing() Ring { return Ring{Modes: 8, Radius: 2, Sigma: 0.05} }

// Validate reports a ring whose 3σ discs are not disjoint or whose values make no sense.
func (r Ring) Validate() error {
	if r.Modes < 1 || !(r.Radius > 0) || !(r.Sigma > 0) {
		return fmt.Errorf("ringgan: need Modes ≥ 1, Radius > 0 and Sigma > 0, got %+v", r)
	}
	if r.Modes > 1 && 2*HighQualityRadius*r.Sigma >= r.CentreSpacing() {
		return fmt.Errorf("ringgan: the %gσ discs of neighbouring modes overlap (σ = %g, spacing %g)", HighQualityRadius, r.Sigma, r.CentreSpacing())
	}
	return nil
}

// Centre returns the centre of mode k.
func (r Ring) Centre(k int) (x, y float64) {
	a := 2 * math.Pi * float64(k) / float64(r.Modes)
	return r.Radius * math.Cos(a), r.Radius * math.Sin(a)
}

// CentreSpacing is the distance between neighbouring centres, 2R sin(π/K).
func (r Ring) CentreSpacing() float64 { return 2 * r.Radius * math.Sin(math.Pi/float64(r.Modes)) }

// Sample draws n points, [n·2] as x0, y0, x1, y1, …: a mode chosen uniformly, then Gaussian
// noise around its centre.
func (r Ring) Sample(rng *rand.Rand, n int) []float32 {
	out := make([]float32, 2*n)
	for i := range n {
		cx, cy := r.Centre(rng.IntN(r.Modes))
		out[2*i] = float32(cx + r.Sigma*rng.NormFloat64())
		out[2*i+1] = float32(cy + r.Sigma*rng.NormFloat64())
	}
	return out
}

// HighQualityRadius is how many σ from a centre a sample may lie and still count for its mode.
const HighQualityRadius = 3.0

// Coverage says where a set of samples fell.
type Coverage struct {
	Total int // samples examined
	// PerMode[k] counts the samples within 3σ of centre k.
	PerMode []int
	// HighQuality counts the samples within 3σ of some centre.
	HighQuality int
	// MinPerMode is how many samples a mode needs to count as covered: N/(4K), rounded up.
	MinPerMode int
	// Covered is the number of modes with at least MinPerMode samples.
	Covered int
}

// HighQualityShare is the fraction of samples within 3σ of some centre.
func (c Coverage) HighQualityShare() float64 {
	if c.Total == 0 {
		return 0
	}
	return float64(c.HighQuality) / float64(c.Total)
}

// Coverage counts, for samples [n·2], the samples within 3σ of each centre and the modes that
// hold at least a quarter of their fair share of them, ⌈n/(4K)⌉.
func (r Ring) Coverage(samples []float32) Coverage {
	n := len(samples) / 2
	c := Coverage{Total: n, PerMode: make([]int, r.Modes), MinPerMode: (n + 4*r.Modes - 1) / (4 * r.Modes)}
	limit := HighQualityRadius * r.Sigma
	for i := range n {
		x, y := float64(samples[2*i]), float64(samples[2*i+1])
		for k := range r.Modes {
			cx, cy := r.Centre(k)
			if math.Hypot(x-cx, y-cy) <= limit {
				c.PerMode[k]++
				c.HighQuality++
				break // the discs are disjoint (Validate)
			}
		}
	}
	for _, m := range c.PerMode {
		if m > 0 && m >= c.MinPerMode {
			c.Covered++
		}
	}
	return c
}

// unitCircle returns the i-th of n points around the unit circle.
func unitCircle(i, n int) (x, y float64) {
	a := 2 * math.Pi * float64(i) / float64(n)
	return math.Cos(a), math.Sin(a)
}
