package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ganbook/ganbook/tracker"
	"github.com/ganbook/ganbook/tracker/internal/rollup"
)

// heartbeatLost is the error message of a run found with a stale heartbeat.
const heartbeatLost = "heartbeat lost: the process ended without finishing the run"

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v) }

func notFound(id string) error {
	return fmt.Errorf("%w: no run with id %q", tracker.ErrNotFound, id)
}

// write runs f in a transaction.
func (d *DB) write(ctx context.Context, what string, f func(tx pgx.Tx) error) error {
	if d.readOnly {
		return tracker.ErrReadOnly
	}
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return d.classify(what, err)
	}
	defer tx.Rollback(ctx)
	if err := f(tx); err != nil {
		if errors.Is(err, tracker.ErrNotFound) {
			return err
		}
		return d.classify(what, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return d.classify(what, err)
	}
	return nil
}

// runPK returns the integer key of a run.
func runPK(ctx context.Context, q queryer, id string) (int64, error) {
	var pk int64
	err := q.QueryRow(ctx, `SELECT pk FROM runs WHERE id = $1`, id).Scan(&pk)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, notFound(id)
	}
	return pk, err
}

func (d *DB) runPK(ctx context.Context, id string) (int64, error) {
	pk, err := runPK(ctx, d.pool, id)
	if err != nil && !errors.Is(err, tracker.ErrNotFound) {
		return 0, d.classify("find run", err)
	}
	return pk, err
}

