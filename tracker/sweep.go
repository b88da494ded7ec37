package tracker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// A sweep is a list of trials, each a setting of params to train once,
// that any number of workers, on any machines sharing the database, work
// through together: a worker claims a trial (ClaimTrial), keeps claiming
// it with heartbeats while it runs it, and ends it (FinishTrial). A trial
// whose worker stops heartbeating for longer than the claimer's staleAfter
// is claimed again by the next worker that asks; the run the dead worker
// had started is then ended KILLED, so that only the new claimer's run can
// finish the trial.
//
// A trial is not a run: its run, once started, is a normal run that the
// worker records with the trial (HeartbeatTrial, FinishTrial).

// TrialStatus is the state of a sweep's trial.
type TrialStatus string

// The trial states. A trial starts PENDING, is RUNNING while claimed and
// ends FINISHED or FAILED; a released trial is PENDING again.
const (
	TrialPending  TrialStatus = "PENDING"
	TrialRunning  TrialStatus = "RUNNING"
	TrialFinished TrialStatus = "FINISHED"
	TrialFailed   TrialStatus = "FAILED"
)

var (
	// ErrTrialLost reports a heartbeat or end of a trial that its caller no
	// longer holds: it was claimed again after the caller's heartbeat went
	// stale, or it has ended. The caller must stop working on it.
	ErrTrialLost = errors.New("tracker: the trial is no longer claimed by this worker")
	// ErrSweepExists reports a new sweep whose id is taken.
	ErrSweepExists = errors.New("tracker: a sweep with this id exists")
	// ErrNoSweeps is returned by the sweep methods of a Store whose backend
	// does not store sweeps.
	ErrNoSweeps = errors.New("tracker: this backend does not store sweeps")
)

// NewSweep is a sweep to store: its id, its spec (JSON, opaque to the
// tracker: what its trials share, for the workers) and its trials' params.
type NewSweep struct {
	ID     string
	Spec   json.RawMessage
	Trials []map[string]string
}

// Sweep is a stored sweep with the number of its trials in each state.
type Sweep struct {
	ID      string              `json:"id"`
	Spec    json.RawMessage     `json:"spec"`
	Created time.Time           `json:"created"`
	Trials  int                 `json:"trials"`
	Counts  map[TrialStatus]int `json:"counts"`
	Status  SweepStatus         `json:"status"`
}

// SweepStatus sums up a sweep's trials: PENDING while none has started,
// RUNNING while any is PENDING or RUNNING after some started, FINISHED
// when all finished, FAILED when all ended and some failed.
type SweepStatus string

// The sweep states.
const (
	SweepPending  SweepStatus = "PENDING"
	SweepRunning  SweepStatus = "RUNNING"
	SweepFinished SweepStatus = "FINISHED"
	SweepFailed   SweepStatus = "FAILED"
)

// SweepStatusOf is the status of a sweep whose trials are in these states.
func SweepStatusOf(counts map[TrialStatus]int) SweepStatus {
	open := counts[TrialPending] + counts[TrialRunning]
	switch {
	case open > 0 && open == counts[TrialPending] && counts[TrialFinished]+counts[TrialFailed] == 0:
		return SweepPending
	case open > 0:
		return SweepRunning
	case counts[TrialFailed] > 0:
		return SweepFailed
	}
	return SweepFinished
}

// Trial is one trial of a sweep.
type Trial struct {
	SweepID string            `json:"sweep_id"`
	Index   int               `json:"index"`
	Params  map[string]string `json:"params"`
	Status  TrialStatus       `json:"status"`
	// RunID is the run of the trial's latest attempt, once its worker has
	// recorded it; empty before.
	RunID string `json:"run_id,omitempty"`
	// Worker names the worker of the latest claim; Heartbeat is that
	// worker's latest heartbeat (zero for a trial never claimed).
	Worker    string    `json:"worker,omitempty"`
	Heartbeat time.Time `json:"heartbeat,omitzero"`
	// Attempt counts the claims of the trial; it identifies a claim, so a
	// worker whose trial was claimed again cannot heartbeat or end it.
	Attempt int `json:"attempt"`
}

