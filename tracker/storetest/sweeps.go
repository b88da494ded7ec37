package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ganbook/ganbook/tracker"
)

// newSweep stores a sweep of n trials with params {"i": index, "lr": …}.
func newSweep(t *testing.T, s *tracker.Store, id string, n int) {
	t.Helper()
	sw := tracker.NewSweep{ID: id, Spec: []byte(`{"train_args":["--steps=3"],"note":"é"}`)}
	for i := range n {
		sw.Trials = append(sw.Trials, map[string]string{"i": fmt.Sprint(i), "lr": fmt.Sprintf("%ge-4", float64(i+1))})
	}
	if err := s.CreateSweep(context.Background(), sw); err != nil {
		t.Fatal(err)
	}
}

// A sweep stores its spec and trials as given; trials are claimed in index
// order, each once, until none is left; unknown sweeps and taken ids are
// errors.
func testSweepClaimOrder(t *testing.T, tg Target) {
	ctx := context.Background()
	s, _ := tg.open(t)
	newSweep(t, s, "first", 2)
	newSweep(t, s, "sw-1", 4)
	sw, err := s.Sweep(ctx, "sw-1")
	if err != nil {
		t.Fatal(err)
	}
	if sw.ID != "sw-1" || string(sw.Spec) != `{"train_args":["--steps=3"],"note":"é"}` || sw.Trials != 4 ||
		sw.Counts[tracker.TrialPending] != 4 || sw.Status != tracker.SweepPending || time.Since(sw.Created) > time.Minute {
		t.Errorf("Sweep: %+v (spec %s)", sw, sw.Spec)
	}
	sweeps, err := s.Sweeps(ctx)
	if err != nil || len(sweeps) != 2 || sweeps[0].ID != "sw-1" || sweeps[1].ID != "first" || sweeps[1].Trials != 2 {
		t.Errorf("Sweeps: %+v, %v; want sw-1 then first", sweeps, err)
	}
	trials, err := s.Trials(ctx, "sw-1")
	if err != nil || len(trials) != 4 {
		t.Fatalf("Trials: %+v, %v", trials, err)
	}
	for i, tr := range trials {
		want := map[string]string{"i": fmt.Sprint(i), "lr": fmt.Sprintf("%ge-4", float64(i+1))}
		if tr.SweepID != "sw-1" || tr.Index != i || !maps.Equal(tr.Params, want) || tr.Status != tracker.TrialPending ||
			tr.Attempt != 0 || tr.Worker != "" || !tr.Heartbeat.IsZero() || tr.RunID != "" {
			t.Errorf("trial %d: %+v", i, tr)
		}
	}
	for i := range 4 {
		tr, ok, err := s.ClaimTrial(ctx, "sw-1", fmt.Sprintf("w%d", i), time.Hour)
		if err != nil || !ok || tr.Index != i || tr.Status != tracker.TrialRunning || tr.Attempt != 1 || tr.Worker != fmt.Sprintf("w%d", i) || tr.Params["i"] != fmt.Sprint(i) {
			t.Fatalf("claim %d: %+v, %v, %v", i, tr, ok, err)
		}
	}
	if tr, ok, err := s.ClaimTrial(ctx, "sw-1", "late", time.Hour); ok || err != nil {
		t.Errorf("claim of a sweep with every trial claimed: %+v, %v, %v; want none", tr, ok, err)
	}
	trials, _ = s.Trials(ctx, "sw-1")
	for i, tr := range trials {
		if tr.Status != tracker.TrialRunning || tr.Worker != fmt.Sprintf("w%d", i) || time.Since(tr.Heartbeat) > time.Minute {
			t.Errorf("claimed trial %d reads %+v", i, tr)
		}
	}
	if sw, _ := s.Sweep(ctx, "sw-1"); sw.Counts[tracker.TrialRunning] != 4 || sw.Status != tracker.SweepRunning {
		t.Errorf("sweep with every trial claimed: %+v", sw)
	}
	// The other sweep's trials are untouched.
	if tr, ok, err := s.ClaimTrial(ctx, "first", "w", time.Hour); !ok || err != nil || tr.Index != 0 || tr.SweepID != "first" {
		t.Errorf("claim in the other sweep: %+v, %v, %v", tr, ok, err)
	}

	if err := s.CreateSweep(ctx, tracker.NewSweep{ID: "sw-1", Trials: []map[string]string{{}}}); !errors.Is(err, tracker.ErrSweepExists) {
		t.Errorf("CreateSweep of a taken id: %v; want ErrSweepExists", err)
	}
	for _, bad := range []tracker.NewSweep{
		{ID: "", Trials: []map[string]string{{}}},
		{ID: "has space", Trials: []map[string]string{{}}},
		{ID: "no-trials"},
		{ID: "bad-spec", Spec: []byte("{"), Trials: []map[string]string{{}}},
	} {
		if err := s.CreateSweep(ctx, bad); err == nil {
			t.Errorf("CreateSweep(%+v) accepted", bad)
		}
	}
	unknown := tracker.Trial{SweepID: "nope", Index: 0, Attempt: 1}
	for name, err := range map[string]error{
		"Sweep":          func() error { _, err := s.Sweep(ctx, "nope"); return err }(),
		"Trials":         func() error { _, err := s.Trials(ctx, "nope"); return err }(),
		"ClaimTrial":     func() error { _, _, err := s.ClaimTrial(ctx, "nope", "w", time.Hour); return err }(),
		"HeartbeatTrial": s.HeartbeatTrial(ctx, unknown, ""),
		"FinishTrial":    s.FinishTrial(ctx, unknown, tracker.TrialFinished, ""),
		"RetryTrials":    func() error { _, err := s.RetryTrials(ctx, "nope"); return err }(),
	} {
		if !errors.Is(err, tracker.ErrNotFound) {
			t.Errorf("%s of an unknown sweep: %v; want ErrNotFound", name, err)
		}
	}
	if _, _, err := s.ClaimTrial(ctx, "sw-1", "w", 0); err == nil {
		t.Error("ClaimTrial with staleAfter 0 accepted")
	}
}