// CreateRun implements tracker.Backend.
func (d *DB) CreateRun(ctx context.Context, r tracker.NewRun) error {
	var record *string
	if r.Record != nil {
		b, err := json.Marshal(r.Record)
		if err != nil {
			return fmt.Errorf("tracker/postgres: encode record: %w", err)
		}
		s := string(b)
		record = &s
	}
	return d.write(ctx, "create run", func(tx pgx.Tx) error {
		now := ms(r.StartTime)
		if _, err := tx.Exec(ctx, `INSERT INTO experiments(name, created_ms) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, r.Experiment, now); err != nil {
			return err
		}
		var pk int64
		err := tx.QueryRow(ctx, `
			INSERT INTO runs(id, experiment_id, name, status, start_ms, heartbeat_ms, heartbeat_timeout_ms, parent_pk, reproduced_from_pk, record)
			VALUES ($1, (SELECT id FROM experiments WHERE name = $2), $3, 'RUNNING', $4, $4, $5,
				(SELECT pk FROM runs WHERE id = $6), (SELECT pk FROM runs WHERE id = $7), $8)
			RETURNING pk`,
			r.ID, r.Experiment, r.Name, now, r.HeartbeatTimeout.Milliseconds(), r.ParentID, r.ReproducedFrom, record).Scan(&pk)
		if err != nil {
			return err
		}
		for _, p := range r.Params {
			if _, err := tx.Exec(ctx, `INSERT INTO params(run_pk, key, value, num) VALUES ($1, $2, $3, $4)`, pk, p.Key, p.Value, p.Number); err != nil {
				return fmt.Errorf("param %q: %w", p.Key, err)
			}
		}
		return writeTags(ctx, tx, pk, r.Tags)
	})
}

func writeTags(ctx context.Context, tx pgx.Tx, pk int64, tags []tracker.Tag) error {
	for _, t := range tags {
		if _, err := tx.Exec(ctx, `INSERT INTO tags(run_pk, key, value) VALUES ($1, $2, $3) ON CONFLICT (run_pk, key) DO UPDATE SET value = excluded.value`, pk, t.Key, t.Value); err != nil {
			return err
		}
	}
	return nil
}

// copyThreshold is the batch size from which points go in by COPY rather
// than by one INSERT of arrays: COPY costs a round trip more, and pays off
// for large batches.
const copyThreshold = 512

// summary is a batch's contribution to the metric_summary row of one key.
type summary struct {
	step, wall          int64
	value               float64
	minValue            float64
	minStep, count      int64
	hasLast, hasMinimum bool
	rollups             *rollup.Builder
}

const upsertSummarySQL = `
INSERT INTO metric_summary AS s (run_pk, key, step, wall_ms, value, min_value, min_step, count)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (run_pk, key) DO UPDATE SET
	value     = CASE WHEN excluded.step >= s.step THEN excluded.value ELSE s.value END,
	wall_ms   = CASE WHEN excluded.step >= s.step THEN excluded.wall_ms ELSE s.wall_ms END,
	step      = greatest(s.step, excluded.step),
	min_step  = CASE WHEN excluded.min_value IS NOT NULL AND (s.min_value IS NULL OR excluded.min_value < s.min_value)
	                 THEN excluded.min_step ELSE s.min_step END,
	min_value = CASE WHEN excluded.min_value IS NOT NULL AND (s.min_value IS NULL OR excluded.min_value < s.min_value)
	                 THEN excluded.min_value ELSE s.min_value END,
	count     = s.count + excluded.count`

// WriteBatch implements tracker.Backend.
func (d *DB) WriteBatch(ctx context.Context, b tracker.Batch) error {
	return d.write(ctx, "write batch", func(tx pgx.Tx) error {
		pk, err := runPK(ctx, tx, b.RunID)
		if err != nil {
			return err
		}
		if !b.Heartbeat.IsZero() {
			// A heartbeat proves the process alive: a run declared KILLED for
			// a stale heartbeat (its process was suspended, say) runs again.
			if _, err := tx.Exec(ctx, `
				UPDATE runs SET heartbeat_ms = greatest(heartbeat_ms, $1), status = 'RUNNING', end_ms = NULL, error = ''
				WHERE pk = $2 AND (status = 'RUNNING' OR (status = 'KILLED' AND error = $3))`,
				ms(b.Heartbeat), pk, heartbeatLost); err != nil {
				return err
			}
		}
		if b.Seq != 0 {
			tag, err := tx.Exec(ctx, `UPDATE runs SET batch_seq = $1 WHERE pk = $2 AND batch_seq < $1`, b.Seq, pk)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return nil // stored already: a retried write
			}
		}
		if err := insertMetrics(ctx, tx, pk, b.Metrics); err != nil {
			return err
		}
		for _, img := range b.Images {
			if _, err := tx.Exec(ctx, `
				INSERT INTO images(run_pk, key, step, wall_ms, png) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (run_pk, key, step) DO UPDATE SET wall_ms = excluded.wall_ms, png = excluded.png`,
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
			if _, err := tx.Exec(ctx, `UPDATE runs SET record = $1 WHERE pk = $2`, string(rec), pk); err != nil {
				return err
			}
		}
		return nil
	})
}

// insertMetrics stores the points, in logging order, and folds them into
// metric_summary with one upsert per key and into the stored rollups of the
// buckets they fall in with one upsert for all.
func insertMetrics(ctx context.Context, tx pgx.Tx, pk int64, points []tracker.MetricPoint) error {
	if len(points) == 0 {
		return nil
	}
	sums := map[string]*summary{}
	var order []string
	keys := make([]string, len(points))
	steps := make([]int64, len(points))
	walls := make([]int64, len(points))
	values := make([]float64, len(points))
	for i, p := range points {
		keys[i], steps[i], walls[i], values[i] = p.Key, p.Step, ms(p.Time), p.Value
		s := sums[p.Key]
		if s == nil {
			s = &summary{rollups: rollup.NewBuilder()}
			sums[p.Key] = s
			order = append(order, p.Key)
		}
		s.count++
		if !s.hasLast || p.Step >= s.step {
			s.step, s.wall, s.value, s.hasLast = p.Step, ms(p.Time), p.Value, true
		}
		if !math.IsNaN(p.Value) && (!s.hasMinimum || p.Value < s.minValue) {
			s.minValue, s.minStep, s.hasMinimum = p.Value, p.Step, true
		}
		s.rollups.Add(rollup.Point{Step: p.Step, Wall: walls[i], Value: p.Value})
	}
	if len(points) >= copyThreshold {
		// COPY assigns seq in row order.
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"metrics"}, []string{"run_pk", "key", "step", "wall_ms", "value"},
			pgx.CopyFromSlice(len(points), func(i int) ([]any, error) {
				return []any{pk, keys[i], steps[i], walls[i], values[i]}, nil
			}))
		if err != nil {
			return err
		}
	} else if _, err := tx.Exec(ctx, `
		INSERT INTO metrics(run_pk, key, step, wall_ms, value)
		SELECT $1, k, s, w, v FROM unnest($2::text[], $3::int8[], $4::int8[], $5::float8[]) WITH ORDINALITY AS u(k, s, w, v, o)
		ORDER BY o`, pk, keys, steps, walls, values); err != nil {
		return err
	}
	batch := &pgx.Batch{}
	for _, key := range order {
		s := sums[key]
		var minValue *float64
		var minStep *int64
		if s.hasMinimum {
			minValue, minStep = &s.minValue, &s.minStep
		}
		batch.Queue(upsertSummarySQL, pk, key, s.step, s.wall, s.value, minValue, minStep, s.count)
	}
	// The batch's rollups, merged into the stored ones.
	var rr rollupRows
	for _, key := range order {
		rr.addLevels(key, sums[key].rollups.Levels())
	}
	rr.queue(batch, pk)
	return tx.SendBatch(ctx, batch).Close()
}

// EndRun implements tracker.Backend.
func (d *DB) EndRun(ctx context.Context, id string, status tracker.RunStatus, message string, end time.Time) error {
	return d.write(ctx, "end run", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE runs SET status = $1, error = $2, end_ms = $3, heartbeat_ms = greatest(heartbeat_ms, $3)
			WHERE id = $4 AND NOT (status = 'KILLED' AND error LIKE $5)`,
			string(status), message, ms(end), id, tracker.TrialReclaimedPrefix+"%")
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			if _, err := runPK(ctx, tx, id); err != nil {
				return err
			}
			return fmt.Errorf("%w: run %s was ended KILLED when its sweep trial was claimed again", tracker.ErrRunEnded, id)
		}
		return nil
	})
}