// SweepBackend is a Backend that stores sweeps. Its methods take the time
// as now, so that the Store decides staleness the same way for every
// backend; an unknown sweep id gives an error wrapping ErrNotFound.
type SweepBackend interface {
	// CreateSweep stores a sweep and its trials, all PENDING, numbered from
	// 0 in order; an id in use gives ErrSweepExists.
	CreateSweep(ctx context.Context, s NewSweep, now time.Time) error
	// Sweep returns one sweep.
	Sweep(ctx context.Context, id string) (Sweep, error)
	// Sweeps lists the sweeps, newest first.
	Sweeps(ctx context.Context) ([]Sweep, error)
	// Trials lists a sweep's trials by index.
	Trials(ctx context.Context, sweepID string) ([]Trial, error)
	// ClaimTrial atomically claims the PENDING trial, or the RUNNING trial
	// whose heartbeat is older than staleBefore, of lowest index: it becomes
	// RUNNING for worker with heartbeat now, its attempt counter goes up,
	// its run id is cleared, and the run of a RUNNING trial claimed again
	// is ended KILLED if it is still RUNNING. ok is false when no trial can
	// be claimed. Concurrent claims, from any process, never get the same
	// claim.
	ClaimTrial(ctx context.Context, sweepID, worker string, now, staleBefore time.Time) (t Trial, ok bool, err error)
	// HeartbeatTrial sets the heartbeat of a claimed trial to now and, when
	// runID is not empty, records its run; ErrTrialLost unless the trial is
	// RUNNING under the same attempt.
	HeartbeatTrial(ctx context.Context, t Trial, runID string, now time.Time) error
	// EndTrial ends a claim: FINISHED or FAILED ends the trial, PENDING
	// releases it for another claim. runID, when not empty, is recorded.
	// ErrTrialLost unless the trial is RUNNING under the same attempt.
	EndTrial(ctx context.Context, t Trial, status TrialStatus, runID string, now time.Time) error
	// RetryTrials makes a sweep's FAILED trials PENDING again and returns
	// how many.
	RetryTrials(ctx context.Context, sweepID string) (int, error)
}

// sweepIDPattern is what a sweep id may be: it appears in tags, filters
// and file names.
var sweepIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

func (s *Store) sweeps() (SweepBackend, error) {
	sb, ok := s.backend.(SweepBackend)
	if !ok {
		return nil, ErrNoSweeps
	}
	return sb, nil
}

func (s *Store) sweepWriter() (SweepBackend, error) {
	if s.cfg.readOnly {
		return nil, ErrReadOnly
	}
	return s.sweeps()
}

// CreateSweep stores a new sweep with its trials, all PENDING.
func (s *Store) CreateSweep(ctx context.Context, sw NewSweep) error {
	sb, err := s.sweepWriter()
	if err != nil {
		return err
	}
	if !sweepIDPattern.MatchString(sw.ID) {
		return fmt.Errorf("tracker: sweep id %q: want letters, digits, _ . - (at most 64)", sw.ID)
	}
	if len(sw.Spec) == 0 {
		sw.Spec = json.RawMessage("{}")
	}
	if !json.Valid(sw.Spec) {
		return fmt.Errorf("tracker: sweep %s: its spec is not valid JSON", sw.ID)
	}
	if len(sw.Trials) == 0 {
		return fmt.Errorf("tracker: sweep %s has no trials", sw.ID)
	}
	return sb.CreateSweep(ctx, sw, time.Now())
}

// Sweep returns a sweep; an unknown id gives an error wrapping ErrNotFound.
func (s *Store) Sweep(ctx context.Context, id string) (Sweep, error) {
	sb, err := s.sweeps()
	if err != nil {
		return Sweep{}, err
	}
	sw, err := sb.Sweep(ctx, id)
	sw.Status = SweepStatusOf(sw.Counts)
	return sw, err
}

