package ringgan

// LowDShare returns the share of the snapshot's generated samples that D scores below
// threshold: where the saturating loss's per-sample weight D is small and the non-saturating
// loss's 1 − D is at least (1 − threshold)/threshold times larger.
func (s Snapshot) LowDShare(threshold float64) float64 {
	if len(s.DFakeSamples) == 0 {
		return 0
	}
	n := 0
	for _, d := range s.DFakeSamples {
		if float64(d) < threshold {
			n++
		}
	}
	return float64(n) / float64(len(s.DFakeSamples))
}

// Histogram counts the per-sample D(G(z)) of the snapshot in the bins [edges[i], edges[i+1]);
// the last bin also holds values equal to its upper edge.
func (s Snapshot) Histogram(edges []float64) []int {
	counts := make([]int, len(edges)-1)
	for _, d := range s.DFakeSamples {
		v := float64(d)
		for i := range counts {
			if v >= edges[i] && (v < edges[i+1] || i == len(counts)-1 && v == edges[i+1]) {
				counts[i]++
				break
			}
		}
	}
	return counts
}

// GradRatio returns |∇L_ns| / |∇L_sat|, how much larger the non-saturating loss's gradient with
// respect to the generator's parameters is than the saturating loss's, on the snapshot's samples.
func (s Snapshot) GradRatio() float64 { return s.GradNormNonSat / s.GradNormSat }