const staleCondition = `status = 'RUNNING' AND heartbeat_ms + heartbeat_timeout_ms < $1`

// ExpireRuns implements tracker.Backend. It looks before it writes, so that
// queries of a healthy database write nothing.
func (d *DB) ExpireRuns(ctx context.Context, now time.Time) (int, error) {
	var stale bool
	if err := d.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM runs WHERE `+staleCondition+`)`, ms(now)).Scan(&stale); err != nil {
		return 0, d.classify("find stale runs", err)
	}
	if !stale || d.readOnly {
		return 0, nil
	}
	var n int64
	err := d.write(ctx, "expire stale runs", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE runs SET status = 'KILLED', end_ms = heartbeat_ms, error = $2 WHERE `+staleCondition, ms(now), heartbeatLost)
		n = tag.RowsAffected()
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
	rows, err := d.pool.Query(ctx, `SELECT id FROM runs WHERE id >= $1 AND id < $2 ORDER BY id LIMIT 6`, p, p+"g")
	if err != nil {
		return "", d.classify("resolve run id", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", d.classify("resolve run id", err)
	}
	switch {
	case len(ids) == 0:
		return "", fmt.Errorf("%w: no run with id or id prefix %q", tracker.ErrNotFound, idOrPrefix)
	case len(ids) == 1:
		return ids[0], nil
	case ids[0] == p:
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
		var limit *int64
		if q.Limit > 0 {
			l := int64(q.Limit)
			limit = &l
		}
		w.b.WriteString("\nLIMIT ")
		w.arg(limit, "::int8")
		w.b.WriteString(" OFFSET ")
		w.arg(int64(max(q.Offset, 0)), "::int8")
	}
	return d.loadRuns(ctx, q.Now, w.b.String(), w.args...)
}

// Run implements tracker.Backend.
func (d *DB) Run(ctx context.Context, id string, now time.Time) (tracker.RunInfo, error) {
	runs, err := d.loadRuns(ctx, now, runSelect+"\nWHERE r.id = $1", id)
	if err != nil {
		return tracker.RunInfo{}, err
	}
	if len(runs) == 0 {
		return tracker.RunInfo{}, notFound(id)
	}
	return runs[0], nil
}