// Workers claiming at once, each on its own Store, never get the same
// trial, and between them get every trial.
func testSweepConcurrentClaims(t *testing.T, tg Target) {
	const stores, perStore, trials = 4, 3, 60
	ctx := context.Background()
	s, loc := tg.open(t)
	newSweep(t, s, "race", trials)
	var (
		mu      sync.Mutex
		claimed = map[int][]string{}
		wg      sync.WaitGroup
		errs    = make(chan error, stores*perStore)
		start   = make(chan struct{})
	)
	for i := range stores {
		si, err := tracker.Open(loc)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { si.Close() })
		for j := range perStore {
			worker := fmt.Sprintf("s%d-g%d", i, j)
			wg.Go(func() {
				<-start
				for {
					tr, ok, err := si.ClaimTrial(ctx, "race", worker, time.Hour)
					if err != nil {
						errs <- fmt.Errorf("%s: %w", worker, err)
						return
					}
					if !ok {
						return
					}
					mu.Lock()
					claimed[tr.Index] = append(claimed[tr.Index], worker)
					mu.Unlock()
					if tr.Worker != worker {
						errs <- fmt.Errorf("%s claimed trial %d for %q", worker, tr.Index, tr.Worker)
					}
					time.Sleep(time.Millisecond) // let the others in
				}
			})
		}
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	workers := map[string]bool{}
	for i := range trials {
		if len(claimed[i]) != 1 {
			t.Errorf("trial %d claimed by %v; want exactly one worker", i, claimed[i])
		}
		for _, w := range claimed[i] {
			workers[w] = true
		}
	}
	trs, err := s.Trials(ctx, "race")
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range trs {
		if tr.Status != tracker.TrialRunning || tr.Attempt != 1 || len(claimed[tr.Index]) != 1 || tr.Worker != claimed[tr.Index][0] {
			t.Errorf("stored trial %+v; claimed by %v", tr, claimed[tr.Index])
		}
	}
	t.Logf("%d trials claimed by %d of %d workers", trials, len(workers), stores*perStore)
}

