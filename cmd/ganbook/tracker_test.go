package main

import (
	"bufio"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"
)

type listedRun struct {
	ID      string            `json:"id"`
	Name    string            `json:"name"`
	Status  string            `json:"status"`
	Params  map[string]string `json:"params"`
	Tags    map[string]string `json:"tags"`
	Metrics map[string]struct {
		Count int64 `json:"count"`
	} `json:"metrics"`
}

func listRuns(t *testing.T, db string, extra ...string) []listedRun {
	t.Helper()
	r := runGanbook(t, t.TempDir(), nil, append([]string{"runs", "--json", "--db", db}, extra...)...)
	if r.exitCode != 0 {
		t.Fatalf("ganbook runs: exit %d\n%s", r.exitCode, r.stderr)
	}
	var runs []listedRun
	if err := json.Unmarshal([]byte(r.stdout), &runs); err != nil {
		t.Fatalf("ganbook runs --json: %v\n%s", err, r.stdout)
	}
	return runs
}

// Four `ganbook train` processes write one database at once; all must end
// FINISHED with every step recorded.
func TestConcurrentTrainsShareOneDatabase(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "runs.db")
	const n, steps = 4, 25
	var wg sync.WaitGroup
	results := make([]result, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = runGanbook(t, dir, nil, "train", "--db", db, "--steps", strconv.Itoa(steps), "--seed", strconv.Itoa(i+1),
				"--name", fmt.Sprintf("worker-%d", i), "--out", filepath.Join(dir, fmt.Sprint("run", i)))
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.exitCode != 0 {
			t.Errorf("train %d: exit %d\n%s", i, r.exitCode, r.stderr)
		}
	}
	runs := listRuns(t, db)
	if len(runs) != n {
		t.Fatalf("runs --json lists %d runs, want %d", len(runs), n)
	}
	for _, r := range runs {
		if r.Status != "FINISHED" || r.Metrics["d_loss"].Count != steps || r.Metrics["g_loss"].Count != steps {
			t.Errorf("run %s: status %s, %d d_loss and %d g_loss points; want FINISHED and %d each",
				r.Name, r.Status, r.Metrics["d_loss"].Count, r.Metrics["g_loss"].Count, steps)
		}
	}
	// The filter language reaches the CLI.
	if got := listRuns(t, db, "--filter", "params.seed = 2 and status = 'FINISHED'"); len(got) != 1 || got[0].Name != "worker-1" {
		t.Errorf("filter on params.seed = 2 listed %+v, want worker-1 alone", got)
	}
}

// SIGKILL mid-run: every step reported at least 1 s before the kill is stored,
// the database passes integrity_check, and once the heartbeat times out the run
// lists as KILLED.
func TestTrainSurvivesSIGKILL(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "crash.db")
	cmd := exec.Command(ganbookBin, "train", "--db", db, "--steps", "100000", "--progress-every", "1",
		"--sample-every", "0", "--checkpoint-every", "0", "--out", filepath.Join(dir, "run"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOMLX_BACKEND=go", "GOMLX_NO_AUTO_INSTALL=1", "GANBOOK_HEARTBEAT_TIMEOUT=2s")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	type seen struct {
		step int
		at   time.Time
	}
	steps := make(chan seen, 1<<16)
	stepLine := regexp.MustCompile(`^step (\d+)/`)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := stepLine.FindStringSubmatch(sc.Text()); m != nil {
				n, _ := strconv.Atoi(m[1])
				steps <- seen{n, time.Now()}
			}
		}
		close(steps)
	}()
	// Let it train for a while (at least 30 steps and 3 s of stepping).
	var log []seen
	deadline := time.After(3 * time.Minute)
	for len(log) < 30 || time.Since(log[0].at) < 3*time.Second {
		select {
		case s, ok := <-steps:
			if !ok {
				t.Fatal("ganbook train exited before it was killed")
			}
			log = append(log, s)
		case <-deadline:
			t.Fatal("ganbook train made too little progress in 3 minutes")
		}
	}
	killedAt := time.Now()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	for s := range steps {
		log = append(log, s)
	}
	mustHave := 0 // the last step reported at least 1 s before the kill
	for _, s := range log {
		if killedAt.Sub(s.at) >= time.Second && s.step > mustHave {
			mustHave = s.step
		}
	}
	if mustHave == 0 {
		t.Fatal("no step was reported 1 s before the kill: the test proves nothing")
	}

	sqlDB, err := sql.Open("sqlite3", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	var integrity string
	if err := sqlDB.QueryRow("PRAGMA integrity_check").Scan(&integrity); err != nil || integrity != "ok" {
		t.Fatalf("PRAGMA integrity_check = %q, %v; want ok", integrity, err)
	}

	time.Sleep(2500 * time.Millisecond) // past the 2 s heartbeat timeout
	runs := listRuns(t, db)
	if len(runs) != 1 {
		t.Fatalf("%d runs listed, want 1", len(runs))
	}
	if runs[0].Status != "KILLED" {
		t.Errorf("status %s after the heartbeat timeout, want KILLED", runs[0].Status)
	}
	export := runGanbook(t, dir, nil, "export", runs[0].ID, "--db", db, "--format", "csv")
	if export.exitCode != 0 {
		t.Fatalf("export: %s", export.stderr)
	}
	stored := map[int]bool{}
	for _, line := range strings.Split(export.stdout, "\n") {
		f := strings.Split(line, ",")
		if len(f) == 5 && f[1] == "d_loss" {
			n, _ := strconv.Atoi(f[2])
			stored[n] = true
		}
	}
	for s := 1; s <= mustHave; s++ {
		if !stored[s] {
			t.Errorf("step %d was reported over 1 s before the kill but its d_loss is not stored", s)
		}
	}
	t.Logf("killed after step %d; steps 1..%d were reported ≥1 s before; %d d_loss points stored", log[len(log)-1].step, mustHave, len(stored))
}

