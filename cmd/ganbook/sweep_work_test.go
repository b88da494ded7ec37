package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ganbook/ganbook/internal/pgtest"
	"github.com/ganbook/ganbook/tracker"
)

// shownSweep is `ganbook sweep show SWEEP --json`.
type shownSweep struct {
	ID     string         `json:"id"`
	Status string         `json:"status"`
	Trials int            `json:"trials"`
	Counts map[string]int `json:"counts"`
	List   []struct {
		Index   int               `json:"index"`
		Params  map[string]string `json:"params"`
		Status  string            `json:"status"`
		RunID   string            `json:"run_id"`
		Worker  string            `json:"worker"`
		Attempt int               `json:"attempt"`
	} `json:"trial_list"`
}

func showSweep(t *testing.T, db, id string) shownSweep {
	t.Helper()
	r := runGanbook(t, t.TempDir(), nil, "sweep", "show", id, "--db", db, "--json")
	if r.exitCode != 0 {
		t.Fatalf("sweep show: exit %d\n%s", r.exitCode, r.stderr)
	}
	var s shownSweep
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("sweep show --json: %v\n%s", err, r.stdout)
	}
	return s
}

var createdSweep = regexp.MustCompile(`sweep (\w+): (\d+) trials stored`)

// createSweep stores a sweep with `ganbook sweep create` and returns its id.
func createSweep(t *testing.T, dir string, args ...string) string {
	t.Helper()
	r := runGanbook(t, dir, nil, append([]string{"sweep", "create"}, args...)...)
	m := createdSweep.FindStringSubmatch(r.stdout)
	if r.exitCode != 0 || m == nil {
		t.Fatalf("sweep create: exit %d\n%s\n%s", r.exitCode, r.stdout, r.stderr)
	}
	return m[1]
}

// A sweep stored with `sweep create` runs nothing; one `sweep work` process
// then trains each trial once, as the run its trial records, and a second
// worker finds nothing left to do.
func TestSweepWorkSQLite(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "runs.db")
	id := createSweep(t, dir, append([]string{"--db", db, "--set", "lr_d=1e-4,2e-4", "--seeds", "1-2"}, tinyTrain...)...)
	if runs := listRuns(t, db); len(runs) != 0 {
		t.Fatalf("sweep create ran %d trials", len(runs))
	}
	s := showSweep(t, db, id)
	if s.Status != "PENDING" || s.Trials != 4 || s.Counts["PENDING"] != 4 || len(s.List) != 4 {
		t.Fatalf("created sweep: %+v", s)
	}
	r := runGanbook(t, dir, nil, "sweep", "show", "--db", db)
	if r.exitCode != 0 || !strings.Contains(r.stdout, id+"  PENDING") {
		t.Errorf("sweep show lists no PENDING sweep %s:\n%s%s", id, r.stdout, r.stderr)
	}

	r = runGanbook(t, dir, nil, "sweep", "work", id, "--db", db, "--dir", filepath.Join(dir, "w"))
	if r.exitCode != 0 || !strings.Contains(r.stdout, "sweep "+id+": 4/4 trials finished") {
		t.Fatalf("sweep work: exit %d\n%s\n%s", r.exitCode, r.stdout, r.stderr)
	}
	if n := strings.Count(r.stdout, "claimed trial"); n != 4 {
		t.Errorf("the worker claimed %d times, want 4:\n%s", n, r.stdout)
	}
	runs := listRuns(t, db, "--filter", "tags.sweep = '"+id+"'")
	byID := map[string]listedRun{}
	for _, run := range runs {
		byID[run.ID] = run
	}
	s = showSweep(t, db, id)
	if s.Status != "FINISHED" || s.Counts["FINISHED"] != 4 || len(runs) != 4 {
		t.Fatalf("after the worker: %+v, %d runs", s, len(runs))
	}
	for _, tr := range s.List {
		run, ok := byID[tr.RunID]
		if tr.Status != "FINISHED" || tr.Attempt != 1 || !ok || run.Status != "FINISHED" || run.Tags["sweep_trial"] != strconv.Itoa(tr.Index) ||
			run.Params["seed"] != tr.Params["seed"] || run.Params["lr_d"] != map[string]string{"1e-4": "0.0001", "2e-4": "0.0002"}[tr.Params["lr_d"]] {
			t.Errorf("trial %+v; its run %+v", tr, run)
		}
	}

	r = runGanbook(t, dir, nil, "sweep", "work", id, "--db", db, "--dir", filepath.Join(dir, "w2"))
	if r.exitCode != 0 || strings.Contains(r.stdout, "claimed trial") {
		t.Errorf("second worker on a finished sweep: exit %d\n%s\n%s", r.exitCode, r.stdout, r.stderr)
	}
	if n := len(listRuns(t, db)); n != 4 {
		t.Errorf("%d runs after the second worker, want 4", n)
	}
	r = runGanbook(t, dir, nil, "sweep", "work", "nosuch", "--db", db)
	if r.exitCode == 0 || !strings.Contains(r.stderr, `no sweep "nosuch"`) {
		t.Errorf("sweep work of an unknown sweep: exit %d\n%s", r.exitCode, r.stderr)
	}
	r = runGanbook(t, dir, nil, "sweep", "work", id, "--db", filepath.Join(dir, "none.db"))
	if r.exitCode == 0 || fileExists(filepath.Join(dir, "none.db")) {
		t.Errorf("sweep work on a missing database: exit %d, or the database was created\n%s", r.exitCode, r.stderr)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// worker is a `ganbook sweep work` process whose output goes to a file.
type worker struct {
	cmd *exec.Cmd
	out string
}

func startWorker(t *testing.T, dir, name string, args ...string) *worker {
	t.Helper()
	w := &worker{out: filepath.Join(dir, name+".out")}
	f, err := os.Create(w.out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w.cmd = exec.Command(ganbookBin, append([]string{"sweep", "work"}, args...)...)
	w.cmd.Dir = dir
	w.cmd.Env = append(os.Environ(), "GOMLX_BACKEND=go", "GOMLX_NO_AUTO_INSTALL=1")
	w.cmd.Stdout, w.cmd.Stderr = f, f
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if w.cmd.ProcessState == nil {
			w.cmd.Process.Kill()
			w.cmd.Wait()
		}
	})
	return w
}

