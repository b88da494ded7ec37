package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/gan/quality"
	"github.com/ganbook/ganbook/gantrack"
	"github.com/ganbook/ganbook/tracker"
)

// exitProcess ends the process when a training step hangs.
var exitProcess = os.Exit

type trainFlags struct {
	cfg     gan.Config
	out     string
	dataDir string
	resume  bool

	db, name, experiment string
	tags                 []string
	reproducedFrom       string // set by `ganbook reproduce`
	progressEvery        int
	evalEvery            int
	evalSamples          int
}

// trainResult is what a finished training run leaves behind.
type trainResult struct {
	runID      string
	last       gan.StepMetrics
	samplePath string
}

func newTrainCommand() *cobra.Command {
	cmd, _ := newTrainCommandFlags()
	return cmd
}

// newTrainCommandFlags returns the train command and the settings its flags
// are parsed into.
func newTrainCommandFlags() (*cobra.Command, *trainFlags) {
	f := &trainFlags{cfg: gan.DefaultConfig()}
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train a GAN and record the run",
		Long: `Train a GAN: one discriminator step then one generator step per iteration,
each with its own Adam optimiser. Samples of a fixed noise batch are written to
OUT/samples every --sample-every steps, checkpoints to OUT/checkpoints every
--checkpoint-every steps; --resume continues the run in OUT bitwise.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			applyModelDefaults(cmd.Flags(), &f.cfg)
			// --epochs replaces the default --steps unless both were given.
			if cmd.Flags().Changed("epochs") && !cmd.Flags().Changed("steps") {
				f.cfg.Steps = 0
			}
			_, err := runTrain(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), f)
			return err
		},
	}
	fl := cmd.Flags()
	c := &f.cfg
	fl.StringVar(&c.Model, "model", c.Model, "architecture: mlp or dcgan, or their class-conditional cmlp and cdcgan (each pair has its own defaults below)")
	fl.StringVar(&c.Dataset, "dataset", c.Dataset, "training data: mnist or fashion")
	fl.StringVar(&c.Loss, "loss", c.Loss, "loss: nonsaturating, minimax or hinge")
	fl.IntVar(&c.Steps, "steps", c.Steps, "D+G iterations to train (or give --epochs)")
	fl.IntVar(&c.Epochs, "epochs", 0, "passes over the training set (instead of --steps)")
	fl.IntVar(&c.Batch, "batch", c.Batch, "batch size")
	fl.IntVar(&c.LatentDim, "latent-dim", c.LatentDim, "size of the noise vector z")
	fl.Float64Var(&c.LRD, "lr-d", c.LRD, "discriminator learning rate (Adam)")
	fl.Float64Var(&c.LRG, "lr-g", c.LRG, "generator learning rate (Adam)")
	fl.Float64Var(&c.Beta1, "beta1", c.Beta1, "Adam β1 for both optimisers")
	fl.Float64Var(&c.Beta2, "beta2", c.Beta2, "Adam β2 for both optimisers")
	fl.Float64Var(&c.RealLabel, "real-label", c.RealLabel, "D's target for real images (1 = plain BCE, 0.9 = one-sided label smoothing)")
	fl.Float64Var(&c.DropoutD, "dropout-d", c.DropoutD, "dropout rate after each hidden layer of the discriminator while it trains (0 = none)")
	fl.StringVar(&c.NormD, "norm-d", c.NormD, "normalisation in the dcgan and cdcgan discriminators: batch or none (empty: the architecture's batch norm)")
	fl.Float64Var(&c.EMA, "ema", c.EMA, "decay of a moving average of G's weights that samples and evaluation use, e.g. 0.999 (0: none, G's raw weights)")
	fl.IntVar(&c.PreciseBN, "precise-bn", c.PreciseBN, "measure the generator's batch-norm statistics over this many latent vectors before it draws samples or is saved (0: its running averages; dcgan and cdcgan only)")
	fl.Int64Var(&c.Seed, "seed", c.Seed, "random seed (weights, noise, batch order)")
	fl.IntVar(&c.SampleEvery, "sample-every", c.SampleEvery, "steps between sample grids (0: only at the end)")
	fl.IntVar(&c.CheckpointEvery, "checkpoint-every", c.CheckpointEvery, "steps between checkpoints (0: only at the end)")
	fl.IntVar(&c.SampleGrid, "sample-grid", c.SampleGrid, "the sample grid is N×N images")
	fl.StringVar(&f.out, "out", "", "output directory for samples and checkpoints (default runs/<time>)")
	fl.StringVar(&f.dataDir, "data-dir", "", "directory holding the dataset's IDX files (default: the shipped copies)")
	fl.BoolVar(&f.resume, "resume", false, "continue the run whose checkpoints are in --out")
	fl.IntVar(&f.progressEvery, "progress-every", 0, "without a terminal, print a progress line every N steps (default: every 5% of the run)")
	fl.IntVar(&f.evalEvery, "eval-every", 0, "measure MNIST-FID, class coverage and confidence every N steps and at the end (0: never)")
	fl.IntVar(&f.evalSamples, "eval-samples", quality.DefaultSamples, "generated images each --eval-every measurement uses")
	fl.StringVar(&f.db, "db", defaultDB(), "tracker database (env GANBOOK_DB)")
	fl.StringVar(&f.name, "name", "", "run name in the tracker (default: the id's first 8 digits)")
	fl.StringVar(&f.experiment, "experiment", "", "experiment the run belongs to (default DATASET-MODEL)")
	fl.StringArrayVar(&f.tags, "tag", nil, "tag the run, key=value (repeatable)")
	describeModelDefaults(fl)
	return cmd, f
}

func runTrain(ctx context.Context, stdout, stderr io.Writer, f *trainFlags) (res trainResult, err error) {
	cfg := f.cfg
	if err := cfg.Validate(); err != nil {
		return res, inFlagTerms(err)
	}
	tags, err := parseTags("--tag", f.tags)
	if err != nil {
		return res, err
	}
	if f.resume && f.out == "" {
		return res, errors.New("--resume needs --out, the directory of the run to continue")
	}
	if f.out == "" {
		f.out = filepath.Join("runs", time.Now().Format("20060102-150405"))
	}
	if f.dataDir != "" {
		if st, err := os.Stat(f.dataDir); err != nil || !st.IsDir() {
			return res, fmt.Errorf("--data-dir %s: not a readable directory", f.dataDir)
		}
	}
	training, err := gantrack.NewTraining(cfg, gantrack.Setup{
		DataDir: f.dataDir, BackendLog: stderr, Options: gan.Options{OutDir: f.out, Resume: f.resume},
	})
	if err != nil {
		return res, inFlagTerms(err)
	}
	ds, backend, trainer, total := training.Data, training.Backend, training.Trainer, training.TotalSteps

	store, err := openStore(f.db)
	if err != nil {
		return res, err
	}
	defer store.Close()
	spec := gantrack.RunSpec{Experiment: f.experiment, Name: f.name, Tags: tags, OutDir: f.out, ReproducedFrom: f.reproducedFrom}
	if f.resume {
		if prev, err := os.ReadFile(runIDFile(f.out)); err == nil {
			spec.ParentID = strings.TrimSpace(string(prev))
		}
	}
	rec, err := gantrack.Start(ctx, store, training, spec)
	if err != nil {
		return res, err
	}
	res.runID = rec.Run().ID()
	rec.WarnTo(stderr, bufferBound())
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return res, rec.End(err)
	}
	if err := os.WriteFile(runIDFile(f.out), []byte(res.runID+"\n"), 0o644); err != nil {
		return res, rec.End(err)
	}
	fmt.Fprintf(stderr, "ganbook: run %s (%s) in %s: training %s on %s (%d images), %s loss, %d steps of batch %d, backend %s, output %s\n",
		res.runID[:8], rec.Run().Name(), tracker.RedactURL(f.db), cfg.Model, cfg.Dataset, ds.N, cfg.Loss, total, cfg.Batch, backend.Name(), f.out)

	progress := newProgress(stderr, trainer.Step(), total, f.progressEvery)
	var evalErr error // the first evaluation error; training goes on, the run ends FAILED
	var evaluator *generatorEvaluator
	if f.evalEvery > 0 {
		if evaluator, err = newGeneratorEvaluator(backend, cfg, f.dataDir, f.evalSamples); err != nil {
			return res, rec.End(err)
		}
	}
	evaluate := func(step int) {
		report, err := evaluator.evaluate(trainer.Generate)
		if err != nil {
			if evalErr == nil {
				evalErr = fmt.Errorf("evaluating at step %d: %w", step, err)
			}
			return
		}
		rec.Metrics(step, reportMetrics(report))
		progress.note(func(w io.Writer) { printReport(w, step, report) })
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A tracker that can keep no more points (the database unreachable for
	// longer than its buffer lasts) ends the training, which then saves a
	// checkpoint as on Ctrl-C.
	ctx, abandon := context.WithCancelCause(ctx)
	defer abandon(nil)
	start := time.Now()
	last, err := trainer.Run(ctx, gan.RunOptions{Hooks: gan.Hooks{
		OnStep: func(m gan.StepMetrics) {
			rec.Step(m)
			if errors.Is(rec.Err(), tracker.ErrBacklog) {
				abandon(rec.Err())
			}
			progress.step(m)
			if evaluator != nil && (m.Step%f.evalEvery == 0 || m.Step == total) {
				evaluate(m.Step)
			}
		},
		OnSample: func(step int, path string, png []byte) {
			res.samplePath = path
			rec.Sample(step, png)
		},
		OnSlowStep: func(step int, elapsed time.Duration) {
			stacks := filepath.Join(f.out, fmt.Sprintf("slow-step-%d-goroutines.txt", step))
			if file, err := os.Create(stacks); err == nil {
				_ = pprof.Lookup("goroutine").WriteTo(file, 2)
				file.Close()
			}
			fmt.Fprintf(stderr, "\nganbook: step %d has run for %s: the go backend may be deadlocked "+
				"(GOMLX_BACKEND=go:parallelism=-1 avoids it); goroutine stacks in %s; the run is aborted after 15 minutes\n",
				step, elapsed, stacks)
		},
		OnStepTimeout: func(step int, limit time.Duration) {
			// The step cannot be interrupted: record the failure and end the process.
			err := fmt.Errorf("%w: step %d has run for over %s; the go backend may be deadlocked", gan.ErrStepTimeout, step, limit)
			fmt.Fprintf(stderr, "\nganbook: %v; run %s marked FAILED\n", err, res.runID[:8])
			_ = rec.End(err)
			_ = store.Close()
			exitProcess(1)
		},
	}})
	progress.finish()
	res.last = last
	if err == nil && evalErr != nil {
		err = evalErr
	}
	if cause := context.Cause(ctx); errors.Is(err, context.Canceled) && errors.Is(cause, tracker.ErrBacklog) {
		err = fmt.Errorf("stopped at step %d/%d: the tracker database %s could not be written for longer than the memory buffer lasts: %w; checkpoint saved in %s (continue with --resume --out %s once the database is back)",
			trainer.Step(), total, tracker.RedactURL(f.db), cause, f.out, f.out)
	}
	err = rec.End(err)
	if errors.Is(err, tracker.ErrNotStored) {
		err = fmt.Errorf("%w; the training itself is saved: checkpoint in %s (%s sets how long the end of a run waits for the database)", err, f.out, flushWaitEnv)
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(stdout, "interrupted at step %d/%d; checkpoint saved in %s (continue with --resume --out %s); run %s marked KILLED\n",
			trainer.Step(), total, f.out, f.out, res.runID[:8])
		return res, &exitError{code: 130, err: errors.New("interrupted")}
	}
	if err != nil {
		return res, err
	}
	fmt.Fprintf(stdout, "step %d/%d  D loss %.4f  G loss %.4f  D(x) %.3f  D(G(z)) %.3f  (%s)\n",
		last.Step, total, last.DLoss, last.GLoss, last.DReal, last.DFake, time.Since(start).Round(time.Second))
	fmt.Fprintf(stdout, "samples: %s\n", res.samplePath)
	fmt.Fprintf(stdout, "run: %s (ganbook show %s --db %s)\n", res.runID, res.runID[:8], tracker.RedactURL(f.db))
	return res, nil
}

// progress draws a bar on a terminal, and a line every 5% elsewhere (CI logs).
type progress struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	total int
	every int
}

func newProgress(w io.Writer, done, total, every int) *progress {
	if every <= 0 {
		every = max(1, total/20)
	}
	p := &progress{w: w, total: total, every: every}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(20),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionSetPredictTime(true),
		)
		_ = p.bar.Set(done)
	}
	return p
}

func (p *progress) step(m gan.StepMetrics) {
	desc := fmt.Sprintf("D %.3f G %.3f D(x) %.2f D(G(z)) %.2f %5.0f img/s", m.DLoss, m.GLoss, m.DReal, m.DFake, m.ImagesPerSec)
	if p.bar != nil {
		p.bar.Describe(desc)
		_ = p.bar.Set(m.Step)
		return
	}
	if m.Step%p.every == 0 || m.Step == 1 {
		fmt.Fprintf(p.w, "step %d/%d  %s\n", m.Step, p.total, desc)
	}
}

// note prints a line between progress updates.
func (p *progress) note(print func(io.Writer)) {
	if p.bar != nil {
		_ = p.bar.Clear()
	}
	print(p.w)
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
		fmt.Fprintln(p.w)
	}
}