func TestReproduceMatchesBitwise(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "repro.db")
	r := runGanbook(t, dir, nil, "train", "--db", db, "--steps", "50", "--name", "original", "--out", filepath.Join(dir, "a"))
	if r.exitCode != 0 {
		t.Fatalf("train: %s", r.stderr)
	}
	id := regexp.MustCompile(`run: ([0-9a-f]{32})`).FindStringSubmatch(r.stdout)
	if id == nil {
		t.Fatalf("train printed no run id:\n%s", r.stdout)
	}
	r = runGanbook(t, dir, nil, "reproduce", id[1][:8], "--db", db, "--out", filepath.Join(dir, "b"), "--strict")
	if r.exitCode != 0 {
		t.Fatalf("reproduce: exit %d\n%s\n%s", r.exitCode, r.stdout, r.stderr)
	}
	for _, key := range []string{"d_loss", "g_loss"} {
		if !regexp.MustCompile(key + `\s+bitwise match over 50 steps`).MatchString(r.stdout) {
			t.Errorf("reproduce does not report a bitwise %s match:\n%s", key, r.stdout)
		}
	}
	runs := listRuns(t, db, "--filter", "tags.reproduction = 'bitwise'")
	if len(runs) != 1 || runs[0].Name != "original-repro" {
		t.Errorf("runs tagged reproduction=bitwise: %+v, want the one named original-repro", runs)
	}
}

func TestTrackerCommandsRefuseBadInput(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "bad.db")
	if r := runGanbook(t, dir, nil, "train", "--db", db, "--steps", "2", "--out", filepath.Join(dir, "a")); r.exitCode != 0 {
		t.Fatalf("train: %s", r.stderr)
	}
	readOnlyDir := filepath.Join(dir, "ro")
	if err := os.Mkdir(readOnlyDir, 0o555); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"malformed filter", []string{"runs", "--db", db, "--filter", "params.lr_d = = 1"}, []string{"bad filter at 1:15", "params.lr_d = = 1\n              ^"}},
		{"unknown run", []string{"show", "ffffffff", "--db", db}, []string{"not found"}},
		{"missing database dir", []string{"runs", "--db", filepath.Join(dir, "no", "such", "dir", "x.db")}, []string{"--db"}},
		{"export format", []string{"export", "x", "--db", db, "--format", "xml"}, []string{"--format"}},
		{"tag without =", []string{"tag", "x", "novalue", "--db", db}, []string{"key=value"}},
	}
	if os.Geteuid() != 0 { // root writes through read-only permissions
		tests = append(tests, struct {
			name string
			args []string
			want []string
		}{"read-only database dir", []string{"train", "--steps", "1", "--db", filepath.Join(readOnlyDir, "x.db"), "--out", filepath.Join(dir, "b")}, []string{"--db"}})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runGanbook(t, dir, nil, tc.args...)
			if r.exitCode == 0 {
				t.Fatalf("exit 0, want failure\n%s", r.stdout)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr does not mention %q:\n%s", w, r.stderr)
				}
			}
		})
	}
}
