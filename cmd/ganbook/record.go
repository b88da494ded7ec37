package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/gan/data"
	"github.com/ganbook/ganbook/tracker"
)

// parseTags turns repeated k=v flags into a map.
func parseTags(flagName string, kvs []string) (map[string]string, error) {
	tags := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("%s %q: want key=value", flagName, kv)
		}
		tags[strings.TrimSpace(k)] = v
	}
	return tags, nil
}

// recorder writes one training run into the tracker. Logging only buffers;
// the tracker writes in batches off the training goroutine.
type recorder struct {
	run *tracker.Run
	// warn receives the one line saying that the database could not be
	// written and the points wait in memory; nil writes nothing.
	warn   io.Writer
	warned bool
}

type recordSpec struct {
	experiment, name string
	tags             map[string]string
	parentID         string // the run a --resume continues
	reproducedFrom   string // the run `ganbook reproduce` re-runs
}

func startRecording(ctx context.Context, store *tracker.Store, cfg gan.Config, ds *data.Dataset, backend string, spec recordSpec) (*recorder, error) {
	params := cfg.Params()
	rec, err := reproRecord(ctx, cfg, ds, backend)
	if err != nil {
		return nil, err
	}
	opts := []tracker.RunOption{tracker.WithRecord(rec), tracker.WithTags(spec.tags)}
	if spec.parentID != "" {
		opts = append(opts, tracker.WithParent(spec.parentID))
	}
	if spec.reproducedFrom != "" {
		opts = append(opts, tracker.WithReproducedFrom(spec.reproducedFrom))
	}
	experiment := spec.experiment
	if experiment == "" {
		experiment = cfg.Dataset + "-" + cfg.Model
	}
	run, err := store.StartRun(ctx, experiment, spec.name, params, opts...)
	if err != nil {
		return nil, fmt.Errorf("recording the run: %w", err)
	}
	return &recorder{run: run}, nil
}

// reproRecord gathers what is needed to reproduce the run.
func reproRecord(ctx context.Context, cfg gan.Config, ds *data.Dataset, backend string) (tracker.ReproRecord, error) {
	rec, err := tracker.CollectEnvironment(ctx, "")
	if err != nil {
		return rec, err
	}
	rec.Backend = backend
	rec.Seed = cfg.Seed
	if rec.Config, err = json.Marshal(cfg); err != nil {
		return rec, err
	}
	for _, f := range ds.Files {
		rec.Datasets = append(rec.Datasets, tracker.FileHash{Path: f.Path, SHA256: f.SHA256})
	}
	return rec, nil
}

func (r *recorder) step(m gan.StepMetrics) error {
	return r.logged(m.Step, r.run.LogMetrics(int64(m.Step), map[string]float64{
		"d_loss": m.DLoss, "g_loss": m.GLoss, "d_real": m.DReal, "d_fake": m.DFake, "images_per_sec": m.ImagesPerSec,
	}))
}

func (r *recorder) sample(step int, png []byte) error {
	return r.logged(step, r.run.LogImage("samples", int64(step), png))
}

// logged passes on the errors that lose data: a full buffer (ErrBacklog),
// a deleted run. Any other error is a background write that failed (the
// database restarting, the network down): the data stays buffered and the
// write is retried, so training goes on, with one warning line.
func (r *recorder) logged(step int, err error) error {
	if err == nil || errors.Is(err, tracker.ErrBacklog) || errors.Is(err, tracker.ErrNotFound) || errors.Is(err, tracker.ErrRunEnded) {
		return err
	}
	if !r.warned && r.warn != nil {
		r.warned = true
		fmt.Fprintf(r.warn, "\nganbook: warning: at step %d the tracker database could not be written (%v); training goes on, and up to %d points wait in memory and are written when it is back\n",
			step, err, bufferBound())
	}
	return nil
}

// end stores the final status: FINISHED, KILLED after an interrupt, FAILED otherwise.
func (r *recorder) end(runErr error) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	switch {
	case runErr == nil:
		return r.run.Finish(ctx)
	case errors.Is(runErr, context.Canceled):
		return r.run.Kill(ctx)
	default:
		return r.run.Fail(ctx, runErr)
	}
}

// runIDFile is where an output directory remembers its tracker run, so that
// --resume can link the continuation to it.
func runIDFile(out string) string { return filepath.Join(out, "tracker-run-id") }

// bufferBound is how many points a run keeps in memory while the database
// cannot be written: GANBOOK_MAX_BUFFERED, or the tracker's default.
func bufferBound() int {
	if n, err := strconv.Atoi(os.Getenv(maxBufferedEnv)); err == nil && n > 0 {
		return n
	}
	return tracker.DefaultMaxBuffered
}
