package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gomlx/compute"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/gan/data"
	"github.com/ganbook/ganbook/gan/quality"
	"github.com/ganbook/ganbook/gantrack"
	"github.com/ganbook/ganbook/tracker"
)

// evalSampleSeed fixes the latent vectors of every evaluation, so that two
// runs (or two checkpoints of one run) are measured on the same z.
const evalSampleSeed = 1

// generatorEvaluator measures a run's generator with the committed classifier
// of the run's dataset against that dataset's test split. The classifier and
// the test split's features are loaded once and reused, so evaluating every N
// steps (--eval-every) costs only the samples' pass through the classifier.
type generatorEvaluator struct {
	extractor *quality.Extractor
	reference *data.Dataset
	sampling  quality.SampleOptions
}

// newGeneratorEvaluator prepares the evaluation of runs with configuration cfg
// over samples generated images (0: quality.DefaultSamples).
func newGeneratorEvaluator(backend compute.Backend, cfg gan.Config, dataDir string, samples int) (*generatorEvaluator, error) {
	arch, err := gan.NewArchitecture(cfg.Model)
	if err != nil {
		return nil, err
	}
	ex, err := quality.LoadExtractor(backend, cfg.Dataset)
	if err != nil {
		return nil, err
	}
	ref, err := data.Load(cfg.Dataset, data.Test, data.Options{DataDir: dataDir, Scale: quality.InputRange})
	if err != nil {
		return nil, err
	}
	return &generatorEvaluator{
		extractor: ex,
		reference: ref,
		sampling: quality.SampleOptions{
			Samples:   samples,
			LatentDim: cfg.LatentDim,
			Seed:      evalSampleSeed,
			Range:     data.Range{Min: float32(arch.Low), Max: float32(arch.High)},
		},
	}, nil
}

// evaluate draws the samples from generate (e.g. a gan.Trainer's Generate)
// and measures them.
func (e *generatorEvaluator) evaluate(generate quality.GenerateFunc) (quality.Report, error) {
	return quality.EvaluateGenerator(e.extractor, generate, e.sampling, e.reference)
}

// evaluateCheckpoint measures the generator of the run whose checkpoints are
// in outDir (its latest checkpoint), trained with cfg.
func evaluateCheckpoint(backend compute.Backend, cfg gan.Config, outDir, dataDir string, samples int) (quality.Report, int, error) {
	ds, err := gan.LoadTrainingSet(cfg, dataDir)
	if err != nil {
		return quality.Report{}, 0, err
	}
	source, err := gan.NewSamplerSource(ds, cfg)
	if err != nil {
		return quality.Report{}, 0, err
	}
	// Resume loads the latest checkpoint; no step is trained.
	tr, err := gan.NewTrainer(backend, cfg, source, cfg.TotalSteps(ds.N), gan.Options{OutDir: outDir, Resume: true})
	if err != nil {
		return quality.Report{}, 0, fmt.Errorf("loading the checkpoint in %s: %w", outDir, err)
	}
	ev, err := newGeneratorEvaluator(backend, cfg, dataDir, samples)
	if err != nil {
		return quality.Report{}, 0, err
	}
	r, err := ev.evaluate(tr.Generate)
	return r, tr.Step(), err
}

// logReport records an evaluation as metrics of the run at step, and the
// extractor and sample count as tags, so that `ganbook show` and `compare`
// list them beside the losses.
func logReport(ctx context.Context, store *tracker.Store, runID string, step int, r quality.Report) error {
	if err := store.LogMetrics(ctx, runID, int64(step), reportMetrics(r)); err != nil {
		return err
	}
	if err := store.SetTag(ctx, runID, "eval_extractor", r.ExtractorID); err != nil {
		return err
	}
	return store.SetTag(ctx, runID, "eval_samples", strconv.Itoa(r.Samples))
}

func reportMetrics(r quality.Report) map[string]float64 {
	return map[string]float64{
		"fid": r.FID, "coverage": float64(r.Coverage), "kl_uniform": r.KLUniform, "mean_confidence": r.MeanConfidence,
	}
}

func printReport(w io.Writer, step int, r quality.Report) {
	fmt.Fprintf(w, "step %d: FID %.2f  coverage %d/10  KL(classes‖uniform) %.3f  mean confidence %.3f  (%d samples, %s, extractor %s)\n",
		step, r.FID, r.Coverage, r.KLUniform, r.MeanConfidence, r.Samples, r.Reference, r.ExtractorID)
	// Which classes are missing says more than the count: a marker flags every
	// class under the coverage threshold.
	var b strings.Builder
	for c, f := range r.ClassFractions {
		mark := ""
		if f < quality.CoverageThreshold {
			mark = "!"
		}
		fmt.Fprintf(&b, "  %d:%.1f%%%s", c, 100*f, mark)
	}
	fmt.Fprintf(w, "  classes%s\n", b.String())
}

func newEvalCommand() *cobra.Command {
	var dataDir string
	var samples int
	cmd := &cobra.Command{
		Use:   "eval RUN",
		Short: "Measure a run's generator (from its last checkpoint): MNIST-FID, class coverage, confidence",
		Long: `Draw samples from the generator in the run's last checkpoint and measure them with
ganbook's committed classifier of the run's dataset against its test split: the Fréchet
distance between the classifier's penultimate-layer features (MNIST-FID), how many classes
get at least 5 % of the samples, the KL divergence of the class histogram from uniform and
the mean classifier confidence. The results are stored as the run's metrics.`,
		Args: cobra.ExactArgs(1),
	}
	db := dbFlag(cmd)
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "directory holding the dataset's IDX files")
	cmd.Flags().IntVar(&samples, "samples", quality.DefaultSamples, "generated images to measure")
	gf := addGeneratorFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		return withStore(*db, false, func(store *tracker.Store) error {
			run, err := store.Run(ctx, args[0])
			if err != nil {
				return err
			}
			if run.Record == nil || len(run.Record.Config) == 0 {
				return fmt.Errorf("run %s has no recorded config", run.ID[:8])
			}
			cfg, err := gan.ConfigFromJSON(run.Record.Config)
			if err != nil {
				return fmt.Errorf("run %s: reading its recorded config: %w", run.ID[:8], err)
			}
			outDir := run.Tags[gantrack.TagOutDir]
			if outDir == "" {
				return fmt.Errorf("run %s has no %s tag: its checkpoints cannot be found", run.ID[:8], gantrack.TagOutDir)
			}
			backend, err := gan.NewBackend(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			genCfg, err := gf.config(cfg)
			if err != nil {
				return err
			}
			report, step, err := evaluateCheckpoint(backend, genCfg, outDir, dataDir, samples)
			if err != nil {
				return err
			}
			printReport(cmd.OutOrStdout(), step, report)
			if gf.overridden() {
				// The run's metrics are those of the generator it draws with.
				fmt.Fprintln(cmd.ErrOrStderr(), "ganbook eval: --raw-weights or --precise-bn measured another generator than the run's: not stored")
				return nil
			}
			return logReport(ctx, store, run.ID, step, report)
		})
	}
	return cmd
}
