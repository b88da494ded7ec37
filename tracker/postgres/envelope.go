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

// exactSteps bounds the steps the server-side envelope handles: it carries
// steps in float8 arrays, exact up to 2^53.
const exactSteps = 1 << 53

// envelopeSQL folds a series into ranges in one scan on the server. Arrays
// of float8 compare element by element, so min(ARRAY[value, step, seq,
// wall]) is the smallest value of lowest step first logged, and the other
// aggregates likewise; NaN and ±Inf are counted and kept out of the extremes.
const envelopeSQL = `
SELECT (step - $3) / $4 AS g, count(*),
	count(*) FILTER (WHERE value = 'NaN'),
	count(*) FILTER (WHERE value = 'Infinity'),
	count(*) FILTER (WHERE value = '-Infinity'),
	min(ARRAY[step, seq, value, wall_ms]),
	max(ARRAY[step, seq, value, wall_ms]),
	min(ARRAY[value, step, seq, wall_ms]) FILTER (WHERE value NOT IN ('NaN', 'Infinity', '-Infinity')),
	max(ARRAY[value, -step, -seq, wall_ms]) FILTER (WHERE value NOT IN ('NaN', 'Infinity', '-Infinity'))
FROM metrics WHERE run_pk = $1 AND key = $2
GROUP BY g ORDER BY g`

// MetricEnvelope implements tracker.Backend. A series of at most
// rawEnvelopeLimit points gets ranges of ceil((hi-lo+1)/buckets) steps from
// its lowest step; a longer one ranges that are a multiple of the rollup
// width envelopeShift picks, aligned to it, as the SQLite backend's. The
// server folds the points into ranges in one scan (Go does, for steps
// beyond 2^53).
func (d *DB) MetricEnvelope(ctx context.Context, runID, key string, buckets int) (tracker.MetricEnvelope, error) {
	env := tracker.MetricEnvelope{Key: key, Buckets: []tracker.EnvelopeBucket{}}
	buckets = max(buckets, tracker.MinEnvelopeBuckets)
	pk, err := d.runPK(ctx, runID)
	if err != nil {
		return env, err
	}
	var count, lo, hi *int64
	err = d.pool.QueryRow(ctx, `SELECT (SELECT count FROM metric_summary WHERE run_pk = $1 AND key = $2),
		(SELECT min(step) FROM metrics WHERE run_pk = $1 AND key = $2), (SELECT max(step) FROM metrics WHERE run_pk = $1 AND key = $2)`, pk, key).Scan(&count, &lo, &hi)
	if err != nil {
		return env, d.classify("read metric envelope", err)
	}
	if lo == nil || count == nil {
		return env, nil
	}
	base, width := envelopeRanges(*count, *lo, *hi, buckets)
	if *lo <= -exactSteps || *hi >= exactSteps {
		return d.clientEnvelope(ctx, runID, key, buckets)
	}
	rows, err := d.pool.Query(ctx, envelopeSQL, pk, key, base, int64(width))
	if err != nil {
		return env, d.classify("read metric envelope", err)
	}
	point := func(step, wall, value float64) tracker.MetricPoint {
		return tracker.MetricPoint{Key: key, Step: int64(step), Time: fromMS(int64(wall)), Value: value}
	}
	env.Width = int64(width)
	err = eachRow(rows, func() error {
		var g int64
		var b tracker.EnvelopeBucket
		var first, last, lowest, highest []float64
		if err := rows.Scan(&g, &b.Count, &b.NaN, &b.PosInf, &b.NegInf, &first, &last, &lowest, &highest); err != nil {
			return err
		}
		b.Start = base + g*int64(width)
		b.First, b.Last = point(first[0], first[3], first[2]), point(last[0], last[3], last[2])
		if lowest != nil {
			lo, hi := point(lowest[1], lowest[3], lowest[0]), point(-highest[1], highest[3], highest[0])
			b.Min, b.Max = &lo, &hi
		}
		env.Count += b.Count
		env.Buckets = append(env.Buckets, b)
		return nil
	})
	if err != nil {
		return tracker.MetricEnvelope{Key: key, Buckets: []tracker.EnvelopeBucket{}}, d.classify("read metric envelope", err)
	}
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

// clientEnvelope folds the points into ranges here, exactly whatever the
// steps.
func (d *DB) clientEnvelope(ctx context.Context, runID, key string, buckets int) (tracker.MetricEnvelope, error) {
	env := tracker.MetricEnvelope{Key: key, Buckets: []tracker.EnvelopeBucket{}}
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
