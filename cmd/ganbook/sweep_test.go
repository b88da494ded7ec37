package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tinyTrain is a train budget that keeps a 12-trial sweep to seconds.
var tinyTrain = []string{"--model", "mlp", "--steps", "3", "--batch", "8", "--sample-grid", "2"}

// A 2 × 2 × 3 sweep makes 12 FINISHED runs, one per trial, that group into 4
// settings of 3 seeds; the groups' means and 95% t-intervals match those
// computed here from the raw metric points in the database, with the t
// quantile from a printed table, t(0.975, 2) = 4.302653.
func TestSweepGridGroups(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "runs.db")
	sweepDir := filepath.Join(dir, "sw")
	args := append([]string{"sweep", "--db", db, "--dir", sweepDir, "--set", "lr_d=1e-4,2e-4", "--set", "loss=nonsaturating,minimax",
		"--seeds", "1-3", "--parallel", "2"}, tinyTrain...)
	r := runGanbook(t, dir, nil, args...)
	if r.exitCode != 0 {
		t.Fatalf("sweep: exit %d\n%s\n%s", r.exitCode, r.stdout, r.stderr)
	}
	m := regexp.MustCompile(`sweep (\w+): 12/12 trials finished`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("sweep does not report 12/12 trials finished:\n%s", r.stdout)
	}
	id := m[1]

	runs := listRuns(t, db, "--filter", "tags.sweep = '"+id+"'")
	if len(runs) != 12 {
		t.Fatalf("%d runs tagged sweep=%s, want 12", len(runs), id)
	}
	var settings, trials []string
	for _, run := range runs {
		if run.Status != "FINISHED" {
			t.Errorf("run %s (trial %s) is %s", run.ID, run.Tags["sweep_trial"], run.Status)
		}
		settings = append(settings, fmt.Sprintf("lr_d=%s loss=%s seed=%s", run.Params["lr_d"], run.Params["loss"], run.Params["seed"]))
		trials = append(trials, run.Tags["sweep_trial"])
	}
	var wantSettings []string
	for _, lr := range []string{"0.0001", "0.0002"} {
		for _, loss := range []string{"nonsaturating", "minimax"} {
			for _, seed := range []string{"1", "2", "3"} {
				wantSettings = append(wantSettings, fmt.Sprintf("lr_d=%s loss=%s seed=%s", lr, loss, seed))
			}
		}
	}
	slices.Sort(settings)
	slices.Sort(wantSettings)
	if !slices.Equal(settings, wantSettings) {
		t.Errorf("runs' settings\n%q\nwant\n%q", settings, wantSettings)
	}
	for i := range 12 {
		if !slices.Contains(trials, fmt.Sprint(i)) {
			t.Errorf("no run tagged sweep_trial=%d (tags %q)", i, trials)
		}
	}

	want := rawGroupStats(t, db, id, []string{"d_loss", "g_loss"})
	if len(want) != 4 {
		t.Fatalf("%d groups in the raw points, want 4: %v", len(want), want)
	}
	r = runGanbook(t, dir, nil, "compare", "--db", db, "--sweep", id, "--group", "--curve", "g_loss", "--json")
	if r.exitCode != 0 {
		t.Fatalf("compare --group: exit %d\n%s", r.exitCode, r.stderr)
	}
	var rep struct {
		Groups []struct {
			Label  string
			Runs   []json.RawMessage
			Finals map[string]struct {
				N         int
				Mean      float64
				HalfWidth float64 `json:"half_width"`
			}
		}
		Curves map[string]map[string][]struct {
			Step      int64
			N         int
			Mean      float64
			HalfWidth float64 `json:"half_width"`
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if len(rep.Groups) != 4 {
		t.Fatalf("compare --group makes %d groups, want 4", len(rep.Groups))
	}
	for _, g := range rep.Groups {
		if len(g.Runs) != 3 {
			t.Errorf("group %q has %d runs, want 3", g.Label, len(g.Runs))
		}
		wantGroup, ok := want[g.Label]
		if !ok {
			t.Errorf("compare --group makes group %q, not one of the raw points' groups", g.Label)
		}
		// The curve's band at the last step (3) is over the same values.
		band := rep.Curves[g.Label]["g_loss"]
		if w := wantGroup["g_loss"]; len(band) != 3 || band[2].Step != 3 || band[2].N != 3 ||
			math.Abs(band[2].Mean-w[0]) > 1e-9*math.Max(1, math.Abs(w[0])) || math.Abs(band[2].HalfWidth-w[1]) > 1e-6*math.Max(1, w[1]) {
			t.Errorf("group %q g_loss curve %+v, want 3 steps ending n 3, %v ± %v", g.Label, band, w[0], w[1])
		}
		for metric, w := range wantGroup {
			got := g.Finals[metric]
			if got.N != 3 || math.Abs(got.Mean-w[0]) > 1e-9*math.Max(1, math.Abs(w[0])) || math.Abs(got.HalfWidth-w[1]) > 1e-6*math.Max(1, w[1]) {
				t.Errorf("group %q %s = n %d, %v ± %v; want n 3, %v ± %v", g.Label, metric, got.N, got.Mean, got.HalfWidth, w[0], w[1])
			}
		}
	}

	// Resuming a finished sweep runs nothing more.
	r = runGanbook(t, dir, nil, "sweep", "--resume", sweepDir)
	if r.exitCode != 0 || !strings.Contains(r.stdout, "12 finished before, 0 to run") {
		t.Errorf("resume of a finished sweep: exit %d\n%s\n%s", r.exitCode, r.stdout, r.stderr)
	}
	if n := len(listRuns(t, db, "--filter", "tags.sweep = '"+id+"'")); n != 12 {
		t.Errorf("%d runs after resuming a finished sweep, want 12", n)
	}
}

// rawGroupStats reads each sweep run's last point of the metrics straight
// from the SQLite tables and returns, per "loss=… lr_d=…" group, each
// metric's mean and 95% t half-width over its 3 seeds.
func rawGroupStats(t *testing.T, db, sweep string, metrics []string) map[string]map[string][2]float64 {
	t.Helper()
	conn, err := sql.Open("sqlite3", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	values := map[string]map[string][]float64{}
	rows, err := conn.Query(`SELECT r.pk,
		(SELECT value FROM params WHERE run_pk = r.pk AND key = 'loss'),
		(SELECT value FROM params WHERE run_pk = r.pk AND key = 'lr_d')
		FROM runs r JOIN tags g ON g.run_pk = r.pk AND g.key = 'sweep' AND g.value = ?`, sweep)
	if err != nil {
		t.Fatal(err)
	}
	type run struct {
		pk       int64
		loss, lr string
	}
	var runs []run
	for rows.Next() {
		var r run
		if err := rows.Scan(&r.pk, &r.loss, &r.lr); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	rows.Close()
	for _, r := range runs {
		label := "loss=" + r.loss + " lr_d=" + r.lr
		if values[label] == nil {
			values[label] = map[string][]float64{}
		}
		for _, m := range metrics {
			var v float64
			err := conn.QueryRow(`SELECT value FROM metrics WHERE run_pk = ? AND key = ? ORDER BY step DESC, rowid DESC LIMIT 1`, r.pk, m).Scan(&v)
			if err != nil {
				t.Fatalf("last %s of run %d: %v", m, r.pk, err)
			}
			values[label][m] = append(values[label][m], v)
		}
	}
	out := map[string]map[string][2]float64{}
	for label, byMetric := range values {
		out[label] = map[string][2]float64{}
		for m, vs := range byMetric {
			if len(vs) != 3 {
				t.Fatalf("group %s has %d values of %s, want 3", label, len(vs), m)
			}
			mean := (vs[0] + vs[1] + vs[2]) / 3
			ss := (vs[0]-mean)*(vs[0]-mean) + (vs[1]-mean)*(vs[1]-mean) + (vs[2]-mean)*(vs[2]-mean)
			out[label][m] = [2]float64{mean, 4.302653 * math.Sqrt(ss/2) / math.Sqrt(3)}
		}
	}
	return out
}

func TestSweepRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	fresh := func(name string, args ...string) []string {
		return append([]string{"--db", filepath.Join(dir, "x.db"), "--dir", filepath.Join(dir, name)}, args...)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"not a train flag", fresh("a", "--set", "colour=red,blue"), "not a train flag"},
		{"seed in --set", fresh("b", "--set", "seed=1,2"), "--seeds"},
		{"bad seeds", fresh("c", "--set", "lr_d=1e-4", "--seeds", "5-1"), "--seeds"},
		{"range without --random", fresh("d", "--set", "lr_d=log:1e-5..1e-3"), "--random"},
		{"no value", fresh("e", "--set", "lr_d="), "PARAM=V1,V2"},
		{"bad swept value", fresh("g", "--set", "loss=nonsaturating,bogus"), `invalid --loss: "bogus"`},
		{"bad passed-through flag", fresh("h", "--set", "lr_d=1e-4", "--batch", "0"), "invalid --batch"},
		{"bad parallel", fresh("f", "--set", "lr_d=1e-4", "--parallel", "0"), "--parallel"},
		{"missing resume dir", []string{"--resume", filepath.Join(dir, "nope")}, "no such file"},
		{"resume with settings", []string{"--resume", dir, "--steps", "4"}, "only --parallel"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runGanbook(t, dir, nil, append([]string{"sweep"}, tc.args...)...)
			if r.exitCode == 0 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want a failure mentioning %q", r.exitCode, r.stderr, tc.want)
			}
		})
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "g")); len(entries) != 0 {
		t.Errorf("a refused sweep left files: %v", entries)
	}
}

