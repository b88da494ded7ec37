package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/ganbook/ganbook/tracker"
	"github.com/ganbook/ganbook/tracker/internal/rollup"
)

// rollupFormat is the first byte of every encoded summary.
const rollupFormat = 1

// encodeSummary appends the summary blob of r: format byte, flags (bit 0:
// has a finite value), the NaN, +Inf and -Inf counts as uvarints, then the
// first, last and, with a finite value, min and max points, each as step
// and wall time (varints) and the value's bits (8 bytes, little-endian).
func encodeSummary(buf []byte, r *rollup.Rollup) []byte {
	var flags byte
	if r.HasFinite {
		flags = 1
	}
	buf = append(buf, rollupFormat, flags)
	buf = binary.AppendUvarint(buf, uint64(r.NaN))
	buf = binary.AppendUvarint(buf, uint64(r.PosInf))
	buf = binary.AppendUvarint(buf, uint64(r.NegInf))
	points := []rollup.Point{r.First, r.Last, r.Min, r.Max}
	if !r.HasFinite {
		points = points[:2]
	}
	for _, p := range points {
		buf = binary.AppendVarint(buf, p.Step)
		buf = binary.AppendVarint(buf, p.Wall)
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(p.Value))
	}
	return buf
}

var errBadSummary = errors.New("tracker/sqlite: malformed metric_rollups summary")

// decodeSummary reads what encodeSummary wrote into r.
func decodeSummary(b []byte, r *rollup.Rollup) error {
	if len(b) < 2 || b[0] != rollupFormat || b[1] > 1 {
		return errBadSummary
	}
	r.HasFinite = b[1] == 1
	b = b[2:]
	for _, c := range []*int64{&r.NaN, &r.PosInf, &r.NegInf} {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return errBadSummary
		}
		*c, b = int64(v), b[n:]
	}
	points := []*rollup.Point{&r.First, &r.Last, &r.Min, &r.Max}
	if !r.HasFinite {
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
		p.Step, p.Wall, p.Value = step, wall, math.Float64frombits(binary.LittleEndian.Uint64(b[n:]))
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
// rollup.Builder.levels returns them), merged into the stored rollups of the
// same buckets, which hold points logged earlier.
func (w *rollupWriter) write(ctx context.Context, pk int64, key string, levels [][]rollup.Rollup) error {
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
			w.args = append(w.args, pk, key, int64(rollup.Shifts[i]), r.Bucket, r.Count, w.blobs[start:len(w.blobs):len(w.blobs)])
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
func (w *rollupWriter) mergeStored(ctx context.Context, pk int64, key string, levels [][]rollup.Rollup) error {
	var keys []byte // [[shift,bucket],…]
	keys = append(keys, '[')
	index := map[[2]int64]*rollup.Rollup{}
	for i, level := range levels {
		for j := range level {
			if len(keys) > 1 {
				keys = append(keys, ',')
			}
			keys = fmt.Appendf(keys, "[%d,%d]", rollup.Shifts[i], level[j].Bucket)
			index[[2]int64{int64(rollup.Shifts[i]), level[j].Bucket}] = &level[j]
		}
	}
	keys = append(keys, ']')
	rows, err := w.tx.QueryContext(ctx, storedRollupsSQL, pk, key, string(keys))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var stored rollup.Rollup
		var shift int64
		var summary sql.RawBytes
		if err := rows.Scan(&shift, &stored.Bucket, &stored.Count, &summary); err != nil {
			return err
		}
		if err := decodeSummary(summary, &stored); err != nil {
			return err
		}
		fresh := index[[2]int64{shift, stored.Bucket}]
		if fresh == nil {
			return fmt.Errorf("tracker/sqlite: read rollup %d/%d that was not asked for", shift, stored.Bucket)
		}
		stored.Merge(fresh)
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
		b := rollup.NewBuilder()
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
			b.Add(rollup.Point{Step: step, Wall: wall, Value: decodeValue(value, kind)})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if err := w.write(ctx, pk, key, b.Levels()); err != nil {
			return err
		}
	}
	return w.flush(ctx)
}

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
	if !d.rollups || count.Int64 <= rollup.RawEnvelopeLimit(buckets) {
		err = d.rawEnvelope(ctx, &env, pk, buckets)
	} else {
		err = d.rollupEnvelope(ctx, &env, pk, rollup.EnvelopeShift(lo.Int64, hi.Int64, buckets), buckets)
	}
	if err != nil {
		return tracker.MetricEnvelope{}, d.classify("read metric envelope", err)
	}
	return env, nil
}