// Sweeps lists the sweeps, newest first.
func (s *Store) Sweeps(ctx context.Context) ([]Sweep, error) {
	sb, err := s.sweeps()
	if err != nil {
		return nil, err
	}
	sweeps, err := sb.Sweeps(ctx)
	for i := range sweeps {
		sweeps[i].Status = SweepStatusOf(sweeps[i].Counts)
	}
	return sweeps, err
}

// Trials lists a sweep's trials by index.
func (s *Store) Trials(ctx context.Context, sweepID string) ([]Trial, error) {
	sb, err := s.sweeps()
	if err != nil {
		return nil, err
	}
	return sb.Trials(ctx, sweepID)
}

// ClaimTrial claims the next trial of a sweep for worker: the PENDING one
// of lowest index, or a RUNNING one whose heartbeat is older than
// staleAfter (its worker is taken for dead, and the run it started is
// ended KILLED). ok is false when there is none to claim now. The worker
// must heartbeat the trial (HeartbeatTrial) well within staleAfter and end
// it with FinishTrial. Heartbeats are stamped with each worker's clock, so
// staleAfter must also exceed the clocks' disagreement.
func (s *Store) ClaimTrial(ctx context.Context, sweepID, worker string, staleAfter time.Duration) (Trial, bool, error) {
	sb, err := s.sweepWriter()
	if err != nil {
		return Trial{}, false, err
	}
	if staleAfter <= 0 {
		return Trial{}, false, fmt.Errorf("tracker: ClaimTrial: staleAfter %v, want a positive duration", staleAfter)
	}
	now := time.Now()
	return sb.ClaimTrial(ctx, sweepID, worker, now, now.Add(-staleAfter))
}

// HeartbeatTrial tells that the worker of a claimed trial is alive and,
// when runID is not empty, records the run it trains the trial in. An error
// wrapping ErrTrialLost means another worker has claimed the trial since
// (this one was taken for dead): stop the trial's work.
func (s *Store) HeartbeatTrial(ctx context.Context, t Trial, runID string) error {
	sb, err := s.sweepWriter()
	if err != nil {
		return err
	}
	return sb.HeartbeatTrial(ctx, t, runID, time.Now())
}

// FinishTrial ends a claimed trial FINISHED or FAILED with its run, or,
// with TrialPending, releases it unfinished (interrupted) for another claim.
// An error wrapping ErrTrialLost means the trial is no longer this claim's.
func (s *Store) FinishTrial(ctx context.Context, t Trial, status TrialStatus, runID string) error {
	sb, err := s.sweepWriter()
	if err != nil {
		return err
	}
	switch status {
	case TrialFinished, TrialFailed, TrialPending:
	default:
		return fmt.Errorf("tracker: FinishTrial: status %q, want FINISHED, FAILED or PENDING", status)
	}
	return sb.EndTrial(ctx, t, status, runID, time.Now())
}

// RetryTrials makes a sweep's FAILED trials PENDING again, to be claimed
// anew, and returns how many.
func (s *Store) RetryTrials(ctx context.Context, sweepID string) (int, error) {
	sb, err := s.sweepWriter()
	if err != nil {
		return 0, err
	}
	return sb.RetryTrials(ctx, sweepID)
}

// SweepTag and TrialTag are the tags of a sweep's trial runs: the sweep's id
// and the trial's index. Claiming a trial again ends every RUNNING run so
// tagged as KILLED, also one whose worker died before it could report the
// run's id.
const (
	SweepTag = "sweep"
	TrialTag = "sweep_trial"
)

// TrialReclaimedPrefix starts the error message of a run ended KILLED
// because its sweep trial was claimed again. Such a run stays KILLED: its
// process, should it be alive after all, can no longer finish it, so a
// trial never has two FINISHED runs.
const TrialReclaimedPrefix = "sweep trial claimed again"

// TrialKilledMessage is the error message of a run ended KILLED because its
// trial was claimed again by worker.
func TrialKilledMessage(worker string) string {
	return TrialReclaimedPrefix + " by worker " + worker + " after this run's worker stopped heartbeating"
}
