package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/ganbook/ganbook/tracker"
	"github.com/ganbook/ganbook/tracker/internal/rollup"
)

var _ tracker.Backend = (*DB)(nil)

// heartbeatLost is the error message of a run found with a stale heartbeat.
const heartbeatLost = "heartbeat lost: the process ended without finishing the run"

// Value kinds of the metrics.kind column.
const (
	kindFinite = 0
	kindNaN    = 1
	kindPosInf = 2
	kindNegInf = 3
	// kindNegZero exists because SQLite stores an integral REAL as an
	// integer, which has no negative zero.
	kindNegZero = 4
)

// encodeValue splits a float64 into what the value and kind columns hold.
func encodeValue(v float64) (any, int64) {
	switch {
	case math.IsNaN(v):
		return nil, kindNaN
	case math.IsInf(v, 1):
		return v, kindPosInf
	case math.IsInf(v, -1):
		return v, kindNegInf
	case v == 0 && math.Signbit(v):
		return v, kindNegZero
	}
	return v, kindFinite
}

// decodeValue is the inverse of encodeValue.
func decodeValue(v sql.NullFloat64, kind int64) float64 {
	switch kind {
	case kindNaN:
		return math.NaN()
	case kindPosInf:
		return math.Inf(1)
	case kindNegInf:
		return math.Inf(-1)
	case kindNegZero:
		return math.Copysign(0, -1)
	}
	return v.Float64
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v) }

// write runs f in a write transaction.
func (d *DB) write(ctx context.Context, what string, f func(tx *sql.Tx) error) error {
	if d.readOnly {
		return tracker.ErrReadOnly
	}
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return d.classify(what, err)
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		if errors.Is(err, tracker.ErrNotFound) {
			return err
		}
		return d.classify(what, err)
	}
	if err := tx.Commit(); err != nil {
		return d.classify(what, err)
	}
	return nil
}

func notFound(id string) error {
	return fmt.Errorf("%w: no run with id %q", tracker.ErrNotFound, id)
}

// runPK returns the integer key of a run.
func runPK(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, id string) (int64, error) {
	var pk int64
	err := q.QueryRowContext(ctx, `SELECT pk FROM runs WHERE id = ?`, id).Scan(&pk)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, notFound(id)
	}
	return pk, err
}

// CreateRun implements tracker.Backend.
func (d *DB) CreateRun(ctx context.Context, r tracker.NewRun) error {
	var record any
	if r.Record != nil {
		b, err := json.Marshal(r.Record)
		if err != nil {
			return fmt.Errorf("tracker/sqlite: encode record: %w", err)
		}
		record = string(b)
	}
	return d.write(ctx, "create run", func(tx *sql.Tx) error {
		now := ms(r.StartTime)
		if _, err := tx.ExecContext(ctx, `INSERT INTO experiments(name, created_ms) VALUES (?, ?) ON CONFLICT(name) DO NOTHING`, r.Experiment, now); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `
			INSERT INTO runs(id, experiment_id, name, status, start_ms, heartbeat_ms, heartbeat_timeout_ms, parent_pk, reproduced_from_pk, record)
			VALUES (?, (SELECT id FROM experiments WHERE name = ?), ?, 'RUNNING', ?, ?, ?,
				(SELECT pk FROM runs WHERE id = ?), (SELECT pk FROM runs WHERE id = ?), ?)`,
			r.ID, r.Experiment, r.Name, now, now, r.HeartbeatTimeout.Milliseconds(), r.ParentID, r.ReproducedFrom, record)
		if err != nil {
			return err
		}
		pk, err := res.LastInsertId()
		if err != nil {
			return err
		}
		for _, p := range r.Params {
			var num any
			if p.Number != nil {
				num = *p.Number
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO params(run_pk, key, value, num) VALUES (?, ?, ?, ?)`, pk, p.Key, p.Value, num); err != nil {
				return fmt.Errorf("param %q: %w", p.Key, err)
			}
		}
		return writeTags(ctx, tx, pk, r.Tags)
	})
}

func writeTags(ctx context.Context, tx *sql.Tx, pk int64, tags []tracker.Tag) error {
	for _, t := range tags {
		if _, err := tx.ExecContext(ctx, `INSERT INTO tags(run_pk, key, value) VALUES (?, ?, ?) ON CONFLICT(run_pk, key) DO UPDATE SET value = excluded.value`, pk, t.Key, t.Value); err != nil {
			return err
		}
	}
	return nil
}

// rowsPerInsert is how many metric rows one INSERT statement carries: fewer
// statement executions, each crossing into C once, for the same rows.
const rowsPerInsert = 128

const metricColumns = 6

func insertMetricsSQL(rows int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO metrics(run_pk, key, step, wall_ms, value, kind) VALUES `)
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?)")
	}
	return b.String()
}

