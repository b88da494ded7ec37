package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ganbook/ganbook/gan"
)

// dcganRecipeSeeds are the seeds of the DCGAN default recipe's records,
// tutorials/measured/dcgan-default/seed<N>.txt: each is `ganbook train` with
// the recipe spelled out as flags, then `ganbook eval` of its last step.
var dcganRecipeSeeds = []int64{1, 2, 3, 4, 5}

func dcganRecipeRecord(t *testing.T, seed int64) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "tutorials", "measured", "dcgan-default", fmt.Sprintf("seed%d.txt", seed)))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// recordedTrainArgs returns the arguments of the `ganbook train` command a
// record's first line names.
func recordedTrainArgs(t *testing.T, record string) []string {
	t.Helper()
	first, _, _ := strings.Cut(record, "\n")
	_, args, ok := strings.Cut(first, "ganbook train ")
	if !ok {
		t.Fatalf("the record's first line names no `ganbook train` command: %q", first)
	}
	return strings.Fields(args)
}

// The DCGAN's defaults are what the five recorded runs trained: each record's
// command, parsed by `ganbook train`'s own flags, gives gan.DCGANConfig with
// that seed; and every run's first evaluation at its last step (as the run
// draws) covers all ten digits. The retrain takes ten minutes a seed, too long for the suite;
// TestDCGANDefaultRecipeStartsAsRecorded ties the records to the code.
func TestDCGANDefaultRecipeRecords(t *testing.T) {
	for _, seed := range dcganRecipeSeeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			record := dcganRecipeRecord(t, seed)
			cmd, f := newTrainCommandFlags()
			if err := cmd.Flags().Parse(recordedTrainArgs(t, record)); err != nil {
				t.Fatal(err)
			}
			applyModelDefaults(cmd.Flags(), &f.cfg)
			want := gan.DCGANConfig()
			want.Seed = seed
			if f.cfg != want {
				t.Errorf("the record trained\n %+v\nthe DCGAN's defaults (seed %d) are\n %+v", f.cfg, seed, want)
			}
			points := evalPoints(t, record)
			last, ok := points[want.Steps]
			if !ok {
				t.Fatalf("no quality report at step %d", want.Steps)
			}
			if last.coverage != 10 {
				t.Errorf("step %d: %d of 10 digits covered", want.Steps, last.coverage)
			}
		})
	}
}

// progressLineRe matches a training progress line: step, D and G losses,
// D(x), D(G(z)).
var progressLineRe = regexp.MustCompile(`^step (\d+)/\d+\s+D ([0-9.]+) G ([0-9.]+) D\(x\) ([0-9.]+) D\(G\(z\)\) ([0-9.]+)`)

// progressAt returns the losses and D outputs text reports at step.
func progressAt(text string, step int) (string, bool) {
	for _, line := range strings.Split(text, "\n") {
		if m := progressLineRe.FindStringSubmatch(strings.TrimSpace(line)); m != nil && m[1] == fmt.Sprint(step) {
			return strings.Join(m[2:], " "), true
		}
	}
	return "", false
}

// `ganbook train --model dcgan` with its defaults trains what the seed-1
// record trained: the first 1,000 steps (about 90 s) end at the same losses
// and discriminator outputs as the record's progress line at step 1,000
// (training is deterministic on a given CPU type).
func TestDCGANDefaultRecipeStartsAsRecorded(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: trains the DCGAN for 1,000 steps")
	}
	const step = 1000
	want, ok := progressAt(dcganRecipeRecord(t, 1), step)
	if !ok {
		t.Fatalf("the seed-1 record has no progress line at step %d", step)
	}
	dir := t.TempDir()
	res := runGanbook(t, dir, nil, "train", "--model", "dcgan", "--steps", fmt.Sprint(step), "--progress-every", fmt.Sprint(step),
		"--db", filepath.Join(dir, "runs.db"), "--out", filepath.Join(dir, "run"))
	if res.exitCode != 0 {
		t.Fatalf("ganbook train exited with %d\nstdout:\n%s\nstderr:\n%s", res.exitCode, res.stdout, res.stderr)
	}
	got, ok := progressAt(res.stdout+res.stderr, step)
	if !ok {
		t.Fatalf("no progress line at step %d:\n%s%s", step, res.stdout, res.stderr)
	}
	if got != want {
		t.Errorf("step %d: D, G, D(x), D(G(z)) = %s; the record says %s", step, got, want)
	}
}

// classTableRe matches the header of a `ganbook eval-classes` table, and
// classRowRe one of its rows: class, the share of its samples the classifier
// labels as that class, its FID.
var (
	classTableRe = regexp.MustCompile(`^step (\d+): per-class samples`)
	classRowRe   = regexp.MustCompile(`^\s*(\d)\s+([0-9.]+)%\s+[0-9.]+`)
)

// lastClassTable returns the step of the last `ganbook eval-classes` table
// in text and its per-class accuracies in percent, by class.
func lastClassTable(t *testing.T, text string) (step int, accuracy map[int]float64) {
	t.Helper()
	step = -1
	for _, line := range strings.Split(text, "\n") {
		if m := classTableRe.FindStringSubmatch(line); m != nil {
			step, _ = strconv.Atoi(m[1]) // digits by the pattern
			accuracy = map[int]float64{}
		} else if m := classRowRe.FindStringSubmatch(line); m != nil && accuracy != nil {
			share, err := strconv.ParseFloat(m[2], 64)
			if err != nil {
				t.Fatalf("per-class row %q: %v", line, err)
			}
			accuracy[int(m[1][0]-'0')] = share
		}
	}
	if step < 0 {
		t.Fatal("no per-class table in the record")
	}
	return step, accuracy
}

// `--model cdcgan` takes the DCGAN's first recipe (gan.CDCGANConfig), and
// the record of that recipe's cdcgan (tutorials/measured/dcgan-default/cdcgan-seed1.txt) draws every
// digit as asked in at least 95 % of its samples at the last step.
func TestCDCGANDefaultRecipeRecord(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "tutorials", "measured", "dcgan-default", "cdcgan-seed1.txt"))
	if err != nil {
		t.Fatal(err)
	}
	record := string(data)
	cmd, f := newTrainCommandFlags()
	if err := cmd.Flags().Parse(recordedTrainArgs(t, record)); err != nil {
		t.Fatal(err)
	}
	applyModelDefaults(cmd.Flags(), &f.cfg)
	want := gan.CDCGANConfig()
	want.Seed = 1
	want.CheckpointEvery = f.cfg.CheckpointEvery // when checkpoints are written does not change training
	if f.cfg != want {
		t.Errorf("the record trained\n %+v\nthe cdcgan's defaults (seed 1) are\n %+v", f.cfg, want)
	}
	step, acc := lastClassTable(t, record)
	if step != want.Steps {
		t.Errorf("the record's last per-class table is of step %d, want the last step, %d", step, want.Steps)
	}
	if len(acc) != gan.NumClasses {
		t.Fatalf("the last per-class table has %d classes, want %d", len(acc), gan.NumClasses)
	}
	for class, share := range acc {
		if share < 95 {
			t.Errorf("class %d: %.2f %% of its samples drawn as asked, want ≥ 95 %%", class, share)
		}
	}
}
