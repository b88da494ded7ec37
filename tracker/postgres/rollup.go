package postgres

import (
	"context"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/ganbook/ganbook/tracker"
	"github.com/ganbook/ganbook/tracker/internal/rollup"
)

// upsertRollupsSQL stores a batch's rollups, one row per element of its
// arrays, merging each into the stored row of its bucket by the rules of
// rollup.Rollup.Merge: the stored row holds the points logged earlier. Every SET
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

func (rr *rollupRows) add(key string, shift uint, r *rollup.Rollup) {
	rr.keys = append(rr.keys, key)
	rr.shifts = append(rr.shifts, int16(shift))
	rr.buckets = append(rr.buckets, r.Bucket)
	rr.counts = append(rr.counts, r.Count)
	rr.nans = append(rr.nans, r.NaN)
	rr.posInfs = append(rr.posInfs, r.PosInf)
	rr.negInf = append(rr.negInf, r.NegInf)
	rr.firstStep = append(rr.firstStep, r.First.Step)
	rr.firstWall = append(rr.firstWall, r.First.Wall)
	rr.firstValue = append(rr.firstValue, r.First.Value)
	rr.lastStep = append(rr.lastStep, r.Last.Step)
	rr.lastW = append(rr.lastW, r.Last.Wall)
	rr.lastValue = append(rr.lastValue, r.Last.Value)
	if r.HasFinite {
		lo, hi := r.Min, r.Max
		rr.minStep, rr.minWall, rr.minValue = append(rr.minStep, &lo.Step), append(rr.minWall, &lo.Wall), append(rr.minValue, &lo.Value)
		rr.maxStep, rr.maxWall, rr.maxValue = append(rr.maxStep, &hi.Step), append(rr.maxWall, &hi.Wall), append(rr.maxValue, &hi.Value)
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
// rollup.Builder.levels returns them.
func (rr *rollupRows) addLevels(key string, levels [][]rollup.Rollup) {
	for i, level := range levels {
		for j := range level {
			rr.add(key, rollup.Shifts[i], &level[j])
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
	var stored []rollup.Rollup
	err = eachRow(rows, func() error {
		var r rollup.Rollup
		var minStep, minWall, maxStep, maxWall *int64
		var minValue, maxValue *float64
		if err := rows.Scan(&r.Bucket, &r.Count, &r.NaN, &r.PosInf, &r.NegInf,
			&r.First.Step, &r.First.Wall, &r.First.Value, &r.Last.Step, &r.Last.Wall, &r.Last.Value,
			&minStep, &minWall, &minValue, &maxStep, &maxWall, &maxValue); err != nil {
			return err
		}
		if minValue != nil && minStep != nil && minWall != nil && maxValue != nil && maxStep != nil && maxWall != nil {
			r.HasFinite = true
			r.Min = rollup.Point{Step: *minStep, Wall: *minWall, Value: *minValue}
			r.Max = rollup.Point{Step: *maxStep, Wall: *maxWall, Value: *maxValue}
		}
		stored = append(stored, r)
		return nil
	})
	if err != nil || len(stored) == 0 {
		return err
	}
	first, last := stored[0].Bucket, stored[len(stored)-1].Bucket
	n := uint64(last-first) + 1 // at most 2^58
	k := (n + uint64(buckets) - 1) / uint64(buckets)
	if k > math.MaxInt64>>shift {
		// Only when points far outside the planned steps arrived meanwhile.
		if shift+3 > rollup.Shifts[len(rollup.Shifts)-1] {
			return fmt.Errorf("steps %d to %d span too many rollups", first<<shift, last<<shift)
		}
		return d.rollupEnvelope(ctx, env, pk, shift+3, buckets)
	}
	env.Width = int64(k << shift)
	var cur rollup.Rollup
	group := int64(-1)
	for i := range stored {
		g := int64(uint64(stored[i].Bucket-first) / k)
		if g != group && cur.Count > 0 {
			env.Buckets = append(env.Buckets, rollup.EnvelopeBucket(env.Key, (first+group*int64(k))<<shift, &cur))
			cur = rollup.Rollup{}
		}
		group = g
		cur.Merge(&stored[i])
		env.Count += stored[i].Count
	}
	env.Buckets = append(env.Buckets, rollup.EnvelopeBucket(env.Key, (first+group*int64(k))<<shift, &cur))
	return nil
}