// Ctrl-C stops a sweep's running trials cleanly (KILLED, checkpoint saved,
// none left RUNNING); --resume then finishes every trial exactly once,
// continuing the interrupted ones from their checkpoints.
func TestSweepInterruptAndResume(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "runs.db")
	sweepDir := filepath.Join(dir, "sw")
	cmd := exec.Command(ganbookBin, "sweep", "--db", db, "--dir", sweepDir, "--set", "loss=minimax", "--seeds", "1-3", "--parallel", "2",
		"--model", "mlp", "--steps", "300", "--batch", "8", "--sample-grid", "2", "--progress-every", "5")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOMLX_BACKEND=go", "GOMLX_NO_AUTO_INSTALL=1")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Interrupt once both first trials are training.
	progressed := regexp.MustCompile(`step \d+/300`)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		a, _ := os.ReadFile(filepath.Join(sweepDir, "trial-000.log"))
		b, _ := os.ReadFile(filepath.Join(sweepDir, "trial-001.log"))
		if progressed.Match(a) && progressed.Match(b) {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("the trials did not start training in 2 minutes:\n%s\n%s", a, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 130 {
		t.Fatalf("interrupted sweep: %v, want exit 130\n%s\n%s", err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "--resume "+sweepDir) {
		t.Errorf("interrupted sweep does not say how to resume:\n%s", stdout.String())
	}
	var id string
	for _, run := range listRuns(t, db) {
		id = run.Tags["sweep"]
		if run.Status != "KILLED" {
			t.Errorf("after Ctrl-C, trial %s is %s, want KILLED", run.Tags["sweep_trial"], run.Status)
		}
	}
	if id == "" {
		t.Fatal("no trial run recorded before the interrupt")
	}

	r := runGanbook(t, dir, nil, "sweep", "--resume", sweepDir, "--parallel", "2")
	if r.exitCode != 0 || !strings.Contains(r.stdout, "3/3 trials finished") {
		t.Fatalf("resume: exit %d\n%s\n%s", r.exitCode, r.stdout, r.stderr)
	}
	finished := map[string]int{}
	resumed := 0
	for _, run := range listRuns(t, db, "--filter", "tags.sweep = '"+id+"'") {
		switch run.Status {
		case "FINISHED":
			finished[run.Tags["sweep_trial"]]++
		case "RUNNING":
			t.Errorf("trial %s still RUNNING after the resume", run.Tags["sweep_trial"])
		}
	}
	for _, trial := range []string{"0", "1", "2"} {
		if finished[trial] != 1 {
			t.Errorf("trial %s FINISHED %d times, want once", trial, finished[trial])
		}
	}
	resumeLine := regexp.MustCompile(`(?m)^\$ ganbook train .* --resume$`)
	for _, trial := range []string{"trial-000.log", "trial-001.log"} {
		log, _ := os.ReadFile(filepath.Join(sweepDir, trial))
		if resumeLine.Match(log) {
			resumed++
		}
	}
	if resumed != 2 {
		t.Errorf("%d of the 2 interrupted trials continued from their checkpoint, want 2", resumed)
	}
	// The group counts each trial once: its FINISHED run, not the KILLED one.
	r = runGanbook(t, dir, nil, "compare", "--db", db, "--sweep", id, "--group", "--json")
	var rep struct {
		Groups []struct{ Runs []json.RawMessage }
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Groups) != 1 || len(rep.Groups[0].Runs) != 3 {
		t.Errorf("compare --sweep --group after the resume: %v, want 1 group of 3 runs\n%s%s", err, r.stdout, r.stderr)
	}
}

// --random K draws K settings from the ranges, each trained once per seed.
func TestSweepRandom(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "runs.db")
	args := append([]string{"sweep", "--db", db, "--dir", filepath.Join(dir, "sw"), "--random", "2",
		"--set", "lr_d=log:1e-5..1e-3", "--seeds", "1-2", "--parallel", "2"}, tinyTrain...)
	r := runGanbook(t, dir, nil, args...)
	if r.exitCode != 0 {
		t.Fatalf("sweep --random: exit %d\n%s\n%s", r.exitCode, r.stdout, r.stderr)
	}
	runs := listRuns(t, db)
	if len(runs) != 4 {
		t.Fatalf("%d runs, want 2 settings × 2 seeds", len(runs))
	}
	seeds := map[string][]string{}
	for _, run := range runs {
		lr, err := strconv.ParseFloat(run.Params["lr_d"], 64)
		if run.Status != "FINISHED" || err != nil || lr < 1e-5 || lr > 1e-3 {
			t.Errorf("run %s: %s, lr_d %q; want FINISHED with lr_d in [1e-5, 1e-3]", run.ID, run.Status, run.Params["lr_d"])
		}
		seeds[run.Params["lr_d"]] = append(seeds[run.Params["lr_d"]], run.Params["seed"])
	}
	for lr, s := range seeds {
		slices.Sort(s)
		if !slices.Equal(s, []string{"1", "2"}) {
			t.Errorf("lr_d %s trained with seeds %v, want 1 and 2", lr, s)
		}
	}
	if len(seeds) != 2 {
		t.Errorf("%d distinct lr_d drawn, want 2: %v", len(seeds), seeds)
	}
}