var insertMetricsFull = insertMetricsSQL(rowsPerInsert)

// summary is a batch's contribution to the metric_summary row of one key.
type summary struct {
	step, wall          int64
	value               float64
	minValue            float64 // NaN until a non-NaN value is seen
	minStep, count      int64
	hasLast, hasMinimum bool
	rollups             *rollup.Builder
}

const upsertSummarySQL = `
INSERT INTO metric_summary(run_pk, key, step, wall_ms, value, kind, min_value, min_step, count)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(run_pk, key) DO UPDATE SET
	value     = CASE WHEN excluded.step >= metric_summary.step THEN excluded.value ELSE metric_summary.value END,
	kind      = CASE WHEN excluded.step >= metric_summary.step THEN excluded.kind ELSE metric_summary.kind END,
	wall_ms   = CASE WHEN excluded.step >= metric_summary.step THEN excluded.wall_ms ELSE metric_summary.wall_ms END,
	step      = max(metric_summary.step, excluded.step),
	min_step  = CASE WHEN excluded.min_value IS NOT NULL AND (metric_summary.min_value IS NULL OR excluded.min_value < metric_summary.min_value)
	                 THEN excluded.min_step ELSE metric_summary.min_step END,
	min_value = CASE WHEN excluded.min_value IS NOT NULL AND (metric_summary.min_value IS NULL OR excluded.min_value < metric_summary.min_value)
	                 THEN excluded.min_value ELSE metric_summary.min_value END,
	count     = metric_summary.count + excluded.count`

// WriteBatch implements tracker.Backend.
func (d *DB) WriteBatch(ctx context.Context, b tracker.Batch) error {
	return d.write(ctx, "write batch", func(tx *sql.Tx) error {
		pk, err := runPK(ctx, tx, b.RunID)
		if err != nil {
			return err
		}
		if !b.Heartbeat.IsZero() {
			// A heartbeat proves the process alive: a run declared KILLED for
			// a stale heartbeat (its process was suspended, say) runs again.
			if _, err := tx.ExecContext(ctx, `
				UPDATE runs SET heartbeat_ms = max(heartbeat_ms, ?), status = 'RUNNING', end_ms = NULL, error = ''
				WHERE pk = ? AND (status = 'RUNNING' OR (status = 'KILLED' AND error = ?))`,
				ms(b.Heartbeat), pk, heartbeatLost); err != nil {
				return err
			}
		}
		if b.Seq != 0 {
			res, err := tx.ExecContext(ctx, `UPDATE runs SET batch_seq = ? WHERE pk = ? AND batch_seq < ?`, b.Seq, pk, b.Seq)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				return err // stored already: a retried write
			}
		}
		if err := insertMetrics(ctx, tx, pk, b.Metrics); err != nil {
			return err
		}
		for _, img := range b.Images {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO images(run_pk, key, step, wall_ms, png) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT(run_pk, key, step) DO UPDATE SET wall_ms = excluded.wall_ms, png = excluded.png`,
				pk, img.Key, img.Step, ms(img.Time), img.PNG); err != nil {
				return err
			}
		}
		if err := writeTags(ctx, tx, pk, b.Tags); err != nil {
			return err
		}
		if b.Record != nil {
			rec, err := json.Marshal(b.Record)
			if err != nil {
				return fmt.Errorf("encode record: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE runs SET record = ? WHERE pk = ?`, string(rec), pk); err != nil {
				return err
			}
		}
		return nil
	})
}

