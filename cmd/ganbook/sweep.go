package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/tracker"
)

// trialTag is the tag holding a run's trial index within its sweep.
const trialTag = tracker.TrialTag

// sweepSpecFile is the file in a sweep's directory that holds its spec and
// trial list, from which an interrupted sweep resumes.
const sweepSpecFile = "sweep.json"

// sweepSpec is a sweep: what its trials share and its trial list. The
// tracker stores it (its spec without DB and Trials, and the trials with
// their states); DIR/sweep.json keeps a copy with the database, from which
// `ganbook sweep --resume DIR` finds the sweep again.
type sweepSpec struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	DB      string    `json:"db,omitempty"`
	// Set is each --set as given; Seeds the --seeds list; Random the number
	// of random settings drawn (0 for a grid) and RandomSeed their seed.
	Set        []string `json:"set"`
	Seeds      []int64  `json:"seeds"`
	Random     int      `json:"random,omitempty"`
	RandomSeed uint64   `json:"random_seed,omitempty"`
	// TrainArgs are the `ganbook train` flags every trial gets, besides
	// --db, --seed, --out, --name and the sweep's tags.
	TrainArgs []string     `json:"train_args"`
	Trials    []sweepTrial `json:"trials,omitempty"`
}

// sweepTrial is one run of a sweep: a setting of the swept params and a seed.
type sweepTrial struct {
	Index  int               `json:"index"`
	Params map[string]string `json:"params"` // param (JSON name) → value
	Seed   int64             `json:"seed"`
}

// label is the trial's params and seed as "k=v k=v seed=N".
func (t sweepTrial) label() string {
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range t.Params {
			if !yield(k) {
				return
			}
		}
	})
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+t.Params[k])
	}
	return strings.Join(append(parts, fmt.Sprintf("seed=%d", t.Seed)), " ")
}

// sweepOnlyFlags are the train flags a sweep sets per trial itself.
var sweepOnlyFlags = []string{"seed", "out", "name", "resume"}

// specFlags are the flags that define a sweep's trials.
type specFlags struct {
	sets       []string
	seeds      string
	random     int
	randomSeed uint64
}

// addSpecFlags gives cmd every train flag but those a sweep sets per trial,
// and the flags that define the trials.
func addSpecFlags(cmd *cobra.Command) *specFlags {
	var sf specFlags
	train := newTrainCommand()
	train.Flags().VisitAll(func(f *pflag.Flag) {
		if !slices.Contains(sweepOnlyFlags, f.Name) {
			cmd.Flags().AddFlag(f)
		}
	})
	fl := cmd.Flags()
	fl.StringArrayVar(&sf.sets, "set", nil, "PARAM=V1,V2,... a swept param (repeatable); with --random also LOW..HIGH or log:LOW..HIGH")
	fl.StringVar(&sf.seeds, "seeds", "1", "seeds of every setting: 1-5 or 1,3,7")
	fl.IntVar(&sf.random, "random", 0, "draw this many random settings from the --set ranges instead of the grid")
	fl.Uint64Var(&sf.randomSeed, "random-seed", 1, "seed of the --random draws")
	return &sf
}

func (sf *specFlags) spec(fl *pflag.FlagSet) (sweepSpec, error) {
	return newSweepSpec(fl, sf.sets, sf.seeds, sf.random, sf.randomSeed)
}

