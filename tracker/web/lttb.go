package web

import "math"

// point is one (step, value) pair of a chart line.
type point struct{ X, Y float64 }

// lttb downsamples pts to at most threshold points with the
// Largest-Triangle-Three-Buckets algorithm (S. Steinarsson, "Downsampling
// Time Series for Visual Representation", 2013). It keeps the first and the
// last point and, from each of threshold-2 equal buckets of the points in
// between, the one that forms the largest triangle with the point kept from
// the previous bucket and the average of the next bucket: peaks and dips
// survive, which plain striding would drop.
//
// The points must be finite and ordered by X. When threshold < 3 or the
// series already has at most threshold points, pts is returned as it is.
func lttb(pts []point, threshold int) []point {
	n := len(pts)
	if threshold < 3 || n <= threshold {
		return pts
	}
	out := make([]point, 0, threshold)
	out = append(out, pts[0])
	// Bucket i (0-based) covers pts[floor(i*every)+1 : floor((i+1)*every)+1].
	every := float64(n-2) / float64(threshold-2)
	a := pts[0]
	for i := 0; i < threshold-2; i++ {
		// The average of the next bucket (the last point for the last bucket).
		nextStart := int(math.Floor(float64(i+1)*every)) + 1
		nextEnd := min(int(math.Floor(float64(i+2)*every))+1, n)
		var avgX, avgY float64
		for _, p := range pts[nextStart:nextEnd] {
			avgX += p.X
			avgY += p.Y
		}
		k := float64(nextEnd - nextStart)
		avgX /= k
		avgY /= k

		start := int(math.Floor(float64(i)*every)) + 1
		end := int(math.Floor(float64(i+1)*every)) + 1
		best, bestArea := start, -1.0
		for j := start; j < end; j++ {
			// Twice the triangle's area; the factor does not change the choice.
			area := math.Abs((a.X-avgX)*(pts[j].Y-a.Y) - (a.X-pts[j].X)*(avgY-a.Y))
			if area > bestArea {
				best, bestArea = j, area
			}
		}
		a = pts[best]
		out = append(out, a)
	}
	return append(out, pts[n-1])
}