// insertMetrics inserts the points in multi-row statements and folds them
// into metric_summary, one upsert per key, and into the stored rollups of
// the buckets they fall in.
func insertMetrics(ctx context.Context, tx *sql.Tx, pk int64, points []tracker.MetricPoint) error {
	if len(points) == 0 {
		return nil
	}
	sums := map[string]*summary{}
	var order []string // keys in first-seen order, for a deterministic upsert order
	var s *summary
	var lastKey string
	args := make([]any, 0, rowsPerInsert*metricColumns)
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	for start := 0; start < len(points); start += rowsPerInsert {
		chunk := points[start:min(start+rowsPerInsert, len(points))]
		args = args[:0]
		for _, p := range chunk {
			v, kind := encodeValue(p.Value)
			args = append(args, pk, p.Key, p.Step, ms(p.Time), v, kind)
			if p.Key != lastKey || s == nil { // points often come in runs of one key
				if s = sums[p.Key]; s == nil {
					s = &summary{minValue: math.NaN(), rollups: rollup.NewBuilder()}
					sums[p.Key] = s
					order = append(order, p.Key)
				}
				lastKey = p.Key
			}
			s.count++
			if !s.hasLast || p.Step >= s.step {
				s.step, s.wall, s.value, s.hasLast = p.Step, ms(p.Time), p.Value, true
			}
			if !math.IsNaN(p.Value) && (!s.hasMinimum || p.Value < s.minValue) {
				s.minValue, s.minStep, s.hasMinimum = p.Value, p.Step, true
			}
			s.rollups.Add(rollup.Point{Step: p.Step, Wall: ms(p.Time), Value: p.Value})
		}
		var err error
		if len(chunk) == rowsPerInsert {
			if full == nil {
				if full, err = tx.PrepareContext(ctx, insertMetricsFull); err != nil {
					return err
				}
			}
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, insertMetricsSQL(len(chunk)), args...)
		}
		if err != nil {
			return err
		}
	}
	up, err := tx.PrepareContext(ctx, upsertSummarySQL)
	if err != nil {
		return err
	}
	defer up.Close()
	for _, key := range order {
		s := sums[key]
		v, kind := encodeValue(s.value)
		var minValue, minStep any
		if s.hasMinimum {
			minValue, minStep = s.minValue, s.minStep
		}
		if _, err := up.ExecContext(ctx, pk, key, s.step, s.wall, v, kind, minValue, minStep, s.count); err != nil {
			return err
		}
	}
	// The rollups of the batch's points, merged into the stored ones.
	w := newRollupWriter(tx, true)
	defer w.close()
	for _, key := range order {
		if err := w.write(ctx, pk, key, sums[key].rollups.Levels()); err != nil {
			return err
		}
	}
	return w.flush(ctx)
}