func newSweepCommand() *cobra.Command {
	var (
		parallel   int
		dir        string
		resume     string
		staleAfter time.Duration
	)
	cmd := &cobra.Command{
		Use:   "sweep --set PARAM=V1,V2 ... [--seeds 1-5] [train flags]",
		Short: "Train many runs: a grid or random sample of params × seeds, in parallel worker processes",
		Long: `Sweep params over seeds. Each --set PARAM=V1,V2,... adds a grid axis (PARAM is a
param such as lr_d, or its flag name lr-d); --seeds 1-5 (or 1,3,7) repeats every
setting once per seed. With --random K, K settings are drawn instead of the
grid, from ranges --set PARAM=LOW..HIGH (uniform), PARAM=log:LOW..HIGH
(log-uniform) or a list (uniform choice).

The sweep (id, spec, trials and their states) is stored in the tracker. Every
trial is a normal ` + "`ganbook train`" + ` run (a separate process, --parallel at a
time) tagged sweep=ID and sweep_trial=INDEX, writing to DIR/trial-NNN; every
other train flag passes through. DIR/sweep.json names the sweep and its
database: ` + "`ganbook sweep --resume DIR`" + ` runs the trials not yet FINISHED
(FAILED ones again; an interrupted trial continues from its checkpoint).
Ctrl-C interrupts the running trials, which save a checkpoint and end KILLED.
At the end the trials are compared in seed groups (see compare --group).

On a PostgreSQL database, workers on many machines can share a sweep:
` + "`ganbook sweep create`" + ` stores one without running it, and ` + "`ganbook sweep work ID`" + `
on each machine claims and runs its trials.`,
		Args: cobra.NoArgs,
	}
	sf := addSpecFlags(cmd)
	fl := cmd.Flags()
	fl.IntVar(&parallel, "parallel", 1, "trials run at once, each in its own process")
	fl.StringVar(&dir, "dir", "", "sweep directory for sweep.json, trial outputs and logs (default runs/sweep-ID)")
	fl.StringVar(&resume, "resume", "", "resume the sweep stored in this directory")
	fl.DurationVar(&staleAfter, "stale-after", defaultStaleAfter, "a trial RUNNING elsewhere without a heartbeat for this long is taken over")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if parallel < 1 {
			return fmt.Errorf("--parallel %d: want at least 1", parallel)
		}
		if staleAfter < time.Second {
			return fmt.Errorf("--stale-after %v: want at least 1s", staleAfter)
		}
		ctx := cmd.Context()
		var spec sweepSpec
		if resume != "" {
			changed := false
			cmd.Flags().Visit(func(f *pflag.Flag) {
				if f.Name != "resume" && f.Name != "parallel" && f.Name != "stale-after" {
					changed = true
				}
			})
			if changed {
				return errors.New("--resume takes only --parallel and --stale-after: the sweep's other settings are in the tracker")
			}
			b, err := os.ReadFile(filepath.Join(resume, sweepSpecFile))
			if err != nil {
				return fmt.Errorf("--resume: %w", err)
			}
			if err := json.Unmarshal(b, &spec); err != nil {
				return fmt.Errorf("--resume %s: %w", filepath.Join(resume, sweepSpecFile), err)
			}
			dir = resume
		} else {
			var err error
			if spec, err = sf.spec(cmd.Flags()); err != nil {
				return err
			}
			if dir == "" {
				dir = filepath.Join("runs", "sweep-"+spec.ID)
			}
			if err := saveSweepSpec(dir, spec); err != nil {
				return err
			}
		}
		// A sweep, like train, creates its database: its trials record into it.
		store, err := openStore(spec.DB)
		if err != nil {
			return err
		}
		defer store.Close()
		if resume != "" {
			if spec, err = resumeSweep(ctx, cmd.OutOrStdout(), store, spec); err != nil {
				return err
			}
		} else if err := store.CreateSweep(ctx, spec.newSweep()); err != nil {
			os.Remove(filepath.Join(dir, sweepSpecFile))
			return fmt.Errorf("store the sweep: %w", err)
		}
		return runSweep(ctx, cmd.OutOrStdout(), store, dir, spec, parallel, staleAfter)
	}
	cmd.AddCommand(newSweepCreateCommand(), newSweepWorkCommand(), newSweepShowCommand())
	return cmd
}

// resumeSweep readies the sweep of a sweep.json for more work: its FAILED
// trials are PENDING again. A sweep.json written before sweeps were stored
// in the tracker has its sweep stored now, from the file's trial list.
func resumeSweep(ctx context.Context, stdout io.Writer, store *tracker.Store, spec sweepSpec) (sweepSpec, error) {
	sw, err := store.Sweep(ctx, spec.ID)
	if errors.Is(err, tracker.ErrNotFound) && len(spec.Trials) > 0 {
		if err := store.CreateSweep(ctx, spec.newSweep()); err != nil {
			return spec, fmt.Errorf("store the sweep: %w", err)
		}
		sw, err = store.Sweep(ctx, spec.ID)
	}
	if err != nil {
		return spec, fmt.Errorf("sweep %s: %w", spec.ID, err)
	}
	tracked, err := specFromTracker(sw)
	if err != nil {
		return spec, err
	}
	tracked.DB = spec.DB
	n, err := store.RetryTrials(ctx, spec.ID)
	if err != nil {
		return spec, err
	}
	if n > 0 {
		fmt.Fprintf(stdout, "%d FAILED trials of sweep %s are to run again\n", n, spec.ID)
	}
	return tracked, nil
}

