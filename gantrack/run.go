package gantrack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"time"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/tracker"
)

// RunSpec names a run in the tracker and links it to others.
type RunSpec struct {
	// Experiment defaults to DefaultExperiment(cfg).
	Experiment string
	// Name defaults to the tracker's (the id's first 8 digits).
	Name string
	// Tags are the caller's own; the standard tags (StandardTags) are added
	// and win over a caller's tag of the same key.
	Tags map[string]string
	// OutDir is the run's output directory (tag out_dir), empty for none.
	OutDir string
	// ParentID is the run a resumed run continues (tag resumed_from).
	ParentID string
	// ReproducedFrom is the run `ganbook reproduce` re-runs.
	ReproducedFrom string
}

// DefaultExperiment is the experiment of a run that names none: DATASET-MODEL.
func DefaultExperiment(cfg gan.Config) string { return cfg.Dataset + "-" + cfg.Model }

// Recording is one training run being written into the tracker. Logging
// only buffers (the tracker writes off the training goroutine). An error
// that loses data (the buffer full, the run deleted or ended) is kept:
// training goes on and the run then ends FAILED. Any other error is a
// background write that failed (the database restarting, the network down):
// the points stay buffered and are written when it is back, so it is only
// reported, once, to the writer set with WarnTo.
type Recording struct {
	run *tracker.Run
	err error

	warn        io.Writer
	bufferBound int
	warned      bool
}

// Start starts recording a run of t in store: the config's params, the
// standard and the caller's tags, and the reproducibility record.
func Start(ctx context.Context, store *tracker.Store, t *Training, spec RunSpec) (*Recording, error) {
	rec, err := ReproRecord(ctx, t.Config, t.Data, gan.BackendDescription(t.Backend))
	if err != nil {
		return nil, err
	}
	standard, err := StandardTags(t.Config, spec.OutDir)
	if err != nil {
		return nil, err
	}
	tags := maps.Clone(spec.Tags)
	if tags == nil {
		tags = map[string]string{}
	}
	maps.Copy(tags, standard)
	opts := []tracker.RunOption{tracker.WithRecord(rec)}
	if spec.ParentID != "" {
		tags[TagResumedFrom] = spec.ParentID
		opts = append(opts, tracker.WithParent(spec.ParentID))
	}
	if spec.ReproducedFrom != "" {
		opts = append(opts, tracker.WithReproducedFrom(spec.ReproducedFrom))
	}
	opts = append(opts, tracker.WithTags(tags))
	experiment := spec.Experiment
	if experiment == "" {
		experiment = DefaultExperiment(t.Config)
	}
	run, err := store.StartRun(ctx, experiment, spec.Name, t.Config.Params(), opts...)
	if err != nil {
		return nil, fmt.Errorf("recording the run: %w", err)
	}
	return &Recording{run: run}, nil
}

// Run is the tracker's run.
func (r *Recording) Run() *tracker.Run { return r.run }

// Step logs one step's metrics under their keys (StepMetricKeys).
func (r *Recording) Step(m gan.StepMetrics) { r.Metrics(m.Step, StepMetricValues(m)) }

// Metrics logs other metrics (e.g. quality measurements) at a step.
func (r *Recording) Metrics(step int, values map[string]float64) {
	r.keep(step, r.run.LogMetrics(int64(step), values))
}

// Sample logs a sample grid (PNG) under SamplesKey.
func (r *Recording) Sample(step int, png []byte) {
	r.keep(step, r.run.LogImage(SamplesKey, int64(step), png))
}

// WarnTo makes the first failed background write print one warning line to
// w; bufferBound is the number of points the store keeps meanwhile. When
// the run ends while the database cannot be written, a line on w says that
// it waits for it, and for how long at most (tracker.WithEndWait).
func (r *Recording) WarnTo(w io.Writer, bufferBound int) {
	r.warn, r.bufferBound = w, bufferBound
	r.run.OnEndWait(func(err error, unwritten int, bound time.Duration) {
		fmt.Fprintf(w, "\nganbook: the run has ended but the tracker database cannot be written (%v); waiting up to %s for it to store the last %d points\n",
			err, bound, unwritten)
	})
}

func (r *Recording) keep(step int, err error) {
	if err == nil {
		return
	}
	if !losesData(err) {
		if !r.warned && r.warn != nil {
			r.warned = true
			fmt.Fprintf(r.warn, "\nganbook: warning: at step %d the tracker database could not be written (%v); training goes on, and up to %d points wait in memory and are written when it is back\n",
				step, err, r.bufferBound)
		}
		return
	}
	if r.err == nil {
		r.err = err
	}
}

// losesData reports whether a logging error means data was not kept.
func losesData(err error) bool {
	return errors.Is(err, tracker.ErrBacklog) || errors.Is(err, tracker.ErrNotFound) || errors.Is(err, tracker.ErrRunEnded)
}

// Err is the first logging error, nil if none.
func (r *Recording) Err() error { return r.err }

// End ends the run with the status of trainErr (see Status), or FAILED when
// training went well but logging did not. It returns the run's error:
// trainErr, or the logging error, joined with any error ending the run.
func (r *Recording) End(trainErr error) error {
	err := trainErr
	if err == nil && r.err != nil {
		err = fmt.Errorf("recording the run: %w", r.err)
	}
	// The caller's context may be the cancelled one: the end is recorded
	// anyway, waiting for the database up to the store's end wait.
	ctx, cancel := context.WithTimeout(context.Background(), r.run.EndWait()+time.Minute)
	defer cancel()
	if endErr := End(ctx, r.run, err); endErr != nil {
		err = errors.Join(err, fmt.Errorf("recording the run's end: %w", endErr))
	}
	return err
}
