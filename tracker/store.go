package tracker

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// Store is a handle on a tracker database. It is safe for concurrent use,
// and several processes may use one database at once.
type Store struct {
	backend Backend
	cfg     config

	mu     sync.Mutex
	live   map[*Run]struct{}
	closed bool
}

// Defaults of the Store options.
const (
	DefaultHeartbeatInterval = 5 * time.Second
	DefaultHeartbeatTimeout  = 30 * time.Second
	DefaultFlushInterval     = 250 * time.Millisecond
	DefaultBusyTimeout       = 30 * time.Second
	DefaultMaxBuffered       = 1 << 20
	DefaultEndWait           = time.Minute
)

// pointsPerTransaction caps a write transaction so that other writers of
// the same database are not held off for long.
const pointsPerTransaction = 8192

type config struct {
	heartbeatInterval time.Duration
	heartbeatTimeout  time.Duration
	flushInterval     time.Duration
	busyTimeout       time.Duration
	maxBuffered       int
	endWait           time.Duration
	readOnly          bool
	mustExist         bool
}

// Option configures a Store.
type Option func(*config)

// WithHeartbeat sets how often live runs refresh their heartbeat and after
// how long without one a run counts as KILLED. The timeout is recorded with
// each run started by this Store, so every reader judges it the same way;
// it should be several intervals long.
func WithHeartbeat(interval, timeout time.Duration) Option {
	return func(c *config) { c.heartbeatInterval, c.heartbeatTimeout = interval, timeout }
}

// WithFlushInterval sets how often live runs write their buffered data. A
// point is normally stored within this interval of being logged.
func WithFlushInterval(d time.Duration) Option {
	return func(c *config) { c.flushInterval = d }
}

// WithBusyTimeout sets how long a write waits while other writers hold the
// database.
func WithBusyTimeout(d time.Duration) Option {
	return func(c *config) { c.busyTimeout = d }
}

// WithMaxBuffered caps the number of metric points a run buffers while the
// database is unavailable; beyond it LogMetric drops points and returns
// ErrBacklog rather than block or grow without bound.
func WithMaxBuffered(n int) Option {
	return func(c *config) { c.maxBuffered = n }
}

// WithEndWait sets how long ending a run (Finish, Fail, Kill) waits for a
// database that cannot be written (a server restarting, a network down),
// retrying every second, before it gives up with ErrNotStored; zero or less
// gives up at once. A run's OnEndWait hook says when it starts waiting.
func WithEndWait(d time.Duration) Option {
	return func(c *config) { c.endWait = max(d, 0) }
}

// ReadOnly opens the store for queries only: nothing is written to the
// database (runs with a stale heartbeat are reported KILLED but not stored
// so), and StartRun, SetTag and DeleteRun return ErrReadOnly.
func ReadOnly() Option {
	return func(c *config) { c.readOnly = true }
}

// MustExist opens an existing database only: where there is none, Open
// returns an error wrapping ErrNoDatabase and leaves nothing behind. Every
// command that only reads or edits runs wants it; only a command that
// starts runs should create a database.
func MustExist() Option {
	return func(c *config) { c.mustExist = true }
}

// Open opens the tracker database at location with the backend its scheme
// selects (see Scheme): a file path or "sqlite:PATH" for SQLite,
// "postgres://…" for PostgreSQL once that backend's package is imported.
// It creates the database (an SQLite file's directory must exist) unless
// MustExist or ReadOnly is given.
func Open(location string, opts ...Option) (*Store, error) {
	cfg := newConfig(opts)
	b, err := OpenBackend(location, BackendConfig{BusyTimeout: cfg.busyTimeout, ReadOnly: cfg.readOnly, MustExist: cfg.mustExist || cfg.readOnly})
	if err != nil {
		return nil, err
	}
	return &Store{backend: b, cfg: cfg, live: map[*Run]struct{}{}}, nil
}

// NewStore returns a Store on an already opened backend; Close closes it.
func NewStore(b Backend, opts ...Option) *Store {
	return &Store{backend: b, cfg: newConfig(opts), live: map[*Run]struct{}{}}
}

