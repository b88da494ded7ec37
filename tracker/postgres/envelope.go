package postgres

import (
	"context"
	"math"

	"github.com/ganbook/ganbook/tracker"
	"github.com/ganbook/ganbook/tracker/internal/rollup"
)

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
// rollup.RawEnvelopeLimit points gets ranges of ceil((hi-lo+1)/buckets) steps from
// its lowest step, folded here from the points; a longer one ranges that
// are a multiple of the rollup width rollup.EnvelopeShift picks, aligned to it,
// merged from the stored rollups (metric_rollups), as the SQLite backend's.
func (d *DB) MetricEnvelope(ctx context.Context, runID, key string, buckets int) (tracker.MetricEnvelope, error) {
	env := tracker.MetricEnvelope{Key: key, Buckets: []tracker.EnvelopeBucket{}}
	buckets = max(buckets, tracker.MinEnvelopeBuckets)
	pk, err := d.runPK(ctx, runID)
	if err != nil {
		return env, err
	}
	// The plan: how many points and over which steps (index lookups).
	var count, lo, hi *int64
	err = d.pool.QueryRow(ctx, `SELECT
		(SELECT count FROM metric_summary WHERE run_pk = $1 AND key = $2),
		(SELECT min(step) FROM metrics WHERE run_pk = $1 AND key = $2),
		(SELECT max(step) FROM metrics WHERE run_pk = $1 AND key = $2)`, pk, key).Scan(&count, &lo, &hi)
	if err != nil {
		return env, d.classify("read metric envelope", err)
	}
	if lo == nil || hi == nil {
		return env, nil
	}
	if count == nil || *count <= rollup.RawEnvelopeLimit(buckets) {
		err = d.rawEnvelope(ctx, &env, pk, buckets)
	} else {
		err = d.rollupEnvelope(ctx, &env, pk, rollup.EnvelopeShift(*lo, *hi, buckets), buckets)
	}
	if err != nil {
		return tracker.MetricEnvelope{}, d.classify("read metric envelope", err)
	}
	return env, nil
}

// rawEnvelope folds the series' points, read in order, into ranges of
// ceil((hi-lo+1)/buckets) steps from its lowest step lo.
func (d *DB) rawEnvelope(ctx context.Context, env *tracker.MetricEnvelope, pk int64, buckets int) error {
	points, err := d.points(ctx, pk, env.Key, "")
	if err != nil || len(points) == 0 {
		return err
	}
	base := points[0].Step
	// In uint64, hi-lo cannot overflow.
	width := (uint64(points[len(points)-1].Step)-uint64(base))/uint64(buckets) + 1
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
	return nil
}