// loadRuns runs a runSelect query and fills in params, tags and metric
// summaries with one query each, sent together.
func (d *DB) loadRuns(ctx context.Context, now time.Time, query string, args ...any) ([]tracker.RunInfo, error) {
	rows, err := d.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, d.classify("query runs", err)
	}
	var runs []tracker.RunInfo
	var pks []int64
	for rows.Next() {
		var (
			r                   tracker.RunInfo
			pk, start, hb, hbTO int64
			end                 *int64
			status              string
			record              *string
		)
		if err := rows.Scan(&pk, &r.ID, &r.Experiment, &r.Name, &status, &r.Error, &start, &end, &hb, &hbTO, &r.ParentID, &r.ReproducedFrom, &record); err != nil {
			rows.Close()
			return nil, d.classify("query runs", err)
		}
		r.Status = tracker.RunStatus(status)
		r.StartTime, r.Heartbeat, r.HeartbeatTimeout = fromMS(start), fromMS(hb), time.Duration(hbTO)*time.Millisecond
		if end != nil {
			r.EndTime = fromMS(*end)
		}
		if r.Status == tracker.StatusRunning && hb+hbTO < ms(now) {
			// Same verdict as ExpireRuns, for read-only stores and races.
			r.Status, r.EndTime, r.Error = tracker.StatusKilled, fromMS(hb), heartbeatLost
		}
		if record != nil {
			r.Record = new(tracker.ReproRecord)
			if err := json.Unmarshal([]byte(*record), r.Record); err != nil {
				rows.Close()
				return nil, fmt.Errorf("tracker/postgres: run %s: bad record: %w", r.ID, err)
			}
		}
		r.Params, r.Tags, r.Metrics = map[string]string{}, map[string]string{}, map[string]tracker.MetricSummary{}
		runs = append(runs, r)
		pks = append(pks, pk)
	}
	rows.Close()
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
	batch := &pgx.Batch{}
	batch.Queue(`SELECT run_pk, key, value FROM params WHERE run_pk = ANY($1)`, pks).Query(func(rows pgx.Rows) error {
		return eachRow(rows, func() error {
			var pk int64
			var k, v string
			if err := rows.Scan(&pk, &k, &v); err != nil {
				return err
			}
			index[pk].Params[k] = v
			return nil
		})
	})
	batch.Queue(`SELECT run_pk, key, value FROM tags WHERE run_pk = ANY($1)`, pks).Query(func(rows pgx.Rows) error {
		return eachRow(rows, func() error {
			var pk int64
			var k, v string
			if err := rows.Scan(&pk, &k, &v); err != nil {
				return err
			}
			index[pk].Tags[k] = v
			return nil
		})
	})
	batch.Queue(`SELECT run_pk, key, step, wall_ms, value, min_value, min_step, count FROM metric_summary WHERE run_pk = ANY($1)`, pks).Query(func(rows pgx.Rows) error {
		return eachRow(rows, func() error {
			var (
				pk, step, wall, count int64
				minValue              *float64
				minStep               *int64
				m                     tracker.MetricSummary
			)
			if err := rows.Scan(&pk, &m.Key, &step, &wall, &m.Last, &minValue, &minStep, &count); err != nil {
				return err
			}
			m.Count, m.LastStep, m.LastTime = count, step, fromMS(wall)
			m.Min = math.NaN()
			if minValue != nil {
				m.Min, m.MinStep = *minValue, *minStep
			}
			index[pk].Metrics[m.Key] = m
			return nil
		})
	})
	if err := d.pool.SendBatch(ctx, batch).Close(); err != nil {
		return nil, d.classify("query runs", err)
	}
	return runs, nil
}