// EndRun implements tracker.Backend.
func (d *DB) EndRun(ctx context.Context, id string, status tracker.RunStatus, message string, end time.Time) error {
	return d.write(ctx, "end run", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE runs SET status = ?, error = ?, end_ms = ?, heartbeat_ms = max(heartbeat_ms, ?)
			WHERE id = ? AND NOT (status = 'KILLED' AND error LIKE ?)`,
			string(status), message, ms(end), ms(end), id, tracker.TrialReclaimedPrefix+"%")
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			if _, err := runPK(ctx, tx, id); err != nil {
				return err
			}
			return fmt.Errorf("%w: run %s was ended KILLED when its sweep trial was claimed again", tracker.ErrRunEnded, id)
		}
		return err
	})
}

const staleCondition = `status = 'RUNNING' AND heartbeat_ms + heartbeat_timeout_ms < ?`

// ExpireRuns implements tracker.Backend. It looks before it writes, so that
// queries of a healthy database take no write lock.
func (d *DB) ExpireRuns(ctx context.Context, now time.Time) (int, error) {
	var stale bool
	if err := d.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM runs WHERE `+staleCondition+`)`, ms(now)).Scan(&stale); err != nil {
		return 0, d.classify("find stale runs", err)
	}
	if !stale || d.readOnly {
		return 0, nil
	}
	var n int64
	err := d.write(ctx, "expire stale runs", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE runs SET status = 'KILLED', end_ms = heartbeat_ms, error = ? WHERE `+staleCondition, heartbeatLost, ms(now))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// ResolveID implements tracker.Backend. Ids are lowercase hexadecimal, so
// the runs starting with a prefix are those in [prefix, prefix+"g").
func (d *DB) ResolveID(ctx context.Context, idOrPrefix string) (string, error) {
	p := strings.ToLower(strings.TrimSpace(idOrPrefix))
	if p == "" {
		return "", fmt.Errorf("%w: empty run id", tracker.ErrNotFound)
	}
	for _, c := range p {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", fmt.Errorf("%w: %q is not a run id (run ids are hexadecimal)", tracker.ErrNotFound, idOrPrefix)
		}
	}
	rows, err := d.db.QueryContext(ctx, `SELECT id FROM runs WHERE id >= ? AND id < ? ORDER BY id LIMIT 6`, p, p+"g")
	if err != nil {
		return "", d.classify("resolve run id", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return "", err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	switch {
	case len(ids) == 0:
		return "", fmt.Errorf("%w: no run with id or id prefix %q", tracker.ErrNotFound, idOrPrefix)
	case len(ids) == 1:
		return ids[0], nil
	case ids[0] == p: // a full id that is also a prefix of nothing else
		return ids[0], nil
	}
	more := ""
	if len(ids) > 5 {
		ids, more = ids[:5], ", ..."
	}
	return "", fmt.Errorf("%w: %q matches several runs: %s%s", tracker.ErrAmbiguous, idOrPrefix, strings.Join(ids, ", "), more)
}

// runSelect reads runs with their experiment and linked run ids; the
// caller appends WHERE, ORDER BY and LIMIT.
const runSelect = `
SELECT r.pk, r.id, e.name, r.name, r.status, r.error, r.start_ms, r.end_ms, r.heartbeat_ms,
       r.heartbeat_timeout_ms, coalesce(pr.id, ''), coalesce(rf.id, ''), r.record
FROM runs r
JOIN experiments e ON e.id = r.experiment_id
LEFT JOIN runs pr ON pr.pk = r.parent_pk
LEFT JOIN runs rf ON rf.pk = r.reproduced_from_pk`

// Runs implements tracker.Backend.
func (d *DB) Runs(ctx context.Context, q tracker.BackendQuery) ([]tracker.RunInfo, error) {
	w := sqlWriter{now: ms(q.Now)}
	w.b.WriteString(runSelect)
	if q.Filter != nil {
		w.b.WriteString("\nWHERE ")
		w.expr(q.Filter.Root)
	}
	w.b.WriteString("\nORDER BY ")
	for _, t := range q.Order {
		w.order(t)
		w.b.WriteString(", ")
	}
	w.b.WriteString("r.start_ms DESC, r.pk DESC")
	if q.Limit > 0 || q.Offset > 0 {
		limit := int64(q.Limit)
		if limit <= 0 {
			limit = -1
		}
		w.b.WriteString("\nLIMIT ? OFFSET ?")
		w.args = append(w.args, limit, int64(max(q.Offset, 0)))
	}
	return d.loadRuns(ctx, q.Now, w.b.String(), w.args...)
}

// Run implements tracker.Backend.
func (d *DB) Run(ctx context.Context, id string, now time.Time) (tracker.RunInfo, error) {
	runs, err := d.loadRuns(ctx, now, runSelect+"\nWHERE r.id = ?", id)
	if err != nil {
		return tracker.RunInfo{}, err
	}
	if len(runs) == 0 {
		return tracker.RunInfo{}, notFound(id)
	}
	return runs[0], nil
}

// loadRuns runs a runSelect query and fills in params, tags and metric
// summaries with one query each.
func (d *DB) loadRuns(ctx context.Context, now time.Time, query string, args ...any) ([]tracker.RunInfo, error) {
	rows, err := d.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, d.classify("query runs", err)
	}
	defer rows.Close()
	var runs []tracker.RunInfo
	var pks []int64
	for rows.Next() {
		var (
			r                   tracker.RunInfo
			pk, start, hb, hbTO int64
			end                 sql.NullInt64
			status              string
			record              sql.NullString
		)
		if err := rows.Scan(&pk, &r.ID, &r.Experiment, &r.Name, &status, &r.Error, &start, &end, &hb, &hbTO, &r.ParentID, &r.ReproducedFrom, &record); err != nil {
			return nil, err
		}
		r.Status = tracker.RunStatus(status)
		r.StartTime, r.Heartbeat, r.HeartbeatTimeout = fromMS(start), fromMS(hb), time.Duration(hbTO)*time.Millisecond
		if end.Valid {
			r.EndTime = fromMS(end.Int64)
		}
		if r.Status == tracker.StatusRunning && hb+hbTO < ms(now) {
			// Same verdict as ExpireRuns, for read-only stores and races.
			r.Status, r.EndTime, r.Error = tracker.StatusKilled, fromMS(hb), heartbeatLost
		}
		if record.Valid {
			r.Record = new(tracker.ReproRecord)
			if err := json.Unmarshal([]byte(record.String), r.Record); err != nil {
				return nil, fmt.Errorf("tracker/sqlite: run %s: bad record: %w", r.ID, err)
			}
		}
		r.Params, r.Tags, r.Metrics = map[string]string{}, map[string]string{}, map[string]tracker.MetricSummary{}
		runs = append(runs, r)
		pks = append(pks, pk)
	}
	if err := rows.Err(); err != nil {
		return nil, d.classify("query runs", err)
	}
	if len(runs) == 0 {
		return runs, nil
	}
	index := make(map[int64]*tracker.RunInfo, len(runs))
	for i, pk := range pks {
		index[pk] = &runs[i]
	}
	pkList, _ := json.Marshal(pks)
	// json_each binds the whole key list as one parameter.
	const inRuns = ` WHERE run_pk IN (SELECT value FROM json_each(?))`
	if err := d.each(ctx, `SELECT run_pk, key, value FROM params`+inRuns, func(s scanner) error {
		var pk int64
		var k, v string
		if err := s.Scan(&pk, &k, &v); err != nil {
			return err
		}
		index[pk].Params[k] = v
		return nil
	}, string(pkList)); err != nil {
		return nil, err
	}
	if err := d.each(ctx, `SELECT run_pk, key, value FROM tags`+inRuns, func(s scanner) error {
		var pk int64
		var k, v string
		if err := s.Scan(&pk, &k, &v); err != nil {
			return err
		}
		index[pk].Tags[k] = v
		return nil
	}, string(pkList)); err != nil {
		return nil, err
	}
	if err := d.each(ctx, `SELECT run_pk, key, step, wall_ms, value, kind, min_value, min_step, count FROM metric_summary`+inRuns, func(s scanner) error {
		var (
			pk, step, wall, kind, count int64
			value, minValue             sql.NullFloat64
			minStep                     sql.NullInt64
			m                           tracker.MetricSummary
		)
		if err := s.Scan(&pk, &m.Key, &step, &wall, &value, &kind, &minValue, &minStep, &count); err != nil {
			return err
		}
		m.Count, m.LastStep, m.LastTime, m.Last = count, step, fromMS(wall), decodeValue(value, kind)
		m.Min, m.MinStep = math.NaN(), minStep.Int64
		if minValue.Valid {
			m.Min = minValue.Float64
		}
		index[pk].Metrics[m.Key] = m
		return nil
	}, string(pkList)); err != nil {
		return nil, err
	}
	return runs, nil
}

type scanner interface{ Scan(dest ...any) error }

// each calls f for every row of a query.
func (d *DB) each(ctx context.Context, query string, f func(scanner) error, args ...any) error {
	rows, err := d.db.QueryContext(ctx, query, args...)
	if err != nil {
		return d.classify("query", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := f(rows); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return d.classify("query", err)
	}
	return nil
}

// Metric implements tracker.Backend.
func (d *DB) Metric(ctx context.Context, runID, key string) ([]tracker.MetricPoint, error) {
	return d.metric(ctx, runID, key, "")
}

// metric reads a series, or the part of it that the condition cond (on
// step, with its arguments args) selects.
func (d *DB) metric(ctx context.Context, runID, key, cond string, args ...any) ([]tracker.MetricPoint, error) {
	pk, err := runPK(ctx, d.db, runID)
	if err != nil {
		return nil, err
	}
	points := []tracker.MetricPoint{}
	err = d.each(ctx, `SELECT step, wall_ms, value, kind FROM metrics WHERE run_pk = ? AND key = ?`+cond+` ORDER BY step, rowid`, func(s scanner) error {
		var step, wall, kind int64
		var v sql.NullFloat64
		if err := s.Scan(&step, &wall, &v, &kind); err != nil {
			return err
		}
		points = append(points, tracker.MetricPoint{Key: key, Step: step, Time: fromMS(wall), Value: decodeValue(v, kind)})
		return nil
	}, append([]any{pk, key}, args...)...)
	return points, err
}

// Images implements tracker.Backend.
func (d *DB) Images(ctx context.Context, runID string) ([]tracker.ImageInfo, error) {
	pk, err := runPK(ctx, d.db, runID)
	if err != nil {
		return nil, err
	}
	images := []tracker.ImageInfo{}
	err = d.each(ctx, `SELECT key, step, wall_ms, length(png) FROM images WHERE run_pk = ? ORDER BY key, step`, func(s scanner) error {
		var img tracker.ImageInfo
		var wall int64
		if err := s.Scan(&img.Key, &img.Step, &wall, &img.Size); err != nil {
			return err
		}
		img.Time = fromMS(wall)
		images = append(images, img)
		return nil
	}, pk)
	return images, err
}

// Image implements tracker.Backend.
func (d *DB) Image(ctx context.Context, runID, key string, step int64) (tracker.Image, error) {
	pk, err := runPK(ctx, d.db, runID)
	if err != nil {
		return tracker.Image{}, err
	}
	img := tracker.Image{ImageInfo: tracker.ImageInfo{Key: key, Step: step}}
	var wall int64
	err = d.db.QueryRowContext(ctx, `SELECT wall_ms, png FROM images WHERE run_pk = ? AND key = ? AND step = ?`, pk, key, step).Scan(&wall, &img.PNG)
	if errors.Is(err, sql.ErrNoRows) {
		return tracker.Image{}, fmt.Errorf("%w: run %s has no image %q at step %d", tracker.ErrNotFound, runID, key, step)
	}
	if err != nil {
		return tracker.Image{}, d.classify("read image", err)
	}
	img.Time, img.Size = fromMS(wall), len(img.PNG)
	return img, nil
}

// Experiments implements tracker.Backend.
func (d *DB) Experiments(ctx context.Context) ([]tracker.Experiment, error) {
	out := []tracker.Experiment{}
	err := d.each(ctx, `SELECT e.name, e.created_ms, count(r.pk) FROM experiments e LEFT JOIN runs r ON r.experiment_id = e.id GROUP BY e.id ORDER BY e.name`, func(s scanner) error {
		var e tracker.Experiment
		var created int64
		if err := s.Scan(&e.Name, &created, &e.RunCount); err != nil {
			return err
		}
		e.Created = fromMS(created)
		out = append(out, e)
		return nil
	})
	return out, err
}

// IntegrityCheck runs SQLite's integrity and foreign key checks and returns
// an error listing any problem found.
func (d *DB) IntegrityCheck(ctx context.Context) error {
	var problems []string
	if err := d.each(ctx, `PRAGMA integrity_check`, func(s scanner) error {
		var line string
		if err := s.Scan(&line); err != nil {
			return err
		}
		if line != "ok" {
			problems = append(problems, line)
		}
		return nil
	}); err != nil {
		return err
	}
	if err := d.each(ctx, `PRAGMA foreign_key_check`, func(s scanner) error {
		var table, parent string
		var rowid sql.NullInt64
		var fk int64
		if err := s.Scan(&table, &rowid, &parent, &fk); err != nil {
			return err
		}
		problems = append(problems, fmt.Sprintf("%s row %d: no %s row for foreign key %d", table, rowid.Int64, parent, fk))
		return nil
	}); err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("tracker/sqlite: %s fails its integrity check: %s", d.path, strings.Join(problems, "; "))
	}
	return nil
}

// DeleteRun implements tracker.Backend.
func (d *DB) DeleteRun(ctx context.Context, runID string) error {
	return d.write(ctx, "delete run", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM runs WHERE id = ?`, runID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return notFound(runID)
		}
		return err
	})
}