// A RUNNING trial whose heartbeat is older than the claimer's staleAfter is
// claimed again, its run ended KILLED for good; a fresh one is not; the
// first claim can then neither heartbeat nor end it.
func testSweepStaleReclaim(t *testing.T, tg Target) {
	ctx := context.Background()
	s, _ := tg.open(t)
	newSweep(t, s, "stale", 3)
	dead, _, err := s.ClaimTrial(ctx, "stale", "dead", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	alive, _, err := s.ClaimTrial(ctx, "stale", "alive", time.Hour)
	if err != nil || alive.Index != 1 {
		t.Fatalf("second claim: %+v, %v", alive, err)
	}
	run, err := s.StartRun(ctx, "sweeps", "trial-0", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.HeartbeatTrial(ctx, dead, run.ID()); err != nil {
		t.Fatal(err)
	}
	if trs, _ := s.Trials(ctx, "stale"); trs[0].RunID != run.ID() {
		t.Errorf("trial 0's run %q after a heartbeat naming run %s", trs[0].RunID, run.ID())
	}
	const staleAfter = 400 * time.Millisecond
	time.Sleep(staleAfter + 100*time.Millisecond)
	if err := s.HeartbeatTrial(ctx, alive, ""); err != nil { // fresh again
		t.Fatal(err)
	}
	re, ok, err := s.ClaimTrial(ctx, "stale", "rescuer", staleAfter)
	if err != nil || !ok || re.Index != 0 || re.Attempt != 2 || re.Worker != "rescuer" || re.RunID != "" {
		t.Fatalf("claim after trial 0 went stale: %+v, %v, %v; want trial 0, attempt 2", re, ok, err)
	}
	info, err := s.Run(ctx, run.ID())
	if err != nil || info.Status != tracker.StatusKilled || info.Error != tracker.TrialKilledMessage("rescuer") {
		t.Errorf("the stale claim's run: %s %q, %v; want KILLED %q", info.Status, info.Error, err, tracker.TrialKilledMessage("rescuer"))
	}
	// Its process, were it alive, can no longer finish it.
	if err := run.Finish(ctx); !errors.Is(err, tracker.ErrRunEnded) {
		t.Errorf("Finish of the run of a trial claimed again: %v; want ErrRunEnded", err)
	}
	if info, _ := s.Run(ctx, run.ID()); info.Status != tracker.StatusKilled {
		t.Errorf("after its Finish the run is %s; want KILLED still", info.Status)
	}
	next, ok, err := s.ClaimTrial(ctx, "stale", "rescuer", staleAfter)
	if err != nil || !ok || next.Index != 2 {
		t.Errorf("next claim: %+v, %v, %v; want trial 2 (trial 1 is fresh)", next, ok, err)
	}
	if err := s.HeartbeatTrial(ctx, dead, ""); !errors.Is(err, tracker.ErrTrialLost) {
		t.Errorf("heartbeat of the claim taken over: %v; want ErrTrialLost", err)
	}
	if err := s.FinishTrial(ctx, dead, tracker.TrialFinished, run.ID()); !errors.Is(err, tracker.ErrTrialLost) {
		t.Errorf("finish of the claim taken over: %v; want ErrTrialLost", err)
	}
	if err := s.HeartbeatTrial(ctx, re, ""); err != nil {
		t.Errorf("heartbeat of the new claim: %v", err)
	}
	trs, _ := s.Trials(ctx, "stale")
	if trs[0].Status != tracker.TrialRunning || trs[0].Worker != "rescuer" || trs[0].Attempt != 2 {
		t.Errorf("trial 0 after the takeover: %+v", trs[0])
	}
}

// A finished trial is never claimed again, even stale; a FAILED one only
// after RetryTrials; a released one (PENDING) at once; ending a claim
// twice fails; the sweep's status follows its trials.
func testSweepFinish(t *testing.T, tg Target) {
	ctx := context.Background()
	s, loc := tg.open(t)
	newSweep(t, s, "fin", 3)
	status := func() tracker.SweepStatus {
		t.Helper()
		sw, err := s.Sweep(ctx, "fin")
		if err != nil {
			t.Fatal(err)
		}
		return sw.Status
	}
	claim := func(wantIndex, wantAttempt int) tracker.Trial {
		t.Helper()
		tr, ok, err := s.ClaimTrial(ctx, "fin", "w", 50*time.Millisecond)
		if err != nil || !ok || tr.Index != wantIndex || tr.Attempt != wantAttempt {
			t.Fatalf("claim: %+v, %v, %v; want trial %d attempt %d", tr, ok, err, wantIndex, wantAttempt)
		}
		return tr
	}
	t0 := claim(0, 1)
	if err := s.FinishTrial(ctx, t0, tracker.TrialRunning, ""); err == nil {
		t.Error("FinishTrial to RUNNING accepted")
	}
	if err := s.FinishTrial(ctx, t0, tracker.TrialFinished, "run-zero"); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishTrial(ctx, t0, tracker.TrialFailed, ""); !errors.Is(err, tracker.ErrTrialLost) {
		t.Errorf("second end of a finished trial: %v; want ErrTrialLost", err)
	}
	if err := s.HeartbeatTrial(ctx, t0, ""); !errors.Is(err, tracker.ErrTrialLost) {
		t.Errorf("heartbeat of a finished trial: %v; want ErrTrialLost", err)
	}
	t1 := claim(1, 1)
	if err := s.FinishTrial(ctx, t1, tracker.TrialFailed, ""); err != nil {
		t.Fatal(err)
	}
	t2 := claim(2, 1)
	if err := s.FinishTrial(ctx, t2, tracker.TrialPending, ""); err != nil { // released: interrupted
		t.Fatal(err)
	}
	if st := status(); st != tracker.SweepRunning {
		t.Errorf("sweep with trials FINISHED, FAILED, PENDING: %s; want RUNNING", st)
	}
	t2 = claim(2, 2)
	if err := s.FinishTrial(ctx, t2, tracker.TrialFinished, ""); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // every heartbeat is stale now
	if tr, ok, err := s.ClaimTrial(ctx, "fin", "w", 50*time.Millisecond); ok || err != nil {
		t.Errorf("claim with every trial ended: %+v, %v, %v; want none", tr, ok, err)
	}
	if st := status(); st != tracker.SweepFailed {
		t.Errorf("sweep with trials FINISHED, FAILED, FINISHED: %s; want FAILED", st)
	}
	ro, err := tracker.Open(loc, tracker.ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if trs, err := ro.Trials(ctx, "fin"); err != nil || len(trs) != 3 || trs[0].RunID != "run-zero" || trs[0].Status != tracker.TrialFinished ||
		trs[1].Status != tracker.TrialFailed || trs[2].Status != tracker.TrialFinished || trs[2].RunID != "" {
		t.Errorf("trials read read-only: %+v, %v", trs, err)
	}
	if _, _, err := ro.ClaimTrial(ctx, "fin", "w", time.Hour); !errors.Is(err, tracker.ErrReadOnly) {
		t.Errorf("ClaimTrial on a read-only store: %v; want ErrReadOnly", err)
	}
	if n, err := s.RetryTrials(ctx, "fin"); n != 1 || err != nil {
		t.Errorf("RetryTrials: %d, %v; want the 1 FAILED trial", n, err)
	}
	claim(1, 2)
	if st := status(); st != tracker.SweepRunning {
		t.Errorf("sweep retrying a trial: %s; want RUNNING", st)
	}
	trs, _ := s.Trials(ctx, "fin")
	got := slices.Collect(func(yield func(tracker.TrialStatus) bool) {
		for _, tr := range trs {
			if !yield(tr.Status) {
				return
			}
		}
	})
	if want := []tracker.TrialStatus{tracker.TrialFinished, tracker.TrialRunning, tracker.TrialFinished}; !slices.Equal(got, want) {
		t.Errorf("trial states %v; want %v", got, want)
	}
}

// A trial claimed again ends as KILLED every RUNNING run tagged with its sweep
// and index, also one whose id its worker never reported (the worker died
// between the run's start and its next heartbeat); runs of other trials and
// of other sweeps stay RUNNING.
func testSweepReclaimUnreportedRun(t *testing.T, tg Target) {
	ctx := context.Background()
	s, _ := tg.open(t)
	newSweep(t, s, "unreported", 2)
	newSweep(t, s, "other", 1)
	dead, _, err := s.ClaimTrial(ctx, "unreported", "dead", time.Hour)
	if err != nil || dead.Index != 0 {
		t.Fatalf("claim: %+v, %v", dead, err)
	}
	start := func(sweep, trial string) *tracker.Run {
		t.Helper()
		run, err := s.StartRun(ctx, "sweeps", sweep+"-"+trial, nil, tracker.WithTags(map[string]string{tracker.SweepTag: sweep, tracker.TrialTag: trial}))
		if err != nil {
			t.Fatal(err)
		}
		return run
	}
	orphan, otherTrial, otherSweep := start("unreported", "0"), start("unreported", "1"), start("other", "0")
	const staleAfter = 300 * time.Millisecond
	time.Sleep(staleAfter + 100*time.Millisecond)
	re, ok, err := s.ClaimTrial(ctx, "unreported", "rescuer", staleAfter)
	if err != nil || !ok || re.Index != 0 || re.Attempt != 2 {
		t.Fatalf("claim after trial 0 went stale: %+v, %v, %v", re, ok, err)
	}
	for _, c := range []struct {
		run  *tracker.Run
		want tracker.RunStatus
	}{{orphan, tracker.StatusKilled}, {otherTrial, tracker.StatusRunning}, {otherSweep, tracker.StatusRunning}} {
		info, err := s.Run(ctx, c.run.ID())
		if err != nil || info.Status != c.want {
			t.Errorf("run %s after trial 0 was claimed again: %s (%q), %v; want %s", info.Name, info.Status, info.Error, err, c.want)
		}
	}
	if err := orphan.Finish(ctx); !errors.Is(err, tracker.ErrRunEnded) {
		t.Errorf("Finish of the unreported run: %v; want ErrRunEnded", err)
	}
}