func newConfig(opts []Option) config {
	c := config{
		heartbeatInterval: DefaultHeartbeatInterval,
		heartbeatTimeout:  DefaultHeartbeatTimeout,
		flushInterval:     DefaultFlushInterval,
		busyTimeout:       DefaultBusyTimeout,
		maxBuffered:       DefaultMaxBuffered,
		endWait:           DefaultEndWait,
	}
	for _, o := range opts {
		o(&c)
	}
	if c.heartbeatInterval <= 0 {
		c.heartbeatInterval = DefaultHeartbeatInterval
	}
	if c.heartbeatTimeout <= 0 {
		c.heartbeatTimeout = DefaultHeartbeatTimeout
	}
	if c.flushInterval <= 0 {
		c.flushInterval = DefaultFlushInterval
	}
	if c.maxBuffered <= 0 {
		c.maxBuffered = DefaultMaxBuffered
	}
	return c
}

// Close ends every run of this Store still live as KILLED (flushing it
// first), then closes the database.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	runs := slices.Collect(maps.Keys(s.live))
	s.mu.Unlock()
	var errs []error
	for _, r := range runs {
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.busyTimeout+5*time.Second)
		if err := r.end(ctx, StatusKilled, "store closed while the run was live"); err != nil && !errors.Is(err, ErrRunEnded) {
			errs = append(errs, err)
		}
		cancel()
	}
	errs = append(errs, s.backend.Close())
	return errors.Join(errs...)
}

// RunOption configures a run at its start.
type RunOption func(*NewRun)

// WithTags sets tags at the start of the run.
func WithTags(tags map[string]string) RunOption {
	return func(r *NewRun) {
		for _, k := range slices.Sorted(maps.Keys(tags)) {
			r.Tags = append(r.Tags, Tag{Key: k, Value: tags[k]})
		}
	}
}

// WithParent links the run to a parent run (id or unique prefix).
func WithParent(runID string) RunOption {
	return func(r *NewRun) { r.ParentID = runID }
}

// WithReproducedFrom marks the run as a reproduction of another run (id or
// unique prefix).
func WithReproducedFrom(runID string) RunOption {
	return func(r *NewRun) { r.ReproducedFrom = runID }
}

// WithRecord stores a reproducibility record at the start of the run.
func WithRecord(rec ReproRecord) RunOption {
	return func(r *NewRun) { r.Record = &rec }
}

// StartRun records a new RUNNING run in the experiment (created on first
// use; "default" when empty) and returns its live handle. Parameter values
// are rendered with FormatParam. The caller must end the run with Finish,
// Fail or Kill (or Close).
func (s *Store) StartRun(ctx context.Context, experiment, name string, params map[string]any, opts ...RunOption) (*Run, error) {
	if s.cfg.readOnly {
		return nil, ErrReadOnly
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil, errStoreClosed
	}
	if experiment == "" {
		experiment = "default"
	}
	id, err := newRunID()
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = id[:8]
	}
	nr := NewRun{
		ID: id, Experiment: experiment, Name: name,
		StartTime:        time.Now(),
		HeartbeatTimeout: s.cfg.heartbeatTimeout,
	}
	for _, k := range slices.Sorted(maps.Keys(params)) {
		nr.Params = append(nr.Params, NewParam(k, FormatParam(params[k])))
	}
	for _, o := range opts {
		o(&nr)
	}
	for _, link := range []*string{&nr.ParentID, &nr.ReproducedFrom} {
		if *link != "" {
			if *link, err = s.backend.ResolveID(ctx, *link); err != nil {
				return nil, err
			}
		}
	}
	if err := s.backend.CreateRun(ctx, nr); err != nil {
		return nil, err
	}
	r := newRun(s, nr)
	s.mu.Lock()
	s.live[r] = struct{}{}
	s.mu.Unlock()
	go r.writeLoop()
	return r, nil
}

var errStoreClosed = errors.New("tracker: store is closed")

