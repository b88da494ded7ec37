package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ganbook/ganbook/tracker"
)

// defaultStaleAfter is how long a trial's worker may go without a heartbeat
// before another worker takes the trial over: a run's heartbeat timeout.
const defaultStaleAfter = tracker.DefaultHeartbeatTimeout

// seedParam is the trial param holding the trial's seed in the tracker.
const seedParam = "seed"

// newSweep is the sweep as the tracker stores it: the spec without the
// database (a worker uses its own --db) and trial list, and each trial's
// params with its seed.
func (spec sweepSpec) newSweep() tracker.NewSweep {
	shared := spec
	shared.DB, shared.Trials = "", nil
	b, _ := json.Marshal(shared) // strings, numbers and a time: cannot fail
	sw := tracker.NewSweep{ID: spec.ID, Spec: b}
	for _, t := range spec.Trials {
		p := maps.Clone(t.Params)
		if p == nil {
			p = map[string]string{}
		}
		p[seedParam] = strconv.FormatInt(t.Seed, 10)
		sw.Trials = append(sw.Trials, p)
	}
	return sw
}

// specFromTracker reads a stored sweep's spec (without DB and trials).
func specFromTracker(sw tracker.Sweep) (sweepSpec, error) {
	var spec sweepSpec
	if err := json.Unmarshal(sw.Spec, &spec); err != nil {
		return spec, fmt.Errorf("sweep %s: its stored spec: %w", sw.ID, err)
	}
	spec.ID = sw.ID
	return spec, nil
}

// trialOf is a stored trial as the train flags need it.
func trialOf(t tracker.Trial) sweepTrial {
	st := sweepTrial{Index: t.Index, Params: maps.Clone(t.Params)}
	if st.Params == nil {
		st.Params = map[string]string{}
	}
	if v, ok := st.Params[seedParam]; ok {
		st.Seed, _ = strconv.ParseInt(v, 10, 64)
		delete(st.Params, seedParam)
	}
	return st
}

// workerName names this process among a sweep's workers.
func workerName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}

type workOptions struct {
	worker string // this process's name; slots add /N
	slots  int    // trials run at once
	// poll keeps the worker waiting while trials are RUNNING elsewhere, to
	// take over those whose worker dies, until every trial has ended.
	poll       bool
	staleAfter time.Duration
}