// newSweepSpec builds a sweep from the command line: its trials and the
// train flags passed through.
func newSweepSpec(fl *pflag.FlagSet, sets []string, seedList string, random int, randomSeed uint64) (sweepSpec, error) {
	id, err := newSweepID()
	if err != nil {
		return sweepSpec{}, err
	}
	spec := sweepSpec{ID: id, Created: time.Now().UTC(), Set: sets, Random: random}
	if spec.Seeds, err = parseSeeds(seedList); err != nil {
		return spec, err
	}
	// The trials and a resume may run elsewhere: a file path is made absolute.
	if spec.DB, _ = fl.GetString("db"); !strings.Contains(spec.DB, "://") {
		if spec.DB, err = filepath.Abs(spec.DB); err != nil {
			return spec, err
		}
	}
	axes, err := parseSets(fl, sets)
	if err != nil {
		return spec, err
	}
	var settings []map[string]string
	if random > 0 {
		spec.RandomSeed = randomSeed
		if settings, err = drawSettings(axes, random, randomSeed); err != nil {
			return spec, err
		}
	} else {
		if settings, err = gridSettings(axes); err != nil {
			return spec, err
		}
	}
	for _, s := range settings {
		for _, seed := range spec.Seeds {
			spec.Trials = append(spec.Trials, sweepTrial{Index: len(spec.Trials), Params: s, Seed: seed})
		}
	}
	swept := map[string]bool{}
	for _, a := range axes {
		swept[a.flag] = true
	}
	fl.Visit(func(f *pflag.Flag) {
		if swept[f.Name] || sweepOwnFlag(f.Name) || f.Name == "db" {
			return
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			for _, v := range sv.GetSlice() {
				spec.TrainArgs = append(spec.TrainArgs, "--"+f.Name+"="+v)
			}
			return
		}
		spec.TrainArgs = append(spec.TrainArgs, "--"+f.Name+"="+f.Value.String())
	})
	return spec, validateTrials(spec)
}

// validateTrials checks each trial's train config before anything runs, so
// that a bad value fails the sweep at once rather than every trial later.
func validateTrials(spec sweepSpec) error {
	seen := map[string]bool{}
	for _, t := range spec.Trials {
		label := t.label()
		if seen[label] {
			continue
		}
		seen[label] = true
		cmd := newTrainCommand()
		args := append(slices.Clone(spec.TrainArgs), trialFlags(t)...)
		if err := cmd.Flags().Parse(args); err != nil {
			return fmt.Errorf("trial %d [%s]: %w", t.Index, label, err)
		}
		fields := map[string]json.RawMessage{}
		for _, name := range gan.ParamNames() {
			f := cmd.Flags().Lookup(strings.ReplaceAll(name, "_", "-"))
			if f == nil {
				continue
			}
			v := f.Value.String()
			if f.Value.Type() == "string" {
				b, _ := json.Marshal(v)
				v = string(b)
			}
			fields[name] = json.RawMessage(v)
		}
		b, err := json.Marshal(fields)
		if err != nil {
			return err
		}
		cfg, err := gan.ConfigFromJSON(b)
		if err == nil && cmd.Flags().Changed("epochs") && !cmd.Flags().Changed("steps") {
			cfg.Steps = 0
		}
		if err == nil {
			err = cfg.Validate()
		}
		if err != nil {
			return fmt.Errorf("trial %d [%s]: %w", t.Index, label, inFlagTerms(err))
		}
	}
	return nil
}

func sweepOwnFlag(name string) bool {
	switch name {
	case "set", "seeds", "parallel", "dir", "resume", "random", "random-seed":
		return true
	}
	return false
}

func newSweepID() (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// parseSeeds reads "1-5", "1,3,7" or a mix ("1-3,9").
func parseSeeds(s string) ([]int64, error) {
	var seeds []int64
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseInt(lo, 10, 64)
		b := a
		if err == nil && isRange {
			b, err = strconv.ParseInt(hi, 10, 64)
		}
		if err != nil || b < a {
			return nil, fmt.Errorf("--seeds %q: want seeds such as 1-5 or 1,3,7", s)
		}
		for v := a; v <= b; v++ {
			if !slices.Contains(seeds, v) {
				seeds = append(seeds, v)
			}
		}
	}
	return seeds, nil
}

// sweepAxis is one --set: a param, its train flag and its values (a list)
// or, for --random, a range.
type sweepAxis struct {
	param, flag string
	values      []string
	low, high   float64
	log, ranged bool
}

