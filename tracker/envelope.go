package tracker

import (
	"cmp"
	"math"
	"slices"
)

// MetricEnvelope summarises a metric series over equal ranges of steps: for
// each range, the first and last points, the smallest and largest finite
// values, and how many points are NaN, +Inf or -Inf. Drawn through its
// points, it shows every spike of the series, and it says where non-finite
// values are, at a cost that depends on the number of ranges rather than on
// the length of the series. Store.MetricEnvelope returns it.
type MetricEnvelope struct {
	Key string `json:"key"`
	// Count is the number of points the envelope summarises.
	Count int64 `json:"count"`
	// Width is the number of steps in each range: bucket i covers the steps
	// [Buckets[0].Start + i*Width, Buckets[0].Start + (i+1)*Width). Buckets[0]
	// holds the series' lowest step.
	Width int64 `json:"width"`
	// Buckets are the ranges that hold at least one point, by step.
	Buckets []EnvelopeBucket `json:"buckets"`
}

// EnvelopeBucket summarises the points of one range of steps of a
// MetricEnvelope.
type EnvelopeBucket struct {
	// Start is the range's first step; the range ends before Start+Width.
	Start int64 `json:"start"`
	// Count is the number of points in the range, non-finite ones included.
	Count int64 `json:"count"`
	// First is the point of lowest step (the first logged among points of
	// that step); Last the point of highest step (the last logged among
	// points of that step). Either may be NaN or ±Inf.
	First MetricPoint `json:"first"`
	Last  MetricPoint `json:"last"`
	// Min and Max are the points of smallest and largest finite value (the
	// lowest step, then the first logged, among equal values); nil when the
	// range has no finite value.
	Min *MetricPoint `json:"min"`
	Max *MetricPoint `json:"max"`
	// NaN, PosInf and NegInf count the range's points of each non-finite
	// value; they are not in Min and Max.
	NaN    int64 `json:"nan"`
	PosInf int64 `json:"pos_inf"`
	NegInf int64 `json:"neg_inf"`
}

// Finite returns the number of the range's points with a finite value.
func (b EnvelopeBucket) Finite() int64 { return b.Count - b.NaN - b.PosInf - b.NegInf }

// NonFinite returns the number of points of the envelope whose value is NaN
// or ±Inf.
func (e MetricEnvelope) NonFinite() int64 {
	var n int64
	for _, b := range e.Buckets {
		n += b.NaN + b.PosInf + b.NegInf
	}
	return n
}

// Points returns the distinct points of every bucket — first, min, max and
// last — ordered by step: at most four a bucket, the series itself when
// each bucket holds no more. The first and last points may be non-finite.
func (e MetricEnvelope) Points() []MetricPoint {
	out := make([]MetricPoint, 0, 4*len(e.Buckets))
	for _, b := range e.Buckets {
		start := len(out)
		for _, p := range []*MetricPoint{&b.First, b.Min, b.Max, &b.Last} {
			if p != nil && !slices.ContainsFunc(out[start:], func(q MetricPoint) bool { return samePoint(p, &q) }) {
				out = append(out, *p)
			}
		}
		// First and Last bound the steps; Min and Max fall between them.
		slices.SortStableFunc(out[start:], func(a, b MetricPoint) int { return cmp.Compare(a.Step, b.Step) })
	}
	return out
}

// samePoint reports whether two envelope points are one stored point (as
// far as can be told: same step, time and value, NaN equal to NaN).
func samePoint(a, b *MetricPoint) bool {
	return a.Step == b.Step && a.Time.Equal(b.Time) && math.Float64bits(a.Value) == math.Float64bits(b.Value)
}