func (w *worker) output() string {
	b, _ := os.ReadFile(w.out)
	return string(b)
}

var claimLine = regexp.MustCompile(`(?m)^worker (\S+) claimed trial (\d+) \(attempt (\d+)\)`)

type claim struct {
	worker         string
	trial, attempt int
}

func (w *worker) claims() []claim {
	var out []claim
	for _, m := range claimLine.FindAllStringSubmatch(w.output(), -1) {
		trial, _ := strconv.Atoi(m[2])
		attempt, _ := strconv.Atoi(m[3])
		out = append(out, claim{m[1], trial, attempt})
	}
	return out
}

// Two `ganbook sweep work` processes share a sweep of 6 trials on one
// PostgreSQL database and claim disjoint trials; one is SIGKILLed in the
// middle of a trial; the other claims that trial again once its heartbeat is
// stale and finishes it. In the end every trial has exactly one FINISHED
// run, counted in the runs table, and the dead worker's run of the trial is
// KILLED.
func TestSweepWorkersPostgres(t *testing.T) {
	srv := pgtest.Shared(t)
	url := srv.NewDatabase(t)
	dir := t.TempDir()
	const steps = 200
	id := createSweep(t, dir, "--db", url, "--set", "lr_d=1e-4,2e-4,3e-4", "--seeds", "1-2",
		"--model", "mlp", "--steps", strconv.Itoa(steps), "--batch", "8", "--sample-grid", "2", "--progress-every", "10")
	work := []string{id, "--db", url, "--dir", filepath.Join(dir, "sweep"), "--poll", "--stale-after", "2s"}
	a := startWorker(t, dir, "a", work...)
	b := startWorker(t, dir, "b", work...)

	// Kill a once both work and a's current trial is half done at most.
	progress := regexp.MustCompile(`step (\d+)/` + strconv.Itoa(steps))
	var victim claim
	deadline := time.Now().Add(90 * time.Second)
	for {
		ac, bc := a.claims(), b.claims()
		if len(ac) > 0 && len(bc) > 0 {
			last := ac[len(ac)-1]
			log, _ := os.ReadFile(filepath.Join(dir, "sweep", fmt.Sprintf("trial-%03d.log", last.trial)))
			if ms := progress.FindAllSubmatch(log, -1); len(ms) > 0 {
				if step, _ := strconv.Atoi(string(ms[len(ms)-1][1])); step <= steps/2 && step > 0 {
					victim = last
					break
				}
			}
		}
		if a.cmd.ProcessState != nil || time.Now().After(deadline) {
			t.Fatalf("worker a never caught mid-trial while b works\na:\n%s\nb:\n%s", a.output(), b.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := a.cmd.Process.Signal(os.Kill); err != nil {
		t.Fatal(err)
	}
	a.cmd.Wait()
	aClaims := a.claims()
	t.Logf("killed worker a in trial %d; a claimed %v", victim.trial, aClaims)

	done := make(chan error, 1)
	go func() { done <- b.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil || !strings.Contains(b.output(), "sweep "+id+": 6/6 trials finished") {
			t.Fatalf("worker b: %v\n%s", err, b.output())
		}
	case <-time.After(3 * time.Minute):
		t.Fatalf("worker b still working after 3 minutes:\n%s", b.output())
	}
	bClaims := b.claims()

	// Claims while both were alive are disjoint: every trial's first
	// attempt went to one worker; the victim's second attempt went to b.
	first := map[int][]string{}
	for _, c := range append(slices.Clone(aClaims), bClaims...) {
		if c.attempt == 1 {
			first[c.trial] = append(first[c.trial], c.worker)
		}
	}
	for trial := range 6 {
		if len(first[trial]) != 1 {
			t.Errorf("trial %d's first attempt claimed by %v; want one worker", trial, first[trial])
		}
	}
	aName, bName := aClaims[0].worker, ""
	for _, c := range bClaims {
		bName = c.worker
		if c.worker == aName {
			t.Errorf("both workers are named %s", aName)
		}
	}
	if !slices.Contains(bClaims, claim{bName, victim.trial, 2}) {
		t.Errorf("b did not claim trial %d again (attempt 2): %v", victim.trial, bClaims)
	}
	if n := len(bClaims) - 1; n < 1 || len(aClaims) < 1 {
		t.Errorf("a claimed %d and b %d trials before the kill; want both to work", len(aClaims), n)
	}

	// Every trial FINISHED exactly once, counted in the runs table.
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT n.value, r.id, r.status, r.error FROM runs r
		JOIN tags s ON s.run_pk = r.pk AND s.key = 'sweep' AND s.value = $1
		JOIN tags n ON n.run_pk = r.pk AND n.key = 'sweep_trial' ORDER BY r.start_ms`, id)
	if err != nil {
		t.Fatal(err)
	}
	finished := map[string][]string{}
	var victimRuns []string
	for rows.Next() {
		var trial, runID, status, msg string
		if err := rows.Scan(&trial, &runID, &status, &msg); err != nil {
			t.Fatal(err)
		}
		if status == "FINISHED" {
			finished[trial] = append(finished[trial], runID)
		}
		if trial == strconv.Itoa(victim.trial) {
			victimRuns = append(victimRuns, status+" "+msg)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for trial := range 6 {
		if n := len(finished[strconv.Itoa(trial)]); n != 1 {
			t.Errorf("trial %d has %d FINISHED runs, want exactly 1", trial, n)
		}
	}
	if len(victimRuns) != 2 || !strings.HasPrefix(victimRuns[0], "KILLED "+tracker.TrialReclaimedPrefix) || victimRuns[1] != "FINISHED " {
		t.Errorf("runs of the killed worker's trial %d: %q; want its KILLED run (claimed again), then a FINISHED one", victim.trial, victimRuns)
	}

	s := showSweep(t, url, id)
	if s.Status != "FINISHED" || s.Counts["FINISHED"] != 6 {
		t.Errorf("sweep after the workers: %+v", s)
	}
	for _, tr := range s.List {
		wantAttempt, wantWorker := 1, ""
		if tr.Index == victim.trial {
			wantAttempt, wantWorker = 2, bName
		}
		if tr.Status != "FINISHED" || tr.Attempt != wantAttempt || (wantWorker != "" && tr.Worker != wantWorker) ||
			!slices.Contains(finished[strconv.Itoa(tr.Index)], tr.RunID) {
			t.Errorf("trial %+v; want FINISHED as its FINISHED run, attempt %d", tr, wantAttempt)
		}
	}
}