// workSweep claims and runs the sweep's trials, opts.slots at a time, until
// none is left to claim (with opts.poll, until every trial has ended) or ctx
// ends. It returns the failed trials' descriptions; the error is for the
// database failing, not a trial.
func workSweep(ctx context.Context, stdout io.Writer, store *tracker.Store, dir string, spec sweepSpec, opts workOptions) ([]string, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("--dir: %w", err)
	}
	var (
		mu     sync.Mutex
		failed []string
		errs   []error
		wg     sync.WaitGroup
	)
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(stdout, format, args...)
	}
	w := trialWorker{store: store, exe: exe, dir: dir, spec: spec, opts: opts, say: say}
	for slot := range max(opts.slots, 1) {
		name := opts.worker
		if opts.slots > 1 {
			name = fmt.Sprintf("%s/%d", name, slot)
		}
		wg.Go(func() {
			failures, err := w.loop(ctx, name)
			mu.Lock()
			defer mu.Unlock()
			failed = append(failed, failures...)
			if err != nil && ctx.Err() == nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	return failed, errors.Join(errs...)
}

type trialWorker struct {
	store *tracker.Store
	exe   string
	dir   string
	spec  sweepSpec
	opts  workOptions
	say   func(format string, args ...any)
}

// loop is one slot of a worker: claim, run, end, until nothing is left.
func (w trialWorker) loop(ctx context.Context, name string) ([]string, error) {
	var failed []string
	for ctx.Err() == nil {
		t, ok, err := w.store.ClaimTrial(ctx, w.spec.ID, name, w.opts.staleAfter)
		if err != nil {
			return failed, err
		}
		if !ok {
			if !w.opts.poll {
				return failed, nil
			}
			sw, err := w.store.Sweep(ctx, w.spec.ID)
			if err != nil {
				return failed, err
			}
			if sw.Counts[tracker.TrialPending]+sw.Counts[tracker.TrialRunning] == 0 {
				return failed, nil
			}
			select {
			case <-ctx.Done():
			case <-time.After(min(w.opts.staleAfter/4, 5*time.Second)):
			}
			continue
		}
		failure, err := w.run(ctx, name, t)
		if failure != "" {
			failed = append(failed, failure)
		}
		if err != nil {
			return failed, err
		}
	}
	return failed, nil
}

// run runs one claimed trial, heartbeating it, and ends the claim. A trial
// that a run of the sweep has FINISHED already (its worker died before it
// could end the trial) is ended with that run, not run again.
func (w trialWorker) run(ctx context.Context, name string, t tracker.Trial) (failure string, err error) {
	st := trialOf(t)
	label := st.label()
	w.say("worker %s claimed trial %d (attempt %d) [%s]\n", name, t.Index, t.Attempt, label)
	done, err := finishedRun(ctx, w.store, w.spec.ID, t.Index)
	if err != nil {
		return "", err
	}
	if done != "" {
		w.say("trial %d [%s] had FINISHED already as run %s\n", t.Index, label, done)
		return "", w.end(t, label, tracker.TrialFinished, done)
	}

	trialCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		lost  atomic.Bool
		runID atomic.Value
		beats sync.Mutex
	)
	runID.Store("")
	beat := func() {
		beats.Lock()
		defer beats.Unlock()
		// A failed heartbeat (database unreachable) is retried at the next;
		// only a lost claim stops the trial.
		if err := w.store.HeartbeatTrial(trialCtx, t, runID.Load().(string)); errors.Is(err, tracker.ErrTrialLost) {
			lost.Store(true)
			cancel()
		}
	}
	beatsDone := make(chan struct{})
	go func() {
		defer close(beatsDone)
		tick := time.NewTicker(w.opts.staleAfter / 5)
		defer tick.Stop()
		for {
			select {
			case <-trialCtx.Done():
				return
			case <-tick.C:
				beat()
			}
		}
	}()
	id, err := runTrial(trialCtx, w.exe, w.dir, w.spec, st, func(id string) {
		runID.Store(id)
		beat()
	})
	cancel()
	<-beatsDone
	switch {
	case lost.Load():
		w.say("trial %d [%s] was claimed by another worker, this one taken for dead: stopped\n", t.Index, label)
		return "", nil
	case err == nil:
		return "", w.end(t, label, tracker.TrialFinished, id)
	case ctx.Err() != nil:
		w.say("trial %d [%s] interrupted\n", t.Index, label)
		return "", w.end(t, label, tracker.TrialPending, id)
	}
	w.say("trial %d [%s] failed: %v\n", t.Index, label, err)
	return fmt.Sprintf("trial %d [%s]: %v (log %s)", t.Index, label, err, trialLog(w.dir, st)), w.end(t, label, tracker.TrialFailed, id)
}

// end ends a claim in the tracker; a claim lost meanwhile is reported, not
// an error.
func (w trialWorker) end(t tracker.Trial, label string, status tracker.TrialStatus, runID string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := w.store.FinishTrial(ctx, t, status, runID)
	if errors.Is(err, tracker.ErrTrialLost) {
		w.say("trial %d [%s] was claimed by another worker meanwhile: left to it\n", t.Index, label)
		return nil
	}
	if err != nil {
		return err
	}
	if status == tracker.TrialFinished {
		progress := ""
		if sw, err := w.store.Sweep(ctx, t.SweepID); err == nil {
			progress = fmt.Sprintf(" (%d/%d)", sw.Counts[tracker.TrialFinished], sw.Trials)
		}
		w.say("trial %d [%s] FINISHED as run %s%s\n", t.Index, label, runID, progress)
	}
	return nil
}

// finishedRun is the id of a FINISHED run of the sweep's trial; empty when
// there is none.
func finishedRun(ctx context.Context, store *tracker.Store, sweepID string, index int) (string, error) {
	runs, err := store.Runs(ctx, tracker.RunQuery{Filter: fmt.Sprintf("tags.%s = '%s' and tags.%s = '%d' and status = 'FINISHED'",
		sweepTag, sweepID, trialTag, index)})
	if err != nil || len(runs) == 0 {
		return "", err
	}
	return runs[0].ID, nil
}

// absDB makes a --db file path absolute: trials run in other directories.
func absDB(db string) (string, error) {
	if strings.Contains(db, "://") {
		return db, nil
	}
	return filepath.Abs(db)
}

func newSweepCreateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "create --set PARAM=V1,V2 ... [--seeds 1-5] [train flags]",
		Short: "Store a sweep in the tracker without running it, for workers to claim (ganbook sweep work)",
		Long: `Store a sweep, defined as for ` + "`ganbook sweep`" + `, in the tracker database
without running any trial. Run ` + "`ganbook sweep work ID --db DB`" + ` on each machine
that should train its trials; on a PostgreSQL database they share the work.`,
		Args: cobra.NoArgs,
	}
	sf := addSpecFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		spec, err := sf.spec(cmd.Flags())
		if err != nil {
			return err
		}
		store, err := openStore(spec.DB)
		if err != nil {
			return err
		}
		defer store.Close()
		if err := store.CreateSweep(cmd.Context(), spec.newSweep()); err != nil {
			return fmt.Errorf("store the sweep: %w", err)
		}
		db := tracker.RedactURL(spec.DB)
		fmt.Fprintf(cmd.OutOrStdout(), "sweep %s: %d trials stored in %s\nwork it, on each machine, with: ganbook sweep work %s --db %s\n",
			spec.ID, len(spec.Trials), db, spec.ID, db)
		return nil
	}
	return cmd
}

