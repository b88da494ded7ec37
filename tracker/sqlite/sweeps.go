package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ganbook/ganbook/tracker"
)

var _ tracker.SweepBackend = (*DB)(nil)

// sweepsVersion is the first schema version with sweeps.
const sweepsVersion = 4

func sweepNotFound(id string) error {
	return fmt.Errorf("%w: no sweep with id %q", tracker.ErrNotFound, id)
}

func trialLost(t tracker.Trial) error {
	return fmt.Errorf("%w: trial %d of sweep %s, attempt %d", tracker.ErrTrialLost, t.Index, t.SweepID, t.Attempt)
}

// sweepPK returns the integer key of a sweep.
func sweepPK(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, id string) (int64, error) {
	var pk int64
	err := q.QueryRowContext(ctx, `SELECT pk FROM sweeps WHERE id = ?`, id).Scan(&pk)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, sweepNotFound(id)
	}
	return pk, err
}

// writeSweep runs f in a write transaction, passing the errors of the sweep
// contract through unclassified.
func (d *DB) writeSweep(ctx context.Context, what string, f func(tx *sql.Tx) error) error {
	var kept error
	err := d.write(ctx, what, func(tx *sql.Tx) error {
		err := f(tx)
		if errors.Is(err, tracker.ErrTrialLost) || errors.Is(err, tracker.ErrSweepExists) {
			kept = err
		}
		return err
	})
	if kept != nil {
		return kept
	}
	return err
}

