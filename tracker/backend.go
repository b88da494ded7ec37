package tracker

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Backend stores runs. The Store adds buffering, heartbeats, liveness and
// filter parsing on top of it, so a backend only persists and queries.
// The SQLite backend (package tracker/sqlite) is the one implementation;
// its tests are the contract.
//
// Methods taking a run id get a full id (the Store resolves prefixes with
// ResolveID) and return an error wrapping ErrNotFound when no run has it.
type Backend interface {
	// CreateRun stores a new RUNNING run, creating its experiment if needed.
	CreateRun(ctx context.Context, r NewRun) error
	// WriteBatch stores a batch of a run's data in one transaction.
	WriteBatch(ctx context.Context, b Batch) error
	// EndRun sets a run's final status, message and end time.
	EndRun(ctx context.Context, id string, status RunStatus, message string, end time.Time) error
	// ExpireRuns stores as KILLED every RUNNING run whose heartbeat is older
	// than its timeout at time now, and returns how many it changed.
	ExpireRuns(ctx context.Context, now time.Time) (int, error)
	// ResolveID returns the full id of the one run whose id is or starts
	// with idOrPrefix; errors wrap ErrNotFound or ErrAmbiguous.
	ResolveID(ctx context.Context, idOrPrefix string) (string, error)
	// Runs returns the runs selected by q. Statuses are as of q.Now: a
	// RUNNING run with a stale heartbeat reads, and filters, as KILLED.
	Runs(ctx context.Context, q BackendQuery) ([]RunInfo, error)
	// Run returns one run, its status as of now.
	Run(ctx context.Context, id string, now time.Time) (RunInfo, error)
	// Metric returns a run's series of one metric ordered by step, then by
	// logging order.
	Metric(ctx context.Context, runID, key string) ([]MetricPoint, error)
	// MetricSince returns the points of a run's series of one metric whose
	// step is greater than afterStep, ordered as Metric orders them.
	MetricSince(ctx context.Context, runID, key string, afterStep int64) ([]MetricPoint, error)
	// MetricEnvelope returns the envelope of a run's series of one metric
	// over at most buckets ranges of steps (buckets >= MinEnvelopeBuckets);
	// an empty envelope when the run never logged the key.
	MetricEnvelope(ctx context.Context, runID, key string, buckets int) (MetricEnvelope, error)
	// Images lists a run's images ordered by key then step.
	Images(ctx context.Context, runID string) ([]ImageInfo, error)
	// Image returns one image; ErrNotFound when it does not exist.
	Image(ctx context.Context, runID, key string, step int64) (Image, error)
	// Experiments lists the experiments by name.
	Experiments(ctx context.Context) ([]Experiment, error)
	// DeleteRun removes a run and everything logged to it.
	DeleteRun(ctx context.Context, runID string) error
	// Close releases the database.
	Close() error
}

// NewRun is what a backend stores when a run starts.
type NewRun struct {
	ID               string
	Experiment       string
	Name             string
	StartTime        time.Time
	HeartbeatTimeout time.Duration
	ParentID         string
	ReproducedFrom   string
	Params           []Param
	Tags             []Tag
	Record           *ReproRecord
}

// Batch is a run's data written in one transaction. Heartbeat, when not
// zero, becomes the run's heartbeat time; tags overwrite tags of the same
// key, images overwrite images of the same key and step, and Record, when
// not nil, replaces the run's record.
type Batch struct {
	RunID     string
	Metrics   []MetricPoint
	Images    []Image
	Tags      []Tag
	Record    *ReproRecord
	Heartbeat time.Time
}

func (b *Batch) empty() bool {
	return len(b.Metrics) == 0 && len(b.Images) == 0 && len(b.Tags) == 0 && b.Record == nil
}

// BackendQuery is a RunQuery with its filter and order parsed.
type BackendQuery struct {
	Filter *Filter // nil selects every run
	Order  []OrderTerm
	Limit  int
	Offset int
	// Now decides which RUNNING runs have a stale heartbeat.
	Now time.Time
}

// BackendConfig is what Open passes to a backend's OpenFunc.
type BackendConfig struct {
	// BusyTimeout is how long a write waits for other writers.
	BusyTimeout time.Duration
	// ReadOnly opens without writing anything, not even a migration.
	ReadOnly bool
}

// OpenFunc opens a backend at a path.
type OpenFunc func(path string, cfg BackendConfig) (Backend, error)

var (
	registryMu  sync.Mutex
	openBackend OpenFunc
)

// RegisterBackend makes a backend available to Open. A backend package
// calls it from its init function; importing the package for its side
// effect is enough. It panics if called twice.
func RegisterBackend(open OpenFunc) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if open == nil || openBackend != nil {
		panic("tracker: RegisterBackend called twice or with nil")
	}
	openBackend = open
}

// ErrNoBackend is returned by Open when no backend package was imported.
var ErrNoBackend = errors.New(`tracker: no storage backend registered; add import _ "github.com/ganbook/ganbook/tracker/sqlite"`)