func newSweepWorkCommand() *cobra.Command {
	var (
		dir        string
		poll       bool
		parallel   int
		staleAfter time.Duration
	)
	cmd := &cobra.Command{
		Use:   "work SWEEP",
		Short: "Claim and run a stored sweep's trials, alongside any other workers of the same database",
		Long: `Work a sweep stored in the tracker (by ganbook sweep or sweep create): claim a
trial, train it as a ` + "`ganbook train`" + ` process writing to DIR/trial-NNN, end it,
and claim the next, until no trial is left to claim. Any number of workers, on
any machines sharing a PostgreSQL database, work one sweep together: the
database's row locks give each trial to one worker at a time.

A worker heartbeats its trial; a trial whose worker goes without one for
--stale-after is claimed again by another worker, and the run the dead worker
had started is ended KILLED (its process, were it alive after all, can no
longer finish it), so no trial runs twice to completion. The new attempt
continues from the trial's checkpoint when this machine's DIR has one (the same
machine, or a shared file system), and otherwise starts over. A FINISHED trial
is never run again; a FAILED one only after ganbook sweep --resume.

With --poll a worker that finds nothing to claim waits while trials run
elsewhere, to take over those whose worker dies, and exits when every trial has
ended. Ctrl-C interrupts the running trials (checkpoint saved, run KILLED) and
gives them back to the sweep.`,
		Args: cobra.ExactArgs(1),
	}
	db := dbFlag(cmd)
	fl := cmd.Flags()
	fl.StringVar(&dir, "dir", "", "directory for trial outputs and logs on this machine (default runs/sweep-ID)")
	fl.BoolVar(&poll, "poll", false, "wait while trials run elsewhere, taking over those whose worker dies, until every trial has ended")
	fl.IntVar(&parallel, "parallel", 1, "trials run at once by this worker, each in its own process")
	fl.DurationVar(&staleAfter, "stale-after", defaultStaleAfter, "take over a trial whose worker has not heartbeated for this long")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		id := args[0]
		if parallel < 1 {
			return fmt.Errorf("--parallel %d: want at least 1", parallel)
		}
		if staleAfter < time.Second {
			return fmt.Errorf("--stale-after %v: want at least 1s", staleAfter)
		}
		location, err := absDB(*db)
		if err != nil {
			return err
		}
		return withStore(location, false, func(store *tracker.Store) error {
			ctx := cmd.Context()
			stdout := cmd.OutOrStdout()
			sw, err := store.Sweep(ctx, id)
			if errors.Is(err, tracker.ErrNotFound) {
				return fmt.Errorf("no sweep %q in %s (ganbook sweep show --db %s lists them)", id, tracker.RedactURL(location), tracker.RedactURL(location))
			}
			if err != nil {
				return err
			}
			spec, err := specFromTracker(sw)
			if err != nil {
				return err
			}
			spec.DB = location
			if dir == "" {
				dir = filepath.Join("runs", "sweep-"+id)
			}
			name := workerName()
			fmt.Fprintf(stdout, "worker %s: sweep %s, %d trials: %d finished, %d pending, %d running, %d failed; outputs in %s\n", name, id, sw.Trials,
				sw.Counts[tracker.TrialFinished], sw.Counts[tracker.TrialPending], sw.Counts[tracker.TrialRunning], sw.Counts[tracker.TrialFailed], dir)
			ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
			defer stop()
			failed, err := workSweep(ctx, stdout, store, dir, spec, workOptions{worker: name, slots: parallel, poll: poll, staleAfter: staleAfter})
			if err != nil {
				return err
			}
			if sw, err = store.Sweep(context.Background(), id); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "sweep %s: %d/%d trials finished, %d running, %d pending, %d failed\n", id, sw.Counts[tracker.TrialFinished], sw.Trials,
				sw.Counts[tracker.TrialRunning], sw.Counts[tracker.TrialPending], sw.Counts[tracker.TrialFailed])
			if ctx.Err() != nil {
				return &exitError{code: 130, err: errors.New("interrupted")}
			}
			if len(failed) > 0 {
				return fmt.Errorf("%d trials failed:\n  %s", len(failed), strings.Join(failed, "\n  "))
			}
			return nil
		})
	}
	return cmd
}

func newSweepShowCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show [SWEEP]",
		Short: "List the stored sweeps, or one sweep's trials with their status, worker and run",
		Args:  cobra.MaximumNArgs(1),
	}
	db := dbFlag(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return withStore(*db, true, func(store *tracker.Store) error {
			ctx, out := cmd.Context(), cmd.OutOrStdout()
			if len(args) == 0 {
				sweeps, err := store.Sweeps(ctx)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(out, sweeps)
				}
				return printSweeps(out, sweeps)
			}
			sw, err := store.Sweep(ctx, args[0])
			if err != nil {
				return err
			}
			trials, err := store.Trials(ctx, args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(out, struct {
					tracker.Sweep
					TrialList []tracker.Trial `json:"trial_list"`
				}{sw, trials})
			}
			return printTrials(out, sw, trials)
		})
	}
	return cmd
}

func printSweeps(w io.Writer, sweeps []tracker.Sweep) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SWEEP\tSTATUS\tTRIALS\tFINISHED\tRUNNING\tPENDING\tFAILED\tCREATED")
	for _, s := range sweeps {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\n", s.ID, s.Status, s.Trials, s.Counts[tracker.TrialFinished], s.Counts[tracker.TrialRunning],
			s.Counts[tracker.TrialPending], s.Counts[tracker.TrialFailed], s.Created.Local().Format("2006-01-02 15:04"))
	}
	return tw.Flush()
}

func printTrials(w io.Writer, sw tracker.Sweep, trials []tracker.Trial) error {
	fmt.Fprintf(w, "sweep %s: %s, %d trials: %d finished, %d running, %d pending, %d failed\n", sw.ID, sw.Status, sw.Trials,
		sw.Counts[tracker.TrialFinished], sw.Counts[tracker.TrialRunning], sw.Counts[tracker.TrialPending], sw.Counts[tracker.TrialFailed])
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TRIAL\tSTATUS\tATTEMPTS\tWORKER\tRUN\tHEARTBEAT\tPARAMS")
	for _, t := range trials {
		run, beat := "-", "-"
		if t.RunID != "" {
			run = t.RunID[:min(8, len(t.RunID))]
		}
		if !t.Heartbeat.IsZero() {
			beat = time.Since(t.Heartbeat).Round(time.Second).String() + " ago"
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%s\n", t.Index, t.Status, t.Attempt, orDash(t.Worker), run, beat, trialOf(t).label())
	}
	return tw.Flush()
}
