package web

import (
	"context"

	"github.com/ganbook/ganbook/tracker"
)

// Store is what the web UI reads from the tracker: the read-only methods
// of *tracker.Store that the pages call, and nothing that writes. Any
// store with these methods can be served, a test double included.
type Store interface {
	// Runs lists the runs a filter selects, ordered and paged.
	Runs(ctx context.Context, q tracker.RunQuery) ([]tracker.RunInfo, error)
	// Run returns one run by id or unique prefix.
	Run(ctx context.Context, idOrPrefix string) (tracker.RunInfo, error)
	// Compare lines up several runs' params and metrics.
	Compare(ctx context.Context, runs ...string) (tracker.Comparison, error)
	// Experiments lists the experiments with their run counts.
	Experiments(ctx context.Context) ([]tracker.Experiment, error)
	// MetricEnvelope summarises a series over ranges of steps (charts).
	MetricEnvelope(ctx context.Context, run, key string, buckets int) (tracker.MetricEnvelope, error)
	// MetricSince returns the points after a step (live charts).
	MetricSince(ctx context.Context, run, key string, afterStep int64) ([]tracker.MetricPoint, error)
	// Images lists a run's images without their bytes.
	Images(ctx context.Context, run string) ([]tracker.ImageInfo, error)
	// Image returns one image with its PNG bytes.
	Image(ctx context.Context, run, key string, step int64) (tracker.Image, error)
}

var _ Store = (*tracker.Store)(nil)
