package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ganbook/ganbook/internal/pgtest"
)

// The PostgreSQL server goes down for 30 s in the middle of a training and
// comes back: training goes on, the points wait in memory, every one is
// stored, the run ends FINISHED, and one warning line says what happened.
func TestPostgresServerRestartMidRun(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for about 40–90 s; skipped with -short")
	}
	srv, err := pgtest.Start() // its own server: the test stops it
	if err != nil {
		pgtest.Unavailable(t, err)
	}
	defer srv.Stop()
	url := srv.NewDatabase(t)
	dir := t.TempDir()
	// Small batches, for fast steps (about 130 a second on an idle machine),
	// and enough of them that the training outlasts the outage there. On a
	// slower machine it ends later; should it end during the outage, the end
	// of the run waits for the server (TestPostgresDownAtTheEndOfARun).
	const steps = 5000
	cmd := exec.Command(ganbookBin, "train", "--db", url, "--steps", strconv.Itoa(steps), "--batch", "8", "--progress-every", "1",
		"--sample-every", "1000", "--checkpoint-every", "0", "--out", filepath.Join(dir, "run"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOMLX_BACKEND=go", "GOMLX_NO_AUTO_INSTALL=1")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderrPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var stderr strings.Builder
	stepLine := regexp.MustCompile(`^step (\d+)/`)
	type seen struct {
		step int
		at   time.Time
	}
	lastStep := make(chan seen, 1<<16)
	go func() {
		sc := bufio.NewScanner(stderrPipe)
		for sc.Scan() {
			stderr.WriteString(sc.Text() + "\n")
			if m := stepLine.FindStringSubmatch(sc.Text()); m != nil {
				n, _ := strconv.Atoi(m[1])
				lastStep <- seen{n, time.Now()}
			}
		}
		close(lastStep)
	}()
	// Wait for step 20, then take the server down for 30 s.
	for s := range lastStep {
		if s.step >= 20 {
			break
		}
	}
	downAt := time.Now()
	if err := srv.Restart(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	upAt := time.Now()
	stepsWhileDown := 0
	for s := range lastStep {
		if s.at.After(downAt) && s.at.Before(upAt) {
			stepsWhileDown++
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("train: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	t.Logf("server down for %v; %d steps trained meanwhile", upAt.Sub(downAt).Round(time.Millisecond), stepsWhileDown)
	if stepsWhileDown < 10 {
		t.Errorf("%d steps while the server was down; training should have gone on", stepsWhileDown)
	}
	warnings := strings.Count(stderr.String(), "warning: ")
	if warnings != 1 || !strings.Contains(stderr.String(), "could not be written") {
		t.Errorf("%d warning lines; want one saying the database could not be written:\n%s", warnings, stderr.String())
	}
	r := runGanbook(t, dir, nil, "runs", "--json", "--db", url)
	var runs []listedRun
	if err := json.Unmarshal([]byte(r.stdout), &runs); err != nil || len(runs) != 1 {
		t.Fatalf("runs: %v\n%s\n%s", err, r.stdout, r.stderr)
	}
	if runs[0].Status != "FINISHED" || runs[0].Metrics["d_loss"].Count != steps || runs[0].Metrics["g_loss"].Count != steps {
		t.Errorf("run %+v; want FINISHED with %d points of each loss", runs[0], steps)
	}
	if strings.Contains(stderr.String()+stdout.String(), srv.Password) {
		t.Error("the output shows the password")
	}
}

// The server goes away for good: once the run's buffer (GANBOOK_MAX_BUFFERED
// points) is full, training stops with a checkpoint and a clear error.
func TestPostgresUnreachablePastTheBuffer(t *testing.T) {
	if testing.Short() {
		t.Skip("trains until the buffer fills; skipped with -short")
	}
	srv, err := pgtest.Start()
	if err != nil {
		pgtest.Unavailable(t, err)
	}
	defer srv.Stop()
	url := srv.NewDatabase(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "run")
	cmd := exec.Command(ganbookBin, "train", "--db", url, "--steps", "100000", "--progress-every", "1",
		"--sample-every", "0", "--checkpoint-every", "0", "--out", out)
	cmd.Dir = dir
	// 5 points a step: the buffer holds 40 steps.
	cmd.Env = append(os.Environ(), "GOMLX_BACKEND=go", "GOMLX_NO_AUTO_INSTALL=1", "GANBOOK_MAX_BUFFERED=200")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var stderr strings.Builder
	stepLine := regexp.MustCompile(`^step (\d+)/`)
	started := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pipe)
		n := 0
		for sc.Scan() {
			stderr.WriteString(sc.Text() + "\n")
			if stepLine.MatchString(sc.Text()) {
				if n++; n == 10 {
					close(started)
				}
			}
		}
	}()
	select {
	case <-started:
	case <-time.After(3 * time.Minute):
		t.Fatal("no 10 steps in 3 minutes")
	}
	srv.Stop()
	err = cmd.Wait()
	<-done
	if err == nil {
		t.Fatalf("train exited 0 with the database gone\n%s", stderr.String())
	}
	msg := stderr.String()
	for _, want := range []string{"could not be written for longer than the memory buffer lasts", "checkpoint saved in " + out, "--resume"} {
		if !strings.Contains(msg, want) {
			t.Errorf("stderr lacks %q:\n%s", want, msg)
		}
	}
	if strings.Count(msg, "warning: ") != 1 {
		t.Errorf("want one warning line:\n%s", msg)
	}
	if strings.Contains(msg+stdout.String(), srv.Password) {
		t.Error("the output shows the password")
	}
	entries, _ := os.ReadDir(out)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !strings.Contains(strings.Join(names, " "), "checkpoint") {
		t.Errorf("no checkpoint in %s: %v", out, names)
	}
}

// The server goes down as the training ends and is back 10 s later, within
// the wait GANBOOK_FLUSH_WAIT sets: the end of the run says it waits, then
// stores every point and the run ends FINISHED.
func TestPostgresDownAtTheEndOfARun(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a restarted server; skipped with -short")
	}
	srv, err := pgtest.Start()
	if err != nil {
		pgtest.Unavailable(t, err)
	}
	defer srv.Stop()
	url := srv.NewDatabase(t)
	dir := t.TempDir()
	const steps = 300
	cmd := exec.Command(ganbookBin, "train", "--db", url, "--steps", strconv.Itoa(steps), "--batch", "8", "--progress-every", "1",
		"--sample-every", "0", "--checkpoint-every", "0", "--out", filepath.Join(dir, "run"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOMLX_BACKEND=go", "GOMLX_NO_AUTO_INSTALL=1", "GANBOOK_FLUSH_WAIT=45s")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var stderr strings.Builder
	stepLine := regexp.MustCompile(`^step (\d+)/`)
	near := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pipe)
		closed := false
		for sc.Scan() {
			stderr.WriteString(sc.Text() + "\n")
			if m := stepLine.FindStringSubmatch(sc.Text()); m != nil && !closed {
				if n, _ := strconv.Atoi(m[1]); n >= steps-3 {
					close(near)
					closed = true
				}
			}
		}
	}()
	select {
	case <-near:
	case <-time.After(5 * time.Minute):
		t.Fatal("the training did not near its end in 5 minutes")
	}
	if err := srv.Restart(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		<-done
		t.Fatalf("train: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	<-done
	msg := stderr.String()
	if !strings.Contains(msg, "cannot be written") || !strings.Contains(msg, "waiting up to 45s") {
		t.Errorf("stderr does not say the end of the run waits up to 45s:\n%s", msg)
	}
	r := runGanbook(t, dir, nil, "runs", "--json", "--db", url)
	var runs []listedRun
	if err := json.Unmarshal([]byte(r.stdout), &runs); err != nil || len(runs) != 1 {
		t.Fatalf("runs: %v\n%s\n%s", err, r.stdout, r.stderr)
	}
	if runs[0].Status != "FINISHED" || runs[0].Metrics["d_loss"].Count != steps || runs[0].Metrics["g_loss"].Count != steps {
		t.Errorf("run %+v; want FINISHED with %d points of each loss", runs[0], steps)
	}
	if strings.Contains(msg+stdout.String(), srv.Password) {
		t.Error("the output shows the password")
	}
}
