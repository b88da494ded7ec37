package postgres

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/ganbook/ganbook/tracker"
)

// rollPoint is one point of a series as a rollup keeps it.
type rollPoint struct {
	step, wall int64 // wall time in ms
	value      float64
}

// rollup summarises the points of one bucket of a series: a row of
// metric_rollups (see migrations/0002_metric_rollups.sql).
type rollup struct {
	bucket                     int64
	count, nan, posInf, negInf int64
	first, last                rollPoint
	min, max                   rollPoint // valid when hasFinite
	hasFinite                  bool
}

// smaller and larger order the extreme points: by value, then the lower
// step first; points of equal value and step keep the one already held,
// the first logged or first read.
func smaller(a, b rollPoint) bool { return a.value < b.value || a.value == b.value && a.step < b.step }
func larger(a, b rollPoint) bool  { return a.value > b.value || a.value == b.value && a.step < b.step }

// add folds p into r. Points come in logging order, or in (step, logging
// order) order: both make r.first the first logged point of lowest step,
// r.last the last logged point of highest step and the extremes the first
// logged of lowest step among equal values.
func (r *rollup) add(p rollPoint) {
	if r.count == 0 {
		r.first, r.last = p, p
	} else {
		if p.step < r.first.step {
			r.first = p
		}
		if p.step >= r.last.step {
			r.last = p
		}
	}
	r.count++
	switch {
	case math.IsNaN(p.value):
		r.nan++
	case math.IsInf(p.value, 1):
		r.posInf++
	case math.IsInf(p.value, -1):
		r.negInf++
	case !r.hasFinite:
		r.min, r.max, r.hasFinite = p, p, true
	default:
		if smaller(p, r.min) {
			r.min = p
		}
		if larger(p, r.max) {
			r.max = p
		}
	}
}

// merge folds o into r, where o's points were logged after r's or lie in
// another range of steps. upsertRollupsSQL merges a stored row with a new
// one by the same rules.
func (r *rollup) merge(o *rollup) {
	if o.count == 0 {
		return
	}
	if r.count == 0 {
		bucket := r.bucket
		*r = *o
		r.bucket = bucket
		return
	}
	if o.first.step < r.first.step {
		r.first = o.first
	}
	if o.last.step >= r.last.step {
		r.last = o.last
	}
	r.count += o.count
	r.nan += o.nan
	r.posInf += o.posInf
	r.negInf += o.negInf
	switch {
	case !o.hasFinite:
	case !r.hasFinite:
		r.min, r.max, r.hasFinite = o.min, o.max, true
	default:
		if smaller(o.min, r.min) {
			r.min = o.min
		}
		if larger(o.max, r.max) {
			r.max = o.max
		}
	}
}

// rollupBuilder accumulates one series' points of a batch into buckets of
// the finest width.
type rollupBuilder struct {
	buckets []rollup
	index   map[int64]int // bucket → position in buckets
	last    int           // position of the last bucket added to
}

func newRollupBuilder() *rollupBuilder {
	return &rollupBuilder{index: map[int64]int{}, last: -1}
}

func (b *rollupBuilder) add(p rollPoint) {
	bucket := p.step >> rollupShifts[0]
	// Steps mostly come in order, so the bucket is mostly the last one.
	if b.last < 0 || b.buckets[b.last].bucket != bucket {
		i, ok := b.index[bucket]
		if !ok {
			i = len(b.buckets)
			b.buckets = append(b.buckets, rollup{bucket: bucket})
			b.index[bucket] = i
		}
		b.last = i
	}
	b.buckets[b.last].add(p)
}

// levels returns the rollups at each width of rollupShifts, each sorted by
// bucket; a coarser level is folded from the one below it.
func (b *rollupBuilder) levels() [][]rollup {
	fine := b.buckets
	slices.SortFunc(fine, func(x, y rollup) int { return cmp.Compare(x.bucket, y.bucket) })
	out := make([][]rollup, len(rollupShifts))
	out[0] = fine
	for i := 1; i < len(rollupShifts); i++ {
		d := rollupShifts[i] - rollupShifts[i-1]
		var level []rollup
		for j := range out[i-1] {
			r := &out[i-1][j]
			bucket := r.bucket >> d
			if n := len(level); n > 0 && level[n-1].bucket == bucket {
				level[n-1].merge(r)
				continue
			}
			c := *r
			c.bucket = bucket
			level = append(level, c)
		}
		out[i] = level
	}
	return out
}

