package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/ganbook/ganbook/tracker"
)

// rollupShifts are the bucket widths of metric_rollups as powers of two:
// 64, 512, 4096, … 2^57 steps, a factor 8 apart. The finest width keeps the
// rows an append adds to about one for every 56 points (1/64 + 1/512 + …);
// the factor bounds the rows an envelope reads to about 8 per range; the
// coarsest covers any int64 step range in 128 buckets.
var rollupShifts = func() []uint {
	var s []uint
	for shift := uint(6); shift <= 57; shift += 3 {
		s = append(s, shift)
	}
	return s
}()

// rollPoint is one point of a series as a rollup keeps it.
type rollPoint struct {
	step, wall int64 // wall time in ms
	value      float64
}

// rollup summarises the points of one bucket of a series; see
// migrations/0002_metric_rollups.sql.
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

// add folds p into r. Points must come in logging order, or in (step,
// logging order) order: both make r.first the first logged point of lowest
// step, r.last the last logged point of highest step and the extremes the
// first logged of lowest step among equal values.
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
// another range of steps.
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

// rollupBuilder accumulates one series' points into buckets of the finest
// width.
type rollupBuilder struct {
	buckets []rollup
	index   map[int64]int // bucket → position in buckets
	last    int           // position of the last bucket added to
}

func newRollupBuilder() *rollupBuilder {
	return &rollupBuilder{index: map[int64]int{}, last: -1}
}

func (b *rollupBuilder) add(p rollPoint) {
	if math.IsNaN(p.value) {
		p.value = math.NaN() // one NaN, as the metrics table reads back
	}
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

// rollupFormat is the first byte of every encoded summary.
const rollupFormat = 1

// encodeSummary appends the summary blob of r: format byte, flags (bit 0:
// has a finite value), the NaN, +Inf and -Inf counts as uvarints, then the
// first, last and, with a finite value, min and max points, each as step
// and wall time (varints) and the value's bits (8 bytes, little-endian).
func encodeSummary(buf []byte, r *rollup) []byte {
	var flags byte
	if r.hasFinite {
		flags = 1
	}
	buf = append(buf, rollupFormat, flags)
	buf = binary.AppendUvarint(buf, uint64(r.nan))
	buf = binary.AppendUvarint(buf, uint64(r.posInf))
	buf = binary.AppendUvarint(buf, uint64(r.negInf))
	points := []rollPoint{r.first, r.last, r.min, r.max}
	if !r.hasFinite {
		points = points[:2]
	}
	for _, p := range points {
		buf = binary.AppendVarint(buf, p.step)
		buf = binary.AppendVarint(buf, p.wall)
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(p.value))
	}
	return buf
}

var errBadSummary = errors.New("tracker/sqlite: malformed metric_rollups summary")

// decodeSummary reads what encodeSummary wrote into r.
func decodeSummary(b []byte, r *rollup) error {
	if len(b) < 2 || b[0] != rollupFormat || b[1] > 1 {
		return errBadSummary
	}
	r.hasFinite = b[1] == 1
	b = b[2:]
	for _, c := range []*int64{&r.nan, &r.posInf, &r.negInf} {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return errBadSummary
		}
		*c, b = int64(v), b[n:]
	}
	points := []*rollPoint{&r.first, &r.last, &r.min, &r.max}
	if !r.hasFinite {
		points = points[:2]
	}
	for _, p := range points {
		step, n := binary.Varint(b)
		if n <= 0 {
			return errBadSummary
		}
		b = b[n:]
		wall, n := binary.Varint(b)
		if n <= 0 || len(b[n:]) < 8 {
			return errBadSummary
		}
		p.step, p.wall, p.value = step, wall, math.Float64frombits(binary.LittleEndian.Uint64(b[n:]))
		b = b[n+8:]
	}
	if len(b) != 0 {
		return errBadSummary
	}
	return nil
}

// rollupRowsPerStatement is how many rollup rows one INSERT carries.
const rollupRowsPerStatement = 128