func parseSets(fl *pflag.FlagSet, sets []string) ([]sweepAxis, error) {
	var axes []sweepAxis
	for _, s := range sets {
		k, v, ok := strings.Cut(s, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.TrimSpace(v) == "" {
			return nil, fmt.Errorf("--set %q: want PARAM=V1,V2,...", s)
		}
		a := sweepAxis{param: strings.ReplaceAll(k, "-", "_"), flag: strings.ReplaceAll(k, "_", "-")}
		if a.param == "seed" {
			return nil, fmt.Errorf("--set %q: give seeds with --seeds", s)
		}
		if f := fl.Lookup(a.flag); f == nil || sweepOwnFlag(a.flag) {
			return nil, fmt.Errorf("--set %q: %s is not a train flag", s, configFlag(a.param))
		}
		if slices.ContainsFunc(axes, func(b sweepAxis) bool { return b.param == a.param }) {
			return nil, fmt.Errorf("--set %q: %s is set twice", s, a.param)
		}
		if lo, hi, isRange := strings.Cut(v, ".."); isRange {
			a.ranged = true
			lo, a.log = strings.CutPrefix(lo, "log:")
			var err1, err2 error
			a.low, err1 = strconv.ParseFloat(strings.TrimSpace(lo), 64)
			a.high, err2 = strconv.ParseFloat(strings.TrimSpace(hi), 64)
			if err1 != nil || err2 != nil || a.high < a.low || (a.log && a.low <= 0) {
				return nil, fmt.Errorf("--set %q: want LOW..HIGH or log:LOW..HIGH with LOW ≤ HIGH (and LOW > 0 for log)", s)
			}
		} else {
			for x := range strings.SplitSeq(v, ",") {
				a.values = append(a.values, strings.TrimSpace(x))
			}
		}
		axes = append(axes, a)
	}
	return axes, nil
}

// gridSettings is every combination of the axes' values, the first axis
// varying slowest.
func gridSettings(axes []sweepAxis) ([]map[string]string, error) {
	settings := []map[string]string{{}}
	for _, a := range axes {
		if a.ranged {
			return nil, fmt.Errorf("--set %s=%g..%g: a range needs --random K", a.param, a.low, a.high)
		}
		var next []map[string]string
		for _, s := range settings {
			for _, v := range a.values {
				m := map[string]string{a.param: v}
				for k, x := range s {
					m[k] = x
				}
				next = append(next, m)
			}
		}
		settings = next
	}
	return settings, nil
}

// drawSettings draws k settings: a list uniformly, a range uniformly or
// log-uniformly.
func drawSettings(axes []sweepAxis, k int, seed uint64) ([]map[string]string, error) {
	rng := mrand.New(mrand.NewPCG(seed, 0x5eed))
	var settings []map[string]string
	for range k {
		m := map[string]string{}
		for _, a := range axes {
			switch {
			case !a.ranged:
				m[a.param] = a.values[rng.IntN(len(a.values))]
			case a.log:
				m[a.param] = strconv.FormatFloat(math.Exp(math.Log(a.low)+rng.Float64()*(math.Log(a.high)-math.Log(a.low))), 'g', 4, 64)
			default:
				m[a.param] = strconv.FormatFloat(a.low+rng.Float64()*(a.high-a.low), 'g', 4, 64)
			}
		}
		settings = append(settings, m)
	}
	return settings, nil
}

func saveSweepSpec(dir string, spec sweepSpec) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--dir: %w", err)
	}
	path := filepath.Join(dir, sweepSpecFile)
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("--dir %s already holds a sweep: resume it with --resume %s, or choose another --dir", dir, dir)
	}
	b, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// runSweep works the sweep's trials from this process, parallel at a
