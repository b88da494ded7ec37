package postgres

import (
	"context"
	"math"

	"github.com/ganbook/ganbook/tracker"
)

// rollupShifts are the base-2 logarithms of the range widths the SQLite
// backend keeps rollups for (64, 512, 4096, … 2^57 steps); envelopes of
// long series use the same ranges, so that both backends answer alike.
var rollupShifts = func() []uint {
	var s []uint
	for shift := uint(6); shift <= 57; shift += 3 {
		s = append(s, shift)
	}
	return s
}()

// rawEnvelopeLimit is the most points of a series summarised in ranges as
// narrow as the request allows; longer series get ranges of a rollup width.
func rawEnvelopeLimit(buckets int) int64 { return max(4*int64(buckets), 4096) }

// envelopeShift picks the coarsest rollup width that still divides the
// steps lo…hi into at least the requested number of ranges (the finest
// when none does).
func envelopeShift(lo, hi int64, buckets int) uint {
	shift := rollupShifts[0]
	for _, s := range rollupShifts {
		if hi>>s-lo>>s+1 >= int64(buckets) {
			shift = s
		}
	}
	return shift
}

// bucket accumulates the points of one range.
type bucket struct {
	b         tracker.EnvelopeBucket
	min, max  tracker.MetricPoint
	hasFinite bool
}

// add folds in a point; points come ordered by step, then logging order.
func (k *bucket) add(p tracker.MetricPoint) {
	if k.b.Count == 0 {
		k.b.First = p
	}
	k.b.Last = p
	k.b.Count++
	switch v := p.Value; {
	case math.IsNaN(v):
		k.b.NaN++
	case math.IsInf(v, 1):
		k.b.PosInf++
	case math.IsInf(v, -1):
		k.b.NegInf++
	case !k.hasFinite:
		k.min, k.max, k.hasFinite = p, p, true
	default:
		// Strictly: among equal values the first (lowest step) stays.
		if v < k.min.Value {
			k.min = p
		}
		if v > k.max.Value {
			k.max = p
		}
	}
}

func (k *bucket) done() tracker.EnvelopeBucket {
	if k.hasFinite {
		lo, hi := k.min, k.max
		k.b.Min, k.b.Max = &lo, &hi
	}
	return k.b
}

// MetricEnvelope implements tracker.Backend. A series of at most
// rawEnvelopeLimit points gets ranges of ceil((hi-lo+1)/buckets) steps from
// its lowest step; a longer one ranges that are a multiple of the rollup
// width envelopeShift picks, aligned to it, as the SQLite backend's. The
// points are read once, in order, and folded here: for 20,000 points that
// takes about half the time of folding them on the server with array
// aggregates (measured with BenchmarkPages), but it grows with the series,
// where the SQLite backend's stored rollups do not.
func (d *DB) MetricEnvelope(ctx context.Context, runID, key string, buckets int) (tracker.MetricEnvelope, error) {
	env := tracker.MetricEnvelope{Key: key, Buckets: []tracker.EnvelopeBucket{}}
	buckets = max(buckets, tracker.MinEnvelopeBuckets)
	points, err := d.Metric(ctx, runID, key)
	if err != nil || len(points) == 0 {
		return env, err
	}
	base, width := envelopeRanges(int64(len(points)), points[0].Step, points[len(points)-1].Step, buckets)
	env.Width, env.Count = int64(width), int64(len(points))
	var cur bucket
	group := uint64(0)
	for _, p := range points {
		g := (uint64(p.Step) - uint64(base)) / width
		if cur.b.Count > 0 && g != group {
			env.Buckets = append(env.Buckets, cur.done())
			cur = bucket{}
		}
		if cur.b.Count == 0 {
			cur.b.Start = base + int64(g*width)
		}
		group = g
		cur.add(p)
	}
	env.Buckets = append(env.Buckets, cur.done())
	return env, nil
}

// envelopeRanges returns the first range's start and the ranges' width.
func envelopeRanges(count, lo, hi int64, buckets int) (base int64, width uint64) {
	if count <= rawEnvelopeLimit(buckets) {
		// In uint64, hi-lo cannot overflow.
		return lo, (uint64(hi)-uint64(lo))/uint64(buckets) + 1
	}
	shift := envelopeShift(lo, hi, buckets)
	first, last := lo>>shift, hi>>shift
	k := (uint64(last-first) + 1 + uint64(buckets) - 1) / uint64(buckets)
	for k > math.MaxInt64>>shift && shift < rollupShifts[len(rollupShifts)-1] {
		shift += 3
		first, last = lo>>shift, hi>>shift
		k = (uint64(last-first) + 1 + uint64(buckets) - 1) / uint64(buckets)
	}
	return first << shift, k << shift
}
