package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

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
func sweepPK(ctx context.Context, q queryer, id string) (int64, error) {
	var pk int64
	err := q.QueryRow(ctx, `SELECT pk FROM sweeps WHERE id = $1`, id).Scan(&pk)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, sweepNotFound(id)
	}
	return pk, err
}

// hasSweeps tells whether the schema has the sweep tables: a read-only
// handle on an older database has none, and so no sweeps.
func (d *DB) hasSweeps() bool { return d.schemaVersion >= sweepsVersion }

// writeSweep runs f in a transaction, passing the errors of the sweep
// contract through unclassified.
func (d *DB) writeSweep(ctx context.Context, what string, f func(tx pgx.Tx) error) error {
	var kept error
	err := d.write(ctx, what, func(tx pgx.Tx) error {
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
	return d.writeSweep(ctx, "create sweep", func(tx pgx.Tx) error {
		var pk int64
		err := tx.QueryRow(ctx, `INSERT INTO sweeps (id, spec, created_ms) VALUES ($1, $2, $3) RETURNING pk`, s.ID, string(s.Spec), ms(now)).Scan(&pk)
		if pe := (*pgconn.PgError)(nil); errors.As(err, &pe) && pe.Code == "23505" { // unique_violation
			return fmt.Errorf("%w: %q", tracker.ErrSweepExists, s.ID)
		}
		if err != nil {
			return err
		}
		var b pgx.Batch
		for i, p := range s.Trials {
			params, err := json.Marshal(p)
			if err != nil {
				return err
			}
			b.Queue(`INSERT INTO sweep_trials (sweep_pk, idx, params, status) VALUES ($1, $2, $3, 'PENDING')`, pk, i, string(params))
		}
		return tx.SendBatch(ctx, &b).Close()
	})
}

const sweepColumns = `s.id, s.spec, s.created_ms,
	(SELECT count(*) FROM sweep_trials WHERE sweep_pk = s.pk),
	(SELECT count(*) FROM sweep_trials WHERE sweep_pk = s.pk AND status = 'PENDING'),
	(SELECT count(*) FROM sweep_trials WHERE sweep_pk = s.pk AND status = 'RUNNING'),
	(SELECT count(*) FROM sweep_trials WHERE sweep_pk = s.pk AND status = 'FINISHED'),
	(SELECT count(*) FROM sweep_trials WHERE sweep_pk = s.pk AND status = 'FAILED')`

func scanSweep(row pgx.Row) (tracker.Sweep, error) {
	var (
		s                                        tracker.Sweep
		spec                                     string
		created                                  int64
		total, pending, running, finished, faild int64
	)
	if err := row.Scan(&s.ID, &spec, &created, &total, &pending, &running, &finished, &faild); err != nil {
		return s, err
	}
	s.Spec, s.Created, s.Trials = json.RawMessage(spec), fromMS(created), int(total)
	s.Counts = map[tracker.TrialStatus]int{tracker.TrialPending: int(pending), tracker.TrialRunning: int(running), tracker.TrialFinished: int(finished), tracker.TrialFailed: int(faild)}
	return s, nil
}

// Sweep implements tracker.SweepBackend.
func (d *DB) Sweep(ctx context.Context, id string) (tracker.Sweep, error) {
	if !d.hasSweeps() {
		return tracker.Sweep{}, sweepNotFound(id)
	}
	s, err := scanSweep(d.pool.QueryRow(ctx, `SELECT `+sweepColumns+` FROM sweeps s WHERE s.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
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
	rows, err := d.pool.Query(ctx, `SELECT `+sweepColumns+` FROM sweeps s ORDER BY s.created_ms DESC, s.pk DESC`)
	if err != nil {
		return nil, d.classify("list sweeps", err)
	}
	var out []tracker.Sweep
	err = eachRow(rows, func() error {
		s, err := scanSweep(rows)
		out = append(out, s)
		return err
	})
	if err != nil {
		return nil, d.classify("list sweeps", err)
	}
	return out, nil
}

const trialColumns = `idx, params, status, run_id, worker, heartbeat_ms, attempt`

func scanTrial(sweepID string, row pgx.Row) (tracker.Trial, error) {
	t := tracker.Trial{SweepID: sweepID}
	var (
		idx, attempt int32
		params       string
		status       string
		heartbeat    int64
	)
	if err := row.Scan(&idx, &params, &status, &t.RunID, &t.Worker, &heartbeat, &attempt); err != nil {
		return t, err
	}
	t.Index, t.Attempt, t.Status = int(idx), int(attempt), tracker.TrialStatus(status)
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
	pk, err := sweepPK(ctx, d.pool, sweepID)
	if errors.Is(err, tracker.ErrNotFound) {
		return nil, err
	}
	if err != nil {
		return nil, d.classify("find sweep", err)
	}
	rows, err := d.pool.Query(ctx, `SELECT `+trialColumns+` FROM sweep_trials WHERE sweep_pk = $1 ORDER BY idx`, pk)
	if err != nil {
		return nil, d.classify("list trials", err)
	}
	var out []tracker.Trial
	err = eachRow(rows, func() error {
		t, err := scanTrial(sweepID, rows)
		out = append(out, t)
		return err
	})
	if err != nil {
		return nil, d.classify("list trials", err)
	}
	return out, nil
}

// ClaimTrial implements tracker.SweepBackend with the database's row locks:
// SELECT … FOR UPDATE SKIP LOCKED locks the chosen trial's row until the
// transaction ends and makes concurrent claimers pass over it to the next,
// so no two claim the same trial and none waits for another.
func (d *DB) ClaimTrial(ctx context.Context, sweepID, worker string, now, staleBefore time.Time) (tracker.Trial, bool, error) {
	var (
		t  tracker.Trial
		ok bool
	)
	err := d.writeSweep(ctx, "claim trial", func(tx pgx.Tx) error {
		pk, err := sweepPK(ctx, tx, sweepID)
		if err != nil {
			return err
		}
		t, err = scanTrial(sweepID, tx.QueryRow(ctx, `SELECT `+trialColumns+` FROM sweep_trials
			WHERE sweep_pk = $1 AND (status = 'PENDING' OR (status = 'RUNNING' AND heartbeat_ms < $2))
			ORDER BY idx LIMIT 1 FOR UPDATE SKIP LOCKED`, pk, ms(staleBefore)))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if t.Status == tracker.TrialRunning {
			if _, err := tx.Exec(ctx, `UPDATE runs SET status = 'KILLED', end_ms = heartbeat_ms, error = $1
				WHERE status = 'RUNNING' AND (id = $2 OR pk IN (SELECT s.run_pk FROM tags s JOIN tags n ON n.run_pk = s.run_pk
					WHERE s.key = $3 AND s.value = $4 AND n.key = $5 AND n.value = $6))`,
				tracker.TrialKilledMessage(worker), t.RunID, tracker.SweepTag, sweepID, tracker.TrialTag, strconv.Itoa(t.Index)); err != nil {
				return err
			}
		}
		t.Status, t.Worker, t.Heartbeat, t.RunID, t.Attempt = tracker.TrialRunning, worker, fromMS(ms(now)), "", t.Attempt+1
		if _, err := tx.Exec(ctx, `UPDATE sweep_trials SET status = 'RUNNING', worker = $1, heartbeat_ms = $2, run_id = '', attempt = $3
			WHERE sweep_pk = $4 AND idx = $5`, worker, ms(now), t.Attempt, pk, t.Index); err != nil {
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
// ErrTrialLost; an unknown sweep gives ErrNotFound. $1… are args, then
// the sweep, index and attempt.
func (d *DB) updateClaim(ctx context.Context, what string, t tracker.Trial, set string, args ...any) error {
	return d.writeSweep(ctx, what, func(tx pgx.Tx) error {
		pk, err := sweepPK(ctx, tx, t.SweepID)
		if err != nil {
			return err
		}
		n := len(args)
		tag, err := tx.Exec(ctx, fmt.Sprintf(`UPDATE sweep_trials SET %s WHERE sweep_pk = $%d AND idx = $%d AND status = 'RUNNING' AND attempt = $%d`, set, n+1, n+2, n+3),
			append(args, pk, t.Index, t.Attempt)...)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return trialLost(t)
		}
		return nil
	})
}

// HeartbeatTrial implements tracker.SweepBackend.
func (d *DB) HeartbeatTrial(ctx context.Context, t tracker.Trial, runID string, now time.Time) error {
	return d.updateClaim(ctx, "heartbeat trial", t, `heartbeat_ms = $1, run_id = CASE WHEN $2::text = '' THEN run_id ELSE $2::text END`, ms(now), runID)
}

// EndTrial implements tracker.SweepBackend.
func (d *DB) EndTrial(ctx context.Context, t tracker.Trial, status tracker.TrialStatus, runID string, now time.Time) error {
	return d.updateClaim(ctx, "end trial", t, `status = $1, heartbeat_ms = $2, run_id = CASE WHEN $3::text = '' THEN run_id ELSE $3::text END`, string(status), ms(now), runID)
}

// RetryTrials implements tracker.SweepBackend.
func (d *DB) RetryTrials(ctx context.Context, sweepID string) (int, error) {
	var n int64
	err := d.writeSweep(ctx, "retry trials", func(tx pgx.Tx) error {
		pk, err := sweepPK(ctx, tx, sweepID)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE sweep_trials SET status = 'PENDING' WHERE sweep_pk = $1 AND status = 'FAILED'`, pk)
		n = tag.RowsAffected()
		return err
	})
	return int(n), err
}