// upsertRollupsSQL stores a batch's rollups, one row per element of its
// arrays, merging each into the stored row of its bucket by the rules of
// rollup.merge: the stored row holds the points logged earlier. Every SET
// expression reads the stored row r as it was.
const upsertRollupsSQL = `
INSERT INTO metric_rollups AS r (run_pk, key, shift, bucket, count, nan, pos_inf, neg_inf,
	first_step, first_wall, first_value, last_step, last_wall, last_value,
	min_step, min_wall, min_value, max_step, max_wall, max_value)
SELECT $1, * FROM unnest($2::text[], $3::int2[], $4::int8[], $5::int8[], $6::int8[], $7::int8[], $8::int8[],
	$9::int8[], $10::int8[], $11::float8[], $12::int8[], $13::int8[], $14::float8[],
	$15::int8[], $16::int8[], $17::float8[], $18::int8[], $19::int8[], $20::float8[])
ON CONFLICT (run_pk, key, shift, bucket) DO UPDATE SET
	count   = r.count + excluded.count,
	nan     = r.nan + excluded.nan,
	pos_inf = r.pos_inf + excluded.pos_inf,
	neg_inf = r.neg_inf + excluded.neg_inf,
	first_step  = CASE WHEN excluded.first_step < r.first_step THEN excluded.first_step ELSE r.first_step END,
	first_wall  = CASE WHEN excluded.first_step < r.first_step THEN excluded.first_wall ELSE r.first_wall END,
	first_value = CASE WHEN excluded.first_step < r.first_step THEN excluded.first_value ELSE r.first_value END,
	last_step   = CASE WHEN excluded.last_step >= r.last_step THEN excluded.last_step ELSE r.last_step END,
	last_wall   = CASE WHEN excluded.last_step >= r.last_step THEN excluded.last_wall ELSE r.last_wall END,
	last_value  = CASE WHEN excluded.last_step >= r.last_step THEN excluded.last_value ELSE r.last_value END,
	min_step  = CASE WHEN ` + newMin + ` THEN excluded.min_step ELSE r.min_step END,
	min_wall  = CASE WHEN ` + newMin + ` THEN excluded.min_wall ELSE r.min_wall END,
	min_value = CASE WHEN ` + newMin + ` THEN excluded.min_value ELSE r.min_value END,
	max_step  = CASE WHEN ` + newMax + ` THEN excluded.max_step ELSE r.max_step END,
	max_wall  = CASE WHEN ` + newMax + ` THEN excluded.max_wall ELSE r.max_wall END,
	max_value = CASE WHEN ` + newMax + ` THEN excluded.max_value ELSE r.max_value END`

// newMin and newMax say whether the new row's extreme replaces the stored
// one (min and max are never NaN, so the comparisons are IEEE 754's).
const (
	newMin = `excluded.min_value IS NOT NULL AND (r.min_value IS NULL OR excluded.min_value < r.min_value
		OR excluded.min_value = r.min_value AND excluded.min_step < r.min_step)`
	newMax = `excluded.max_value IS NOT NULL AND (r.max_value IS NULL OR excluded.max_value > r.max_value
		OR excluded.max_value = r.max_value AND excluded.max_step < r.max_step)`
)

// rollupRows gathers rollup rows as the column arrays of upsertRollupsSQL.
type rollupRows struct {
	keys                                   []string
	shifts                                 []int16
	buckets, counts, nans, posInfs, negInf []int64
	firstStep, firstWall, lastStep, lastW  []int64
	firstValue, lastValue                  []float64
	minStep, minWall, maxStep, maxWall     []*int64
	minValue, maxValue                     []*float64
}

func (rr *rollupRows) add(key string, shift uint, r *rollup) {
	rr.keys = append(rr.keys, key)
	rr.shifts = append(rr.shifts, int16(shift))
	rr.buckets = append(rr.buckets, r.bucket)
	rr.counts = append(rr.counts, r.count)
	rr.nans = append(rr.nans, r.nan)
	rr.posInfs = append(rr.posInfs, r.posInf)
	rr.negInf = append(rr.negInf, r.negInf)
	rr.firstStep = append(rr.firstStep, r.first.step)
	rr.firstWall = append(rr.firstWall, r.first.wall)
	rr.firstValue = append(rr.firstValue, r.first.value)
	rr.lastStep = append(rr.lastStep, r.last.step)
	rr.lastW = append(rr.lastW, r.last.wall)
	rr.lastValue = append(rr.lastValue, r.last.value)
	if r.hasFinite {
		lo, hi := r.min, r.max
		rr.minStep, rr.minWall, rr.minValue = append(rr.minStep, &lo.step), append(rr.minWall, &lo.wall), append(rr.minValue, &lo.value)
		rr.maxStep, rr.maxWall, rr.maxValue = append(rr.maxStep, &hi.step), append(rr.maxWall, &hi.wall), append(rr.maxValue, &hi.value)
	} else {
		rr.minStep, rr.minWall, rr.minValue = append(rr.minStep, nil), append(rr.minWall, nil), append(rr.minValue, nil)
		rr.maxStep, rr.maxWall, rr.maxValue = append(rr.maxStep, nil), append(rr.maxWall, nil), append(rr.maxValue, nil)
	}
}

