package main

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ganbook/ganbook/gan"
)

// evalLineRe matches the quality report `ganbook train --eval-every` prints.
var evalLineRe = regexp.MustCompile(`^step (\d+): FID ([0-9.]+)\s+coverage (\d+)/10\s+KL\(classes‖uniform\) ([0-9.]+)`)

type evalPoint struct {
	fid, kl  float64
	coverage int
}

// evalPoints reads every quality report in text, by step (the first report
// of a step wins).
func evalPoints(t *testing.T, text string) map[int]evalPoint {
	t.Helper()
	points := map[int]evalPoint{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		m := evalLineRe.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		step, _ := strconv.Atoi(m[1])
		if _, seen := points[step]; seen {
			continue
		}
		fid, err1 := strconv.ParseFloat(m[2], 64)
		coverage, err2 := strconv.Atoi(m[3])
		kl, err3 := strconv.ParseFloat(m[4], 64)
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatalf("unreadable report %q", sc.Text())
		}
		points[step] = evalPoint{fid: fid, kl: kl, coverage: coverage}
	}
	return points
}

// TestDefaultRecipeCoversAllDigits trains the default recipe exactly as the
// README's default run does (12,500 steps, about five minutes on two cores)
// and checks what the README and tutorial 08 claim from the committed record
// tutorials/measured/default-run.txt: all 10 digit classes drawn at the end,
// and the same FID, coverage and KL at every evaluation (training is
// deterministic on a given CPU type). After a change that alters training on
// purpose, re-record: ganbook train --out DIR --eval-every 2500, its output
// into that file, and update the README's figures.
func TestDefaultRecipeCoversAllDigits(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: trains the default recipe for about five minutes")
	}
	record, err := os.ReadFile(filepath.Join("..", "..", "tutorials", "measured", "default-run.txt"))
	if err != nil {
		t.Fatal(err)
	}
	steps := gan.DefaultConfig().Steps
	want := evalPoints(t, string(record))
	if len(want) != steps/2500 {
		t.Fatalf("the record has %d quality reports, want %d (steps 2500 to %d)", len(want), steps/2500, steps)
	}
	dir := t.TempDir()
	res := runGanbook(t, dir, nil, "train", "--db", filepath.Join(dir, "runs.db"), "--out", filepath.Join(dir, "run"),
		"--eval-every", "2500", "--progress-every", "2500")
	if res.exitCode != 0 {
		t.Fatalf("ganbook train exited with %d\nstdout:\n%s\nstderr:\n%s", res.exitCode, res.stdout, res.stderr)
	}
	got := evalPoints(t, res.stdout+res.stderr)
	for step, w := range want {
		g, ok := got[step]
		switch {
		case !ok:
			t.Errorf("step %d: no quality report in the output", step)
		case g.coverage != w.coverage || g.fid != w.fid || g.kl != w.kl:
			t.Errorf("step %d: FID %g coverage %d KL %g; the record (and README) say FID %g coverage %d KL %g",
				step, g.fid, g.coverage, g.kl, w.fid, w.coverage, w.kl)
		}
	}
	if last := got[steps]; last.coverage != 10 {
		t.Errorf("the default recipe covers %d of 10 digit classes at the end", last.coverage)
	}
}