// rollupInsertSQL inserts rows rollup rows, replacing stored rows of the
// same buckets: the writer has merged them in already.
func rollupInsertSQL(rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO metric_rollups(run_pk, key, shift, bucket, count, summary) VALUES ")
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?)")
	}
	b.WriteString("\nON CONFLICT(run_pk, key, shift, bucket) DO UPDATE SET count = excluded.count, summary = excluded.summary")
	return b.String()
}

var rollupInsertFull = rollupInsertSQL(rollupRowsPerStatement)

// rollupWriter writes rollup rows in multi-row statements.
type rollupWriter struct {
	tx *sql.Tx
	// merge makes write merge a series' new rollups into the stored ones;
	// the backfill, which writes each series once, does without.
	merge bool
	full  *sql.Stmt
	args  []any
	rows  int
	blobs []byte // the summaries of the pending rows, back to back
}

func newRollupWriter(tx *sql.Tx, merge bool) *rollupWriter {
	return &rollupWriter{tx: tx, merge: merge, args: make([]any, 0, rollupRowsPerStatement*6)}
}

// storedRollupsSQL reads the stored rollups of one series at the (shift,
// bucket) pairs of a JSON array.
const storedRollupsSQL = `SELECT shift, bucket, count, summary FROM metric_rollups
WHERE run_pk = ? AND key = ? AND (shift, bucket) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?))`