// eachRow calls f for every row and closes rows.
func eachRow(rows pgx.Rows, f func() error) error {
	defer rows.Close()
	for rows.Next() {
		if err := f(); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Metric implements tracker.Backend.
func (d *DB) Metric(ctx context.Context, runID, key string) ([]tracker.MetricPoint, error) {
	return d.metric(ctx, runID, key, "")
}

// MetricSince implements tracker.Backend.
func (d *DB) MetricSince(ctx context.Context, runID, key string, afterStep int64) ([]tracker.MetricPoint, error) {
	return d.metric(ctx, runID, key, " AND step > $3", afterStep)
}

// metric reads a series, or the part of it that cond (on step, with its
// arguments args from $3) selects.
func (d *DB) metric(ctx context.Context, runID, key, cond string, args ...any) ([]tracker.MetricPoint, error) {
	pk, err := d.runPK(ctx, runID)
	if err != nil {
		return nil, err
	}
	return d.points(ctx, pk, key, cond, args...)
}

// points reads the points of the series of run pk and key that cond
// selects, ordered by step, then logging order.
func (d *DB) points(ctx context.Context, pk int64, key, cond string, args ...any) ([]tracker.MetricPoint, error) {
	points := []tracker.MetricPoint{}
	rows, err := d.pool.Query(ctx, `SELECT step, wall_ms, value FROM metrics WHERE run_pk = $1 AND key = $2`+cond+` ORDER BY step, seq`, append([]any{pk, key}, args...)...)
	if err != nil {
		return nil, d.classify("read metric", err)
	}
	err = eachRow(rows, func() error {
		var wall int64
		p := tracker.MetricPoint{Key: key}
		if err := rows.Scan(&p.Step, &wall, &p.Value); err != nil {
			return err
		}
		p.Time = fromMS(wall)
		points = append(points, p)
		return nil
	})
	if err != nil {
		return nil, d.classify("read metric", err)
	}
	return points, nil
}

// Images implements tracker.Backend.
func (d *DB) Images(ctx context.Context, runID string) ([]tracker.ImageInfo, error) {
	pk, err := d.runPK(ctx, runID)
	if err != nil {
		return nil, err
	}
	images := []tracker.ImageInfo{}
	rows, err := d.pool.Query(ctx, `SELECT key, step, wall_ms, octet_length(png) FROM images WHERE run_pk = $1 ORDER BY key, step`, pk)
	if err != nil {
		return nil, d.classify("list images", err)
	}
	err = eachRow(rows, func() error {
		var img tracker.ImageInfo
		var wall int64
		var size int32
		if err := rows.Scan(&img.Key, &img.Step, &wall, &size); err != nil {
			return err
		}
		img.Time, img.Size = fromMS(wall), int(size)
		images = append(images, img)
		return nil
	})
	if err != nil {
		return nil, d.classify("list images", err)
	}
	return images, nil
}

// Image implements tracker.Backend.
func (d *DB) Image(ctx context.Context, runID, key string, step int64) (tracker.Image, error) {
	pk, err := d.runPK(ctx, runID)
	if err != nil {
		return tracker.Image{}, err
	}
	img := tracker.Image{ImageInfo: tracker.ImageInfo{Key: key, Step: step}}
	var wall int64
	err = d.pool.QueryRow(ctx, `SELECT wall_ms, png FROM images WHERE run_pk = $1 AND key = $2 AND step = $3`, pk, key, step).Scan(&wall, &img.PNG)
	if errors.Is(err, pgx.ErrNoRows) {
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
	rows, err := d.pool.Query(ctx, `SELECT e.name, e.created_ms, count(r.pk) FROM experiments e LEFT JOIN runs r ON r.experiment_id = e.id GROUP BY e.id ORDER BY e.name`)
	if err != nil {
		return nil, d.classify("list experiments", err)
	}
	err = eachRow(rows, func() error {
		var e tracker.Experiment
		var created, n int64
		if err := rows.Scan(&e.Name, &created, &n); err != nil {
			return err
		}
		e.Created, e.RunCount = fromMS(created), int(n)
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, d.classify("list experiments", err)
	}
	return out, nil
}

// DeleteRun implements tracker.Backend.
func (d *DB) DeleteRun(ctx context.Context, runID string) error {
	return d.write(ctx, "delete run", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM runs WHERE id = $1`, runID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFound(runID)
		}
		return nil
	})
}