// rawEnvelope summarises the series from its points, in ranges of
// ceil((hi-lo+1)/buckets) steps starting at its lowest step lo.
func (d *DB) rawEnvelope(ctx context.Context, env *tracker.MetricEnvelope, pk int64, buckets int) error {
	var pts []rollup.Point
	err := d.each(ctx, `SELECT step, wall_ms, value, kind FROM metrics WHERE run_pk = ? AND key = ? ORDER BY step, rowid`, func(s scanner) error {
		var step, wall, kind int64
		var v sql.NullFloat64
		if err := s.Scan(&step, &wall, &v, &kind); err != nil {
			return err
		}
		pts = append(pts, rollup.Point{Step: step, Wall: wall, Value: decodeValue(v, kind)})
		return nil
	}, pk, env.Key)
	if err != nil || len(pts) == 0 {
		return err
	}
	lo, hi := pts[0].Step, pts[len(pts)-1].Step
	// In uint64, hi-lo cannot overflow; floor(span/buckets)+1 is
	// ceil((span+1)/buckets), at most 2^62 for buckets >= 4.
	width := (uint64(hi)-uint64(lo))/uint64(buckets) + 1
	env.Width = int64(width)
	var cur rollup.Rollup
	for _, p := range pts {
		g := int64((uint64(p.Step) - uint64(lo)) / width)
		if cur.Count > 0 && g != cur.Bucket {
			env.Buckets = append(env.Buckets, rollup.EnvelopeBucket(env.Key, lo+cur.Bucket*env.Width, &cur))
			cur = rollup.Rollup{}
		}
		cur.Bucket = g
		cur.Add(p)
	}
	env.Buckets = append(env.Buckets, rollup.EnvelopeBucket(env.Key, lo+cur.Bucket*env.Width, &cur))
	env.Count = int64(len(pts))
	return nil
}

// rollupEnvelope summarises the series from its rollups of width 2^shift,
// merging k consecutive buckets into each range, k as small as keeps the
// ranges within the requested number.
func (d *DB) rollupEnvelope(ctx context.Context, env *tracker.MetricEnvelope, pk int64, shift uint, buckets int) error {
	var rows []rollup.Rollup
	err := d.each(ctx, `SELECT bucket, count, summary FROM metric_rollups WHERE run_pk = ? AND key = ? AND shift = ? ORDER BY bucket`, func(s scanner) error {
		var r rollup.Rollup
		var summary sql.RawBytes
		if err := s.Scan(&r.Bucket, &r.Count, &summary); err != nil {
			return err
		}
		rows = append(rows, r)
		return decodeSummary(summary, &rows[len(rows)-1])
	}, pk, env.Key, int64(shift))
	if err != nil || len(rows) == 0 {
		return err
	}
	first, last := rows[0].Bucket, rows[len(rows)-1].Bucket
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
	for i := range rows {
		g := int64(uint64(rows[i].Bucket-first) / k)
		if g != group && cur.Count > 0 {
			env.Buckets = append(env.Buckets, rollup.EnvelopeBucket(env.Key, (first+group*int64(k))<<shift, &cur))
			cur = rollup.Rollup{}
		}
		group = g
		cur.Merge(&rows[i])
		env.Count += rows[i].Count
	}
	env.Buckets = append(env.Buckets, rollup.EnvelopeBucket(env.Key, (first+group*int64(k))<<shift, &cur))
	return nil
}

// MetricSince implements tracker.Backend.
func (d *DB) MetricSince(ctx context.Context, runID, key string, afterStep int64) ([]tracker.MetricPoint, error) {
	return d.metric(ctx, runID, key, " AND step > ?", afterStep)
}