// write stores the rollups of a series' points at every level (as
// rollupBuilder.levels returns them), merged into the stored rollups of the
// same buckets, which hold points logged earlier.
func (w *rollupWriter) write(ctx context.Context, pk int64, key string, levels [][]rollup) error {
	if w.merge {
		if err := w.mergeStored(ctx, pk, key, levels); err != nil {
			return err
		}
	}
	for i, level := range levels {
		for j := range level {
			r := &level[j]
			start := len(w.blobs)
			w.blobs = encodeSummary(w.blobs, r)
			w.args = append(w.args, pk, key, int64(rollupShifts[i]), r.bucket, r.count, w.blobs[start:len(w.blobs):len(w.blobs)])
			w.rows++
			if w.rows == rollupRowsPerStatement {
				if err := w.flush(ctx); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// mergeStored replaces each new rollup of levels by the stored rollup of
// its bucket, if any, with the new one merged in.
func (w *rollupWriter) mergeStored(ctx context.Context, pk int64, key string, levels [][]rollup) error {
	var keys []byte // [[shift,bucket],…]
	keys = append(keys, '[')
	index := map[[2]int64]*rollup{}
	for i, level := range levels {
		for j := range level {
			if len(keys) > 1 {
				keys = append(keys, ',')
			}
			keys = fmt.Appendf(keys, "[%d,%d]", rollupShifts[i], level[j].bucket)
			index[[2]int64{int64(rollupShifts[i]), level[j].bucket}] = &level[j]
		}
	}
	keys = append(keys, ']')
	rows, err := w.tx.QueryContext(ctx, storedRollupsSQL, pk, key, string(keys))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var stored rollup
		var shift int64
		var summary sql.RawBytes
		if err := rows.Scan(&shift, &stored.bucket, &stored.count, &summary); err != nil {
			return err
		}
		if err := decodeSummary(summary, &stored); err != nil {
			return err
		}
		fresh := index[[2]int64{shift, stored.bucket}]
		if fresh == nil {
			return fmt.Errorf("tracker/sqlite: read rollup %d/%d that was not asked for", shift, stored.bucket)
		}
		stored.merge(fresh)
		*fresh = stored
	}
	return rows.Err()
}

// flush executes the rows gathered so far.
func (w *rollupWriter) flush(ctx context.Context) error {
	if w.rows == 0 {
		return nil
	}
	var err error
	if w.rows == rollupRowsPerStatement {
		if w.full == nil {
			if w.full, err = w.tx.PrepareContext(ctx, rollupInsertFull); err != nil {
				return err
			}
		}
		_, err = w.full.ExecContext(ctx, w.args...)
	} else {
		_, err = w.tx.ExecContext(ctx, rollupInsertSQL(w.rows), w.args...)
	}
	clear(w.args) // drop key strings for the collector
	w.args, w.rows, w.blobs = w.args[:0], 0, w.blobs[:0]
	return err
}

func (w *rollupWriter) close() {
	if w.full != nil {
		w.full.Close()
	}
}

// backfillRollups fills metric_rollups from the stored points: the Go part
// of migration 2. It finds the series one by one through the
// metrics_series index, reads each in (step, logging order) order and
// inserts its rollups.
func backfillRollups(ctx context.Context, tx *sql.Tx) error {
	next, err := tx.PrepareContext(ctx, `SELECT run_pk, key FROM metrics WHERE (run_pk, key) > (?, ?) ORDER BY run_pk, key LIMIT 1`)
	if err != nil {
		return err
	}
	defer next.Close()
	series, err := tx.PrepareContext(ctx, `SELECT step, wall_ms, value, kind FROM metrics WHERE run_pk = ? AND key = ? ORDER BY step, rowid`)
	if err != nil {
		return err
	}
	defer series.Close()
	w := newRollupWriter(tx, false)
	defer w.close()
	pk, key := int64(math.MinInt64), ""
	for {
		err := next.QueryRowContext(ctx, pk, key).Scan(&pk, &key)
		if errors.Is(err, sql.ErrNoRows) {
			break
		}
		if err != nil {
			return err
		}
		b := newRollupBuilder()
		rows, err := series.QueryContext(ctx, pk, key)
		if err != nil {
			return err
		}
		var (
			step, wall, kind int64
			value            sql.NullFloat64
		)
		for rows.Next() {
			if err := rows.Scan(&step, &wall, &value, &kind); err != nil {
				rows.Close()
				return err
			}
			b.add(rollPoint{step: step, wall: wall, value: decodeValue(value, kind)})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if err := w.write(ctx, pk, key, b.levels()); err != nil {
			return err
		}
	}
	return w.flush(ctx)
}

// rawEnvelopeLimit is the most points of a series that MetricEnvelope
// summarises from the points themselves, in ranges as narrow as the request
// allows, rather than from the rollups, whose ranges are 64 steps or more:
// up to 4 points a bucket, whose envelope would hold them all anyway, or
// 4096, a few milliseconds of reading, so that a short series is drawn at
// full resolution.
func rawEnvelopeLimit(buckets int) int64 { return max(4*int64(buckets), 4096) }

// MetricEnvelope implements tracker.Backend.
func (d *DB) MetricEnvelope(ctx context.Context, runID, key string, buckets int) (tracker.MetricEnvelope, error) {
	env := tracker.MetricEnvelope{Key: key, Buckets: []tracker.EnvelopeBucket{}}
	buckets = max(buckets, tracker.MinEnvelopeBuckets)
	pk, err := runPK(ctx, d.db, runID)
	if err != nil {
		return env, err
	}
	// The plan: how many points and over which steps. The envelope itself is
	// then read in one statement, from one snapshot of the database, and
	// sized by what it reads, so points logged meanwhile do no harm.
	var count, lo, hi sql.NullInt64
	err = d.db.QueryRowContext(ctx, `SELECT
		(SELECT count FROM metric_summary WHERE run_pk = ?1 AND key = ?2),
		(SELECT min(step) FROM metrics WHERE run_pk = ?1 AND key = ?2),
		(SELECT max(step) FROM metrics WHERE run_pk = ?1 AND key = ?2)`, pk, key).Scan(&count, &lo, &hi)
	if err != nil {
		return env, d.classify("read metric envelope", err)
	}
	if !lo.Valid {
		return env, nil
	}
	if !d.rollups || count.Int64 <= rawEnvelopeLimit(buckets) {
		err = d.rawEnvelope(ctx, &env, pk, buckets)
	} else {
		err = d.rollupEnvelope(ctx, &env, pk, envelopeShift(lo.Int64, hi.Int64, buckets), buckets)
	}
	if err != nil {
		return tracker.MetricEnvelope{}, d.classify("read metric envelope", err)
	}
	return env, nil
}

// envelopeShift picks the coarsest rollup width that still divides the
// steps lo…hi into at least the requested number of buckets (the finest
// when none does), so that the envelope reads the fewest rows that give it
// its full resolution: fewer than 8 per requested bucket.
func envelopeShift(lo, hi int64, buckets int) uint {
	shift := rollupShifts[0]
	for _, s := range rollupShifts {
		if hi>>s-lo>>s+1 >= int64(buckets) {
			shift = s
		}
	}
	return shift
}

// rawEnvelope summarises the series from its points, in ranges of
// ceil((hi-lo+1)/buckets) steps starting at its lowest step lo.
func (d *DB) rawEnvelope(ctx context.Context, env *tracker.MetricEnvelope, pk int64, buckets int) error {
	var pts []rollPoint
	err := d.each(ctx, `SELECT step, wall_ms, value, kind FROM metrics WHERE run_pk = ? AND key = ? ORDER BY step, rowid`, func(s scanner) error {
		var step, wall, kind int64
		var v sql.NullFloat64
		if err := s.Scan(&step, &wall, &v, &kind); err != nil {
			return err
		}
		pts = append(pts, rollPoint{step: step, wall: wall, value: decodeValue(v, kind)})
		return nil
	}, pk, env.Key)
	if err != nil || len(pts) == 0 {
		return err
	}
	lo, hi := pts[0].step, pts[len(pts)-1].step
	// In uint64, hi-lo cannot overflow; floor(span/buckets)+1 is
	// ceil((span+1)/buckets), at most 2^62 for buckets >= 4.
	width := (uint64(hi)-uint64(lo))/uint64(buckets) + 1
	env.Width = int64(width)
	var cur rollup
	for _, p := range pts {
		g := int64((uint64(p.step) - uint64(lo)) / width)
		if cur.count > 0 && g != cur.bucket {
			env.Buckets = append(env.Buckets, envelopeBucket(env.Key, lo+cur.bucket*env.Width, &cur))
			cur = rollup{}
		}
		cur.bucket = g
		cur.add(p)
	}
	env.Buckets = append(env.Buckets, envelopeBucket(env.Key, lo+cur.bucket*env.Width, &cur))
	env.Count = int64(len(pts))
	return nil
}

// rollupEnvelope summarises the series from its rollups of width 2^shift,
// merging k consecutive buckets into each range, k as small as keeps the
// ranges within the requested number.
func (d *DB) rollupEnvelope(ctx context.Context, env *tracker.MetricEnvelope, pk int64, shift uint, buckets int) error {
	var rows []rollup
	err := d.each(ctx, `SELECT bucket, count, summary FROM metric_rollups WHERE run_pk = ? AND key = ? AND shift = ? ORDER BY bucket`, func(s scanner) error {
		var r rollup
		var summary sql.RawBytes
		if err := s.Scan(&r.bucket, &r.count, &summary); err != nil {
			return err
		}
		rows = append(rows, r)
		return decodeSummary(summary, &rows[len(rows)-1])
	}, pk, env.Key, int64(shift))
	if err != nil || len(rows) == 0 {
		return err
	}
	first, last := rows[0].bucket, rows[len(rows)-1].bucket
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
	for i := range rows {
		g := int64(uint64(rows[i].bucket-first) / k)
		if g != group && cur.count > 0 {
			env.Buckets = append(env.Buckets, envelopeBucket(env.Key, (first+group*int64(k))<<shift, &cur))
			cur = rollup{}
		}
		group = g
		cur.merge(&rows[i])
		env.Count += rows[i].count
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

// MetricSince implements tracker.Backend.
func (d *DB) MetricSince(ctx context.Context, runID, key string, afterStep int64) ([]tracker.MetricPoint, error) {
	return d.metric(ctx, runID, key, " AND step > ?", afterStep)
}