// time, then prints the seed groups. Trials RUNNING in another process
// (their heartbeat fresh) are left to it.
func runSweep(ctx context.Context, stdout io.Writer, store *tracker.Store, dir string, spec sweepSpec, parallel int, staleAfter time.Duration) error {
	trials, err := store.Trials(ctx, spec.ID)
	if err != nil {
		return err
	}
	done, elsewhere := 0, 0
	for _, t := range trials {
		switch {
		case t.Status == tracker.TrialFinished:
			done++
		case t.Status == tracker.TrialRunning && time.Since(t.Heartbeat) < staleAfter:
			elsewhere++
			fmt.Fprintf(stdout, "trial %d [%s] is RUNNING in another process (%s): left to it\n", t.Index, trialOf(t).label(), t.Worker)
		}
	}
	fmt.Fprintf(stdout, "sweep %s in %s: %d trials, %d finished before, %d to run, %d at a time\n",
		spec.ID, dir, len(trials), done, len(trials)-done-elsewhere, parallel)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	failed, err := workSweep(ctx, stdout, store, dir, spec, workOptions{worker: workerName(), slots: parallel, staleAfter: staleAfter})
	if err != nil {
		return err
	}
	sw, err := store.Sweep(context.Background(), spec.ID)
	if err != nil {
		return err
	}
	finished := sw.Counts[tracker.TrialFinished]
	if ctx.Err() != nil {
		fmt.Fprintf(stdout, "sweep %s interrupted: %d/%d trials finished; continue with ganbook sweep --resume %s\n", spec.ID, finished, sw.Trials, dir)
		return &exitError{code: 130, err: errors.New("interrupted")}
	}
	fmt.Fprintf(stdout, "sweep %s: %d/%d trials finished\n", spec.ID, finished, sw.Trials)
	if finished > 0 {
		sel := groupSelection{all: true, sweep: spec.ID}
		runs, err := sel.runs(context.Background(), store, nil)
		if err != nil {
			return err
		}
		if err := printGroups(stdout, groupRuns(runs, sel)); err != nil {
			return err
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d trials failed (rerun them with ganbook sweep --resume %s):\n  %s", len(failed), dir, strings.Join(failed, "\n  "))
	}
	return nil
}

func trialDir(dir string, t sweepTrial) string {
	return filepath.Join(dir, fmt.Sprintf("trial-%03d", t.Index))
}
func trialLog(dir string, t sweepTrial) string { return trialDir(dir, t) + ".log" }

// runTrial runs one trial as a `ganbook train` process, continuing it from
// its checkpoint when an earlier attempt left one, and returns its run id
// (also for a failed attempt, when the run had started). When ctx ends the
// process gets SIGINT, saves a checkpoint and exits. It dies with this
// process, so that a worker killed outright leaves no trial training on
// unwatched. started, if not nil, gets the run id once the run has started.
func runTrial(ctx context.Context, exe, dir string, spec sweepSpec, t sweepTrial, started func(runID string)) (string, error) {
	out := trialDir(dir, t)
	args := append(append([]string{"train"}, spec.TrainArgs...), trialFlags(t)...)
	args = append(args, "--db="+spec.DB, "--out="+out,
		"--name="+fmt.Sprintf("%s-t%03d", spec.ID, t.Index),
		"--tag="+sweepTag+"="+spec.ID, "--tag="+trialTag+"="+strconv.Itoa(t.Index))
	if hasCheckpoint(out) {
		args = append(args, "--resume")
	}
	previous := readRunID(out)
	newRunID := func() string {
		if id := readRunID(out); id != previous {
			return id
		}
		return ""
	}
	logFile, err := os.OpenFile(trialLog(dir, t), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return "", err
	}
	defer logFile.Close()
	fmt.Fprintf(logFile, "$ ganbook %s\n", strings.Join(redactArgs(args), " "))
	cmd := exec.Command(exe, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group: Ctrl-C reaches the trial once, through us.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	dieWithParent(cmd.SysProcAttr)
	if err := cmd.Start(); err != nil {
		return "", err
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	poll := time.NewTicker(200 * time.Millisecond)
	defer poll.Stop()
	reported := false
	for done := false; !done; {
		select {
		case err = <-waited:
			done = true
		case <-ctx.Done():
			_ = cmd.Process.Signal(os.Interrupt)
			err = <-waited
			done = true
		case <-poll.C:
			if id := newRunID(); id != "" && !reported && started != nil {
				reported = true
				started(id)
			}
		}
	}
	id := newRunID()
	if err != nil {
		return id, fmt.Errorf("ganbook train: %w: %s", err, lastLine(trialLog(dir, t)))
	}
	if id == "" {
		return "", fmt.Errorf("ganbook train wrote no run id to %s", runIDFile(out))
	}
	return id, nil
}

// readRunID is the run id a train process wrote to its output directory;
// empty when there is none.
func readRunID(out string) string {
	b, err := os.ReadFile(runIDFile(out))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// redactArgs is args with the password of a --db URL hidden, for logs.
func redactArgs(args []string) []string {
	out := slices.Clone(args)
	for i, a := range out {
		if v, ok := strings.CutPrefix(a, "--db="); ok {
			out[i] = "--db=" + tracker.RedactURL(v)
		}
	}
	return out
}

// trialFlags are the train flags setting a trial's swept params and seed.
func trialFlags(t sweepTrial) []string {
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range t.Params {
			if !yield(k) {
				return
			}
		}
	})
	var args []string
	for _, k := range keys {
		args = append(args, configFlag(k)+"="+t.Params[k])
	}
	return append(args, "--seed="+strconv.FormatInt(t.Seed, 10))
}

// hasCheckpoint reports whether a trial's output directory holds a
// checkpoint to continue from.
func hasCheckpoint(out string) bool {
	entries, err := os.ReadDir(filepath.Join(out, "checkpoints"))
	return err == nil && len(entries) > 0
}

// lastLine is the last non-blank line of a file: a failed trial's error.
func lastLine(path string) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
