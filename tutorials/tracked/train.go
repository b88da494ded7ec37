package tracked

import (
	"context"
	"time"

	"github.com/gomlx/compute"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/gan/data"
	"github.com/ganbook/ganbook/gantrack"
	"github.com/ganbook/ganbook/tracker"
)

// Metric and image keys a run logs (gantrack's: the same for every caller).
var (
	DLoss        = gantrack.DLoss
	GLoss        = gantrack.GLoss
	DReal        = gantrack.DReal
	DFake        = gantrack.DFake
	ImagesPerSec = gantrack.ImagesPerSec
)

const (
	// SamplesKey is the image key of the sample grids.
	SamplesKey = gantrack.SamplesKey
	// ConfigTagKey is the tag that holds a run's ConfigTag.
	ConfigTagKey = gantrack.TagConfig
	// Experiment is the experiment of notebook runs that name none.
	Experiment = "notebooks"
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
// trainer, recorded as the ganbook command records a run (gantrack.Start: params, the standard tags
// (trainer version, "config" = ConfigTag, output directory), the reproducibility record), with the
// tags of spec, logging every step's metrics and every sample grid. The run ends FINISHED, KILLED
// when ctx is cancelled, or FAILED with the training error; Train returns that error.
func Train(ctx context.Context, backend compute.Backend, store *tracker.Store, cfg gan.Config, ds *data.Dataset, spec Spec) (res Result, err error) {
	training, err := gantrack.NewTraining(cfg, gantrack.Setup{Data: ds, Backend: backend, Options: gan.Options{OutDir: spec.OutDir}})
	if err != nil {
		return res, err
	}
	experiment := spec.Experiment
	if experiment == "" {
		experiment = Experiment
	}
	rec, err := gantrack.Start(ctx, store, training, gantrack.RunSpec{
		Experiment: experiment, Name: spec.Name, Tags: spec.Tags, OutDir: spec.OutDir,
	})
	if err != nil {
		return res, err
	}
	res.RunID = rec.Run().ID()
	start := time.Now()
	res.Last, err = training.Trainer.Run(ctx, gan.RunOptions{Hooks: gan.Hooks{
		OnStep: func(m gan.StepMetrics) {
			rec.Step(m)
			if spec.OnStep != nil {
				spec.OnStep(m)
			}
		},
		OnSample: func(step int, _ string, png []byte) {
			res.Samples = png
			rec.Sample(step, png)
			if spec.OnSample != nil {
				spec.OnSample(step, png)
			}
		},
	}})
	res.Elapsed = time.Since(start)
	return res, rec.End(err)
}