func newRunID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("tracker: run id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

func (s *Store) forget(r *Run) {
	s.mu.Lock()
	delete(s.live, r)
	s.mu.Unlock()
}

// expire stores stale runs as KILLED before a query, unless read-only (the
// backend then only reports them KILLED).
func (s *Store) expire(ctx context.Context, now time.Time) error {
	if s.cfg.readOnly {
		return nil
	}
	_, err := s.backend.ExpireRuns(ctx, now)
	return err
}

// Runs returns the runs that match q.Filter, in q.OrderBy order. A
// malformed filter or order gives a *FilterError.
func (s *Store) Runs(ctx context.Context, q RunQuery) ([]RunInfo, error) {
	f, err := ParseFilter(q.Filter)
	if err != nil {
		return nil, err
	}
	order, err := ParseOrder(q.OrderBy)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	if err := s.expire(ctx, now); err != nil {
		return nil, err
	}
	return s.backend.Runs(ctx, BackendQuery{Filter: f, Order: order, Limit: q.Limit, Offset: q.Offset, Now: now})
}

// Run returns the run whose id is, or uniquely starts with, idOrPrefix;
// errors wrap ErrNotFound or ErrAmbiguous.
func (s *Store) Run(ctx context.Context, idOrPrefix string) (RunInfo, error) {
	id, err := s.backend.ResolveID(ctx, idOrPrefix)
	if err != nil {
		return RunInfo{}, err
	}
	now := time.Now()
	if err := s.expire(ctx, now); err != nil {
		return RunInfo{}, err
	}
	return s.backend.Run(ctx, id, now)
}

// Metric returns a run's series of one metric, ordered by step (points of
// equal step in logging order); empty when the run never logged the key.
func (s *Store) Metric(ctx context.Context, run, key string) ([]MetricPoint, error) {
	id, err := s.backend.ResolveID(ctx, run)
	if err != nil {
		return nil, err
	}
	return s.backend.Metric(ctx, id, key)
}

// MetricSince returns the points of a run's series of one metric logged at
// steps after afterStep, ordered like Metric: what a live view that has seen
// the series up to afterStep needs to catch up. A point logged again at a
// step it has already seen (a re-logged or out-of-order step) is not among
// them; Metric or MetricEnvelope return it.
func (s *Store) MetricSince(ctx context.Context, run, key string, afterStep int64) ([]MetricPoint, error) {
	id, err := s.backend.ResolveID(ctx, run)
	if err != nil {
		return nil, err
	}
	return s.backend.MetricSince(ctx, id, key, afterStep)
}

// MinEnvelopeBuckets is the fewest ranges MetricEnvelope divides a series
// into; a smaller request counts as this many.
const MinEnvelopeBuckets = 4

// MetricEnvelope returns the envelope of a run's series of one metric over
// at most buckets equal ranges of steps: in each range its first, last,
// smallest and largest points and its NaN and ±Inf counts (see
// MetricEnvelope). The ranges are as narrow as the backend's stored
// summaries allow, so a chart of n points drawn from it (n/4 to n buckets)
// loses no spike, whatever the length of the series; the SQLite backend
// reads at most a few thousand rows for it. The envelope is empty when the
// run never logged the key.
func (s *Store) MetricEnvelope(ctx context.Context, run, key string, buckets int) (MetricEnvelope, error) {
	id, err := s.backend.ResolveID(ctx, run)
	if err != nil {
		return MetricEnvelope{}, err
	}
	return s.backend.MetricEnvelope(ctx, id, key, max(buckets, MinEnvelopeBuckets))
}

// Images lists a run's images (without their bytes) by key, then step.
func (s *Store) Images(ctx context.Context, run string) ([]ImageInfo, error) {
	id, err := s.backend.ResolveID(ctx, run)
	if err != nil {
		return nil, err
	}
	return s.backend.Images(ctx, id)
}

// Image returns one image of a run with its PNG bytes.
func (s *Store) Image(ctx context.Context, run, key string, step int64) (Image, error) {
	id, err := s.backend.ResolveID(ctx, run)
	if err != nil {
		return Image{}, err
	}
	return s.backend.Image(ctx, id, key, step)
}

// Experiments lists the experiments by name, with their run counts.
func (s *Store) Experiments(ctx context.Context) ([]Experiment, error) {
	return s.backend.Experiments(ctx)
}

// SetTag sets a tag on any run, live or not, in this process or another.
func (s *Store) SetTag(ctx context.Context, run, key, value string) error {
	if s.cfg.readOnly {
		return ErrReadOnly
	}
	id, err := s.backend.ResolveID(ctx, run)
	if err != nil {
		return err
	}
	return s.backend.WriteBatch(ctx, Batch{RunID: id, Tags: []Tag{{Key: key, Value: value}}})
}

// LogMetrics stores metric points of any run, live or ended, at once (no
// buffering): for measurements made after a run, such as an evaluation of its
// final checkpoint.
func (s *Store) LogMetrics(ctx context.Context, run string, step int64, values map[string]float64) error {
	if s.cfg.readOnly {
		return ErrReadOnly
	}
	id, err := s.backend.ResolveID(ctx, run)
	if err != nil {
		return err
	}
	now := time.Now()
	b := Batch{RunID: id}
	for _, key := range slices.Sorted(maps.Keys(values)) {
		b.Metrics = append(b.Metrics, MetricPoint{Key: key, Step: step, Time: now, Value: values[key]})
	}
	return s.backend.WriteBatch(ctx, b)
}

// DeleteRun removes a run and everything logged to it. Runs that link to it
// (as parent or reproduction) keep existing and lose the link. If the run is
// still live, its process's further writes fail with ErrNotFound.
func (s *Store) DeleteRun(ctx context.Context, run string) error {
	if s.cfg.readOnly {
		return ErrReadOnly
	}
	id, err := s.backend.ResolveID(ctx, run)
	if err != nil {
		return err
	}
	return s.backend.DeleteRun(ctx, id)
}

// Compare lines up runs (ids or unique prefixes): every parameter with each
// run's value, marking those that differ, and every metric with each run's
// last and minimum values.
func (s *Store) Compare(ctx context.Context, runs ...string) (Comparison, error) {
	now := time.Now()
	if err := s.expire(ctx, now); err != nil {
		return Comparison{}, err
	}
	infos := make([]RunInfo, 0, len(runs))
	for _, r := range runs {
		id, err := s.backend.ResolveID(ctx, r)
		if err != nil {
			return Comparison{}, err
		}
		info, err := s.backend.Run(ctx, id, now)
		if err != nil {
			return Comparison{}, err
		}
		infos = append(infos, info)
	}
	return Compare(infos), nil
}

// Compare lines up already loaded runs; see Store.Compare.
func Compare(runs []RunInfo) Comparison {
	c := Comparison{Runs: runs}
	paramKeys := map[string]bool{}
	metricKeys := map[string]bool{}
	for _, r := range runs {
		for k := range r.Params {
			paramKeys[k] = true
		}
		for k := range r.Metrics {
			metricKeys[k] = true
		}
	}
	for _, k := range slices.Sorted(maps.Keys(paramKeys)) {
		pc := ParamComparison{Key: k}
		for i, r := range runs {
			v, ok := r.Params[k]
			pc.Values = append(pc.Values, ParamValue{Value: v, Set: ok})
			if i > 0 && !sameParam(pc.Values[0], pc.Values[i]) {
				pc.Differs = true
			}
		}
		c.Params = append(c.Params, pc)
	}
	for _, k := range slices.Sorted(maps.Keys(metricKeys)) {
		mc := MetricComparison{Key: k}
		for _, r := range runs {
			m, ok := r.Metrics[k]
			if !ok {
				m = MetricSummary{Key: k}
			}
			mc.Values = append(mc.Values, m)
		}
		c.Metrics = append(c.Metrics, mc)
	}
	return c
}

// sameParam compares parameter values, numerically when both are numbers
// (so "0.0002" and "2e-4" are the same learning rate).
func sameParam(a, b ParamValue) bool {
	if a.Set != b.Set {
		return false
	}
	pa, pb := NewParam("", a.Value), NewParam("", b.Value)
	if pa.Number != nil && pb.Number != nil {
		return cmp.Compare(*pa.Number, *pb.Number) == 0
	}
	return a.Value == b.Value
}