// queue adds the upsert of the gathered rows to a batch of statements.
func (rr *rollupRows) queue(batch *pgx.Batch, pk int64) {
	if len(rr.keys) == 0 {
		return
	}
	batch.Queue(upsertRollupsSQL, pk, rr.keys, rr.shifts, rr.buckets, rr.counts, rr.nans, rr.posInfs, rr.negInf,
		rr.firstStep, rr.firstWall, rr.firstValue, rr.lastStep, rr.lastW, rr.lastValue,
		rr.minStep, rr.minWall, rr.minValue, rr.maxStep, rr.maxWall, rr.maxValue)
}

// addLevels gathers the rows of a series' rollups at every level, as
// rollupBuilder.levels returns them.
func (rr *rollupRows) addLevels(key string, levels [][]rollup) {
	for i, level := range levels {
		for j := range level {
			rr.add(key, rollupShifts[i], &level[j])
		}
	}
}

// rollupEnvelope summarises the series from its rollups of width 2^shift,
// merging k consecutive buckets into each range, k as small as keeps the
// ranges within the requested number.
func (d *DB) rollupEnvelope(ctx context.Context, env *tracker.MetricEnvelope, pk int64, shift uint, buckets int) error {
	rows, err := d.pool.Query(ctx, `
		SELECT bucket, count, nan, pos_inf, neg_inf, first_step, first_wall, first_value, last_step, last_wall, last_value,
			min_step, min_wall, min_value, max_step, max_wall, max_value
		FROM metric_rollups WHERE run_pk = $1 AND key = $2 AND shift = $3 ORDER BY bucket`, pk, env.Key, int16(shift))
	if err != nil {
		return err
	}
	var stored []rollup
	err = eachRow(rows, func() error {
		var r rollup
		var minStep, minWall, maxStep, maxWall *int64
		var minValue, maxValue *float64
		if err := rows.Scan(&r.bucket, &r.count, &r.nan, &r.posInf, &r.negInf,
			&r.first.step, &r.first.wall, &r.first.value, &r.last.step, &r.last.wall, &r.last.value,
			&minStep, &minWall, &minValue, &maxStep, &maxWall, &maxValue); err != nil {
			return err
		}
		if minValue != nil && minStep != nil && minWall != nil && maxValue != nil && maxStep != nil && maxWall != nil {
			r.hasFinite = true
			r.min = rollPoint{step: *minStep, wall: *minWall, value: *minValue}
			r.max = rollPoint{step: *maxStep, wall: *maxWall, value: *maxValue}
		}
		stored = append(stored, r)
		return nil
	})
	if err != nil || len(stored) == 0 {
		return err
	}
	first, last := stored[0].bucket, stored[len(stored)-1].bucket
	n := uint64(last-first) + 1 // at most 2^58
	k := (n + uint64(buckets) - 1) / uint64(buckets)
	if k > math.MaxInt64>>shift {
		// Only when points far outside the planned steps arrived meanwhile.
		if shift+3 > rollupShifts[len(rollupShifts)-1] {
			return fmt.Errorf("steps %d to %d span too many rollups", first<<shift, last<<shift)
		}
		return d.rollupEnvelope(ctx, env, pk, shift+3, buckets)
	}
	env.Width = int64(k << shift)
	var cur rollup
	group := int64(-1)
	for i := range stored {
		g := int64(uint64(stored[i].bucket-first) / k)
		if g != group && cur.count > 0 {
			env.Buckets = append(env.Buckets, envelopeBucket(env.Key, (first+group*int64(k))<<shift, &cur))
			cur = rollup{}
		}
		group = g
		cur.merge(&stored[i])
		env.Count += stored[i].count
	}
	env.Buckets = append(env.Buckets, envelopeBucket(env.Key, (first+group*int64(k))<<shift, &cur))
	return nil
}

// envelopeBucket turns a rollup into the tracker's form.
func envelopeBucket(key string, start int64, r *rollup) tracker.EnvelopeBucket {
	point := func(p rollPoint) tracker.MetricPoint {
		return tracker.MetricPoint{Key: key, Step: p.step, Time: fromMS(p.wall), Value: p.value}
	}
	b := tracker.EnvelopeBucket{
		Start: start, Count: r.count, NaN: r.nan, PosInf: r.posInf, NegInf: r.negInf,
		First: point(r.first), Last: point(r.last),
	}
	if r.hasFinite {
		lo, hi := point(r.min), point(r.max)
		b.Min, b.Max = &lo, &hi
	}
	return b
}
