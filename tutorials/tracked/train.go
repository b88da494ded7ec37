package tracked

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gomlx/compute"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/gan/data"
	"github.com/ganbook/ganbook/tracker"
)

// Metric keys a run logs at every step, as the ganbook command logs them.
const (
	DLoss        = "d_loss"
	GLoss        = "g_loss"
	DReal        = "d_real"
	DFake        = "d_fake"
	ImagesPerSec = "images_per_sec"
	// SamplesKey is the image key of the sample grids.
	SamplesKey = "samples"
	// ConfigTagKey is the tag that holds a run's ConfigTag.
	ConfigTagKey = "config"
)

// Spec names a run in the tracker and lets the caller watch it.
type Spec struct {
	Experiment string // default "notebooks"
	Name       string
	Tags       map[string]string
	// OutDir receives the trainer's checkpoints and sample PNGs; empty keeps them in memory.
	OutDir string
	// OnStep and OnSample, when set, are called after the step or sample is logged.
	OnStep   func(gan.StepMetrics)
	OnSample func(step int, png []byte)
}

// Result is what Train reports about a finished run.
type Result struct {
	RunID   string
	Last    gan.StepMetrics
	Samples []byte // the last sample grid, PNG
	Elapsed time.Duration
}

// Train trains cfg on ds (a training set loaded for cfg, see gan.LoadTrainingSet) with a fresh
// trainer, logging every step's metrics and every sample grid into a new run of store, with a
// reproducibility record (tracker.CollectEnvironment, plus backend, seed, configuration and
// dataset hashes) and the tags of spec plus "config" (ConfigTag). The run ends FINISHED, KILLED
// when ctx is cancelled, or FAILED with the training error; Train returns that error.
func Train(ctx context.Context, backend compute.Backend, store *tracker.Store, cfg gan.Config, ds *data.Dataset, spec Spec) (res Result, err error) {
	if err := cfg.Validate(); err != nil {
		return res, err
	}
	params := cfg.Params()
	source, err := gan.NewSamplerSource(ds, cfg)
	if err != nil {
		return res, err
	}
	trainer, err := gan.NewTrainer(backend, cfg, source, cfg.TotalSteps(ds.N), gan.Options{OutDir: spec.OutDir})
	if err != nil {
		return res, err
	}
	experiment := spec.Experiment
	if experiment == "" {
		experiment = "notebooks"
	}
	rec, err := tracker.CollectEnvironment(ctx, "")
	if err != nil {
		return res, err
	}
	rec.Backend, rec.Seed = gan.BackendDescription(backend), cfg.Seed
	if rec.Config, err = json.Marshal(cfg); err != nil {
		return res, err
	}
	for _, f := range ds.Files {
		rec.Datasets = append(rec.Datasets, tracker.FileHash{Path: f.Path, SHA256: f.SHA256})
	}
	tags := map[string]string{ConfigTagKey: ConfigTag(cfg)}
	for k, v := range spec.Tags {
		tags[k] = v
	}
	run, err := store.StartRun(ctx, experiment, spec.Name, params, tracker.WithTags(tags), tracker.WithRecord(rec))
	if err != nil {
		return res, fmt.Errorf("recording the run: %w", err)
	}
	res.RunID = run.ID()
	defer func() {
		endCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		switch {
		case err == nil:
			err = run.Finish(endCtx)
		case errors.Is(err, context.Canceled): // interrupted, as Ctrl-C in the command
			err = errors.Join(err, run.Kill(endCtx))
		default:
			err = errors.Join(err, run.Fail(endCtx, err))
		}
	}()
	var logErr error // the first tracker error: training goes on, the run ends FAILED
	keep := func(e error) {
		if e != nil && logErr == nil {
			logErr = e
		}
	}
	start := time.Now()
	res.Last, err = trainer.Run(ctx, gan.RunOptions{Hooks: gan.Hooks{
		OnStep: func(m gan.StepMetrics) {
			keep(run.LogMetrics(int64(m.Step), map[string]float64{
				DLoss: m.DLoss, GLoss: m.GLoss, DReal: m.DReal, DFake: m.DFake, ImagesPerSec: m.ImagesPerSec,
			}))
			if spec.OnStep != nil {
				spec.OnStep(m)
			}
		},
		OnSample: func(step int, _ string, png []byte) {
			res.Samples = png
			keep(run.LogImage(SamplesKey, int64(step), png))
			if spec.OnSample != nil {
				spec.OnSample(step, png)
			}
		},
	}})
	res.Elapsed = time.Since(start)
	if err == nil && logErr != nil {
		err = fmt.Errorf("recording the run: %w", logErr)
	}
	return res, err
}
