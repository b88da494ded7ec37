package tracker

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Backend stores runs. The Store adds buffering, heartbeats, liveness and
// filter parsing on top of it, so a backend only persists and queries.
// Backends register themselves by URL scheme (RegisterBackend); the
// contract every backend must keep is the test suite of package
// tracker/storetest, which each backend's tests run.
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
//
// Seq, when not zero, numbers the batches of a run's live handle 1, 2, 3, …
// in the order they are written: a backend stores nothing of a batch whose
// Seq is not above the highest it has stored for the run (but still takes
// its heartbeat), so that a write retried after the reply to its commit
// was lost stores its points once.
type Batch struct {
	RunID     string
	Seq       int64
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
	// MustExist opens an existing tracker database only: where there is
	// none (no SQLite file; a PostgreSQL database without the tracker's
	// schema), Open fails with an error wrapping ErrNoDatabase and creates
	// nothing.
	MustExist bool
}

// OpenFunc opens a backend. It gets the location as given to Open (for
// example "runs/ganbook.db", "sqlite:runs/ganbook.db" or
// "postgres://user@host/db"); errors must not repeat a password it holds
// (see RedactURL).
type OpenFunc func(location string, cfg BackendConfig) (Backend, error)

// DefaultScheme is the scheme of a location that names none: a bare path.
const DefaultScheme = "sqlite"

var (
	registryMu sync.Mutex
	backends   = map[string]OpenFunc{}
)

// RegisterBackend makes a backend available to Open for locations of the
// given URL scheme ("sqlite", "postgres"). A backend package calls it from
// its init function, so importing the package for its side effect is
// enough. A scheme registered already keeps its first backend, and the
// second registration returns an error wrapping ErrBackendRegistered
// rather than panic: nothing is lost, and the caller decides whether that
// matters.
func RegisterBackend(scheme string, open OpenFunc) error {
	scheme = strings.ToLower(scheme)
	if open == nil || !validScheme(scheme) {
		return fmt.Errorf("tracker: RegisterBackend(%q): need a scheme of letters, digits, + - . and an OpenFunc", scheme)
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, ok := backends[scheme]; ok {
		return fmt.Errorf("%w: %q", ErrBackendRegistered, scheme)
	}
	backends[scheme] = open
	return nil
}

// Backends returns the registered schemes, sorted.
func Backends() []string {
	registryMu.Lock()
	defer registryMu.Unlock()
	return slices.Sorted(maps.Keys(backends))
}

var (
	// ErrBackendRegistered is returned by RegisterBackend for a scheme that
	// has a backend already.
	ErrBackendRegistered = errors.New("tracker: a backend is already registered for the scheme")
	// ErrNoBackend is returned by Open for a location whose scheme has no
	// registered backend.
	ErrNoBackend = errors.New("tracker: no storage backend registered for the location")
	// ErrNoDatabase is returned by Open with MustExist where there is no
	// tracker database.
	ErrNoDatabase = errors.New("tracker: no tracker database")
)

// Scheme returns the scheme that selects the backend of a location:
// "scheme:" at its start when that scheme is registered or followed by
// "//" (a URL); otherwise, for a bare file path, DefaultScheme.
func Scheme(location string) string {
	scheme, rest, ok := strings.Cut(location, ":")
	if !ok || !validScheme(scheme) {
		return DefaultScheme
	}
	scheme = strings.ToLower(scheme)
	registryMu.Lock()
	_, registered := backends[scheme]
	registryMu.Unlock()
	if registered || strings.HasPrefix(rest, "//") {
		return scheme
	}
	return DefaultScheme
}

func validScheme(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// OpenBackend opens the backend for a location, chosen by its scheme (see
// Scheme), without a Store on top: for tools that copy or inspect a
// database at the backend's level.
func OpenBackend(location string, cfg BackendConfig) (Backend, error) {
	scheme := Scheme(location)
	registryMu.Lock()
	open := backends[scheme]
	registryMu.Unlock()
	if open == nil {
		known := Backends()
		hint := `import _ "github.com/ganbook/ganbook/tracker/` + scheme + `"`
		if len(known) > 0 {
			hint = "registered: " + strings.Join(known, ", ")
		}
		return nil, fmt.Errorf("%w: %s (scheme %q; %s)", ErrNoBackend, RedactURL(location), scheme, hint)
	}
	if cfg.BusyTimeout <= 0 {
		cfg.BusyTimeout = DefaultBusyTimeout
	}
	return open(location, cfg)
}

// RedactURL returns location with the password of a URL, or of a
// password=... setting, replaced by "xxxxx", for printing.
func RedactURL(location string) string {
	if u, err := url.Parse(location); err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			location = u.String()
		}
	} else if err != nil && strings.Contains(location, "://") {
		// Unparseable URL: cut everything between "://" and the last "@".
		if i, j := strings.Index(location, "://"), strings.LastIndex(location, "@"); j > i {
			location = location[:i+3] + "xxxxx" + location[j:]
		}
	}
	return passwordSetting.ReplaceAllString(location, "${1}xxxxx")
}

// passwordSetting matches password=VALUE in a URL query or a key=value DSN.
var passwordSetting = regexp.MustCompile(`(?i)(\bpassword=)[^&\s]*`)