// CreateSweep implements tracker.SweepBackend.
func (d *DB) CreateSweep(ctx context.Context, s tracker.NewSweep, now time.Time) error {
	return d.writeSweep(ctx, "create sweep", func(tx *sql.Tx) error {
		if _, err := sweepPK(ctx, tx, s.ID); err == nil {
			return fmt.Errorf("%w: %q", tracker.ErrSweepExists, s.ID)
		} else if !errors.Is(err, tracker.ErrNotFound) {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO sweeps (id, spec, created_ms) VALUES (?, ?, ?)`, s.ID, string(s.Spec), ms(now))
		if err != nil {
			return err
		}
		pk, err := res.LastInsertId()
		if err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO sweep_trials (sweep_pk, idx, params, status) VALUES (?, ?, ?, 'PENDING')`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i, p := range s.Trials {
			b, err := json.Marshal(p)
			if err != nil {
				return err
			}
			if _, err := stmt.ExecContext(ctx, pk, i, string(b)); err != nil {
				return err
			}
		}
		return nil
	})
}

const sweepColumns = `s.id, s.spec, s.created_ms,
	(SELECT count(*) FROM sweep_trials WHERE sweep_pk = s.pk),
	(SELECT count(*) FROM sweep_trials WHERE sweep_pk = s.pk AND status = 'PENDING'),
	(SELECT count(*) FROM sweep_trials WHERE sweep_pk = s.pk AND status = 'RUNNING'),
	(SELECT count(*) FROM sweep_trials WHERE sweep_pk = s.pk AND status = 'FINISHED'),
	(SELECT count(*) FROM sweep_trials WHERE sweep_pk = s.pk AND status = 'FAILED')`

func scanSweep(sc scanner) (tracker.Sweep, error) {
	var (
		s                                   tracker.Sweep
		spec                                string
		created                             int64
		pending, running, finished, failedN int
	)
	if err := sc.Scan(&s.ID, &spec, &created, &s.Trials, &pending, &running, &finished, &failedN); err != nil {
		return s, err
	}
	s.Spec, s.Created = json.RawMessage(spec), fromMS(created)
	s.Counts = map[tracker.TrialStatus]int{tracker.TrialPending: pending, tracker.TrialRunning: running, tracker.TrialFinished: finished, tracker.TrialFailed: failedN}
	return s, nil
}

// hasSweeps tells whether the schema has the sweep tables: a read-only
// handle on an older database has none, and so no sweeps.
func (d *DB) hasSweeps() bool { return d.version >= sweepsVersion }

// Sweep implements tracker.SweepBackend.
func (d *DB) Sweep(ctx context.Context, id string) (tracker.Sweep, error) {
	if !d.hasSweeps() {
		return tracker.Sweep{}, sweepNotFound(id)
	}
	s, err := scanSweep(d.db.QueryRowContext(ctx, `SELECT `+sweepColumns+` FROM sweeps s WHERE s.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return s, sweepNotFound(id)
	}
	if err != nil {
		return s, d.classify("read sweep", err)
	}
	return s, nil
}

// Sweeps implements tracker.SweepBackend.
func (d *DB) Sweeps(ctx context.Context) ([]tracker.Sweep, error) {
	if !d.hasSweeps() {
		return nil, nil
	}
	var out []tracker.Sweep
	err := d.each(ctx, `SELECT `+sweepColumns+` FROM sweeps s ORDER BY s.created_ms DESC, s.pk DESC`, func(sc scanner) error {
		s, err := scanSweep(sc)
		out = append(out, s)
		return err
	})
	return out, err
}

const trialColumns = `idx, params, status, run_id, worker, heartbeat_ms, attempt`

func scanTrial(sweepID string, sc scanner) (tracker.Trial, error) {
	t := tracker.Trial{SweepID: sweepID}
	var (
		params    string
		status    string
		heartbeat int64
	)
	if err := sc.Scan(&t.Index, &params, &status, &t.RunID, &t.Worker, &heartbeat, &t.Attempt); err != nil {
		return t, err
	}
	t.Status = tracker.TrialStatus(status)
	if heartbeat != 0 {
		t.Heartbeat = fromMS(heartbeat)
	}
	if err := json.Unmarshal([]byte(params), &t.Params); err != nil {
		return t, fmt.Errorf("trial %d of sweep %s: params: %w", t.Index, sweepID, err)
	}
	return t, nil
}

// Trials implements tracker.SweepBackend.
func (d *DB) Trials(ctx context.Context, sweepID string) ([]tracker.Trial, error) {
	if !d.hasSweeps() {
		return nil, sweepNotFound(sweepID)
	}
	pk, err := sweepPK(ctx, d.db, sweepID)
	if err != nil {
		if errors.Is(err, tracker.ErrNotFound) {
			return nil, err
		}
		return nil, d.classify("find sweep", err)
	}
	var out []tracker.Trial
	err = d.each(ctx, `SELECT `+trialColumns+` FROM sweep_trials WHERE sweep_pk = ? ORDER BY idx`, func(sc scanner) error {
		t, err := scanTrial(sweepID, sc)
		out = append(out, t)
		return err
	}, pk)
	return out, err
}

// ClaimTrial implements tracker.SweepBackend. The write transaction starts
// with BEGIN IMMEDIATE (see Open), which takes the database's write lock,
// so no other process can claim between the choice and the update.
func (d *DB) ClaimTrial(ctx context.Context, sweepID, worker string, now, staleBefore time.Time) (tracker.Trial, bool, error) {
	var (
		t  tracker.Trial
		ok bool
	)
	err := d.writeSweep(ctx, "claim trial", func(tx *sql.Tx) error {
		pk, err := sweepPK(ctx, tx, sweepID)
		if err != nil {
			return err
		}
		t, err = scanTrial(sweepID, tx.QueryRowContext(ctx, `SELECT `+trialColumns+` FROM sweep_trials
			WHERE sweep_pk = ? AND (status = 'PENDING' OR (status = 'RUNNING' AND heartbeat_ms < ?))
			ORDER BY idx LIMIT 1`, pk, ms(staleBefore)))
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if t.Status == tracker.TrialRunning {
			if _, err := tx.ExecContext(ctx, `UPDATE runs SET status = 'KILLED', end_ms = heartbeat_ms, error = ?
				WHERE status = 'RUNNING' AND (id = ? OR pk IN (SELECT s.run_pk FROM tags s JOIN tags n ON n.run_pk = s.run_pk
					WHERE s.key = ? AND s.value = ? AND n.key = ? AND n.value = ?))`,
				tracker.TrialKilledMessage(worker), t.RunID, tracker.SweepTag, sweepID, tracker.TrialTag, strconv.Itoa(t.Index)); err != nil {
				return err
			}
		}
		t.Status, t.Worker, t.Heartbeat, t.RunID, t.Attempt = tracker.TrialRunning, worker, fromMS(ms(now)), "", t.Attempt+1
		if _, err := tx.ExecContext(ctx, `UPDATE sweep_trials SET status = 'RUNNING', worker = ?, heartbeat_ms = ?, run_id = '', attempt = ?
			WHERE sweep_pk = ? AND idx = ?`, worker, ms(now), t.Attempt, pk, t.Index); err != nil {
			return err
		}
		ok = true
		return nil
	})
	if err != nil {
		return tracker.Trial{}, false, err
	}
	return t, ok, nil
}

// updateClaim updates a trial still held by claim t, or fails with
// ErrTrialLost; an unknown sweep gives ErrNotFound.
func (d *DB) updateClaim(ctx context.Context, what string, t tracker.Trial, set string, args ...any) error {
	return d.writeSweep(ctx, what, func(tx *sql.Tx) error {
		pk, err := sweepPK(ctx, tx, t.SweepID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE sweep_trials SET `+set+` WHERE sweep_pk = ? AND idx = ? AND status = 'RUNNING' AND attempt = ?`,
			append(args, pk, t.Index, t.Attempt)...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return trialLost(t)
		}
		return nil
	})
}

// HeartbeatTrial implements tracker.SweepBackend.
func (d *DB) HeartbeatTrial(ctx context.Context, t tracker.Trial, runID string, now time.Time) error {
	return d.updateClaim(ctx, "heartbeat trial", t, `heartbeat_ms = ?, run_id = CASE WHEN ? = '' THEN run_id ELSE ? END`, ms(now), runID, runID)
}

// EndTrial implements tracker.SweepBackend.
func (d *DB) EndTrial(ctx context.Context, t tracker.Trial, status tracker.TrialStatus, runID string, now time.Time) error {
	return d.updateClaim(ctx, "end trial", t, `status = ?, heartbeat_ms = ?, run_id = CASE WHEN ? = '' THEN run_id ELSE ? END`, string(status), ms(now), runID, runID)
}

// RetryTrials implements tracker.SweepBackend.
func (d *DB) RetryTrials(ctx context.Context, sweepID string) (int, error) {
	var n int64
	err := d.writeSweep(ctx, "retry trials", func(tx *sql.Tx) error {
		pk, err := sweepPK(ctx, tx, sweepID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE sweep_trials SET status = 'PENDING' WHERE sweep_pk = ? AND status = 'FAILED'`, pk)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
