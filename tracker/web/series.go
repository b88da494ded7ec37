package web

import (
	"container/list"
	"context"
	"math"
	"runtime"
	"sync"
	"time"

	"github.com/ganbook/ganbook/tracker"
)

// series is a metric series ready to draw: the finite points of its
// envelope, downsampled, each with its time and the range of values of the
// envelope range it stands for (its min–max band).
type series struct {
	Points []point
	// Times holds each point's wall time in Unix milliseconds.
	Times []int64
	// Lo and Hi hold, for each point, the smallest and largest finite value
	// of the envelope range (Width steps) it falls in.
	Lo, Hi []float64
	// Width is the number of steps in each envelope range.
	Width int64
	// Total is the number of points stored; NonFinite of them (NaN, ±Inf)
	// cannot be drawn and are left out of Points.
	Total, NonFinite int
}

// Downsampled reports whether the series shows fewer points than stored.
func (s *series) Downsampled() bool { return len(s.Points) < s.Total-s.NonFinite }

// envelopeLoader reads a series' envelope over at most buckets ranges of
// steps, as tracker.Store.MetricEnvelope does.
type envelopeLoader func(ctx context.Context, run, metric string, buckets int) (tracker.MetricEnvelope, error)

// seriesVersion identifies the state of a stored series: the tracker's
// summary changes whenever a point is added.
type seriesVersion struct {
	count, lastStep, lastTimeMS int64
}

func versionOf(m tracker.MetricSummary) seriesVersion {
	return seriesVersion{m.Count, m.LastStep, m.LastTime.UnixMilli()}
}

type seriesKey struct{ run, metric string }

type seriesEntry struct {
	key      seriesKey
	version  seriesVersion
	data     *series
	loadedAt time.Time
	cost     time.Duration // how long the load took
}

// seriesCache keeps downsampled series, least recently used first out.
// An envelope costs milliseconds to read whatever the series' length, and
// its chart about as much to draw; caching spares both, so every series is
// read once per version: a finished run's series never change and stay
// cached until evicted.
type seriesCache struct {
	load      envelopeLoader
	maxPoints int
	maxSize   int
	// minRefresh is the least time between two loads of a live run's series.
	minRefresh time.Duration

	mu       sync.Mutex
	lru      *list.List // of *seriesEntry, most recent at the front
	entries  map[seriesKey]*list.Element
	inflight map[seriesKey]*loadCall
}

type loadCall struct {
	done chan struct{}
	data *series
	err  error
}

func newSeriesCache(load envelopeLoader, maxPoints, maxSize int) *seriesCache {
	return &seriesCache{
		load: load, maxPoints: maxPoints, maxSize: maxSize,
		minRefresh: time.Second,
		lru:        list.New(),
		entries:    map[seriesKey]*list.Element{},
		inflight:   map[seriesKey]*loadCall{},
	}
}

// get returns the run's series of a metric, loading it when the cache has
// no copy of the run's current version. A RUNNING run's series changes all
// the time; a stale copy is returned until it is older than several times
// what its load cost, so that a live page polling a long series does not
// keep the database busy.
func (c *seriesCache) get(ctx context.Context, run tracker.RunInfo, metric string) (*series, error) {
	summary, ok := run.Metrics[metric]
	if !ok || summary.Count == 0 {
		return &series{}, nil
	}
	key := seriesKey{run.ID, metric}
	version := versionOf(summary)
	c.mu.Lock()
	if el, ok := c.entries[key]; ok {
		e := el.Value.(*seriesEntry)
		fresh := e.version == version
		throttled := run.Status == tracker.StatusRunning && time.Since(e.loadedAt) < max(c.minRefresh, 4*e.cost)
		if fresh || throttled {
			c.lru.MoveToFront(el)
			c.mu.Unlock()
			return e.data, nil
		}
	}
	call, loading := c.inflight[key]
	if !loading {
		call = &loadCall{done: make(chan struct{})}
		c.inflight[key] = call
	}
	c.mu.Unlock()

	if !loading {
		// The load outlives a cancelled request: other requests may wait on it.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		start := time.Now()
		call.data, call.err = c.read(lctx, run.ID, metric)
		cancel()
		cost := time.Since(start)
		c.mu.Lock()
		delete(c.inflight, key)
		if call.err == nil {
			c.put(&seriesEntry{key: key, version: version, data: call.data, loadedAt: time.Now(), cost: cost})
		}
		c.mu.Unlock()
		close(call.done)
	}
	select {
	case <-call.done:
		return call.data, call.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// put stores an entry; c.mu is held.
func (c *seriesCache) put(e *seriesEntry) {
	if el, ok := c.entries[e.key]; ok {
		el.Value = e
		c.lru.MoveToFront(el)
		return
	}
	c.entries[e.key] = c.lru.PushFront(e)
	for c.lru.Len() > c.maxSize {
		last := c.lru.Back()
		c.lru.Remove(last)
		delete(c.entries, last.Value.(*seriesEntry).key)
	}
}

// len reports the number of cached series.
func (c *seriesCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// read loads a series' envelope over as many ranges as a chart has
// points, and prepares it for drawing.
func (c *seriesCache) read(ctx context.Context, run, metric string) (*series, error) {
	env, err := c.load(ctx, run, metric, c.maxPoints)
	if err != nil {
		return nil, err
	}
	return prepareSeries(env, c.maxPoints), nil
}

// prepareSeries keeps the finite points of an envelope (up to four a
// range: first, min, max, last) and downsamples them with LTTB to at most
// maxPoints. The envelope keeps each range's extremes, LTTB the most
// salient of them.
func prepareSeries(env tracker.MetricEnvelope, maxPoints int) *series {
	s := &series{Total: int(env.Count), NonFinite: int(env.NonFinite()), Width: env.Width}
	pts := env.Points()
	finite := make([]point, 0, len(pts))
	times := make(map[point]int64, len(pts))
	for _, p := range pts {
		if !math.IsNaN(p.Value) && !math.IsInf(p.Value, 0) {
			pt := point{float64(p.Step), p.Value}
			finite = append(finite, pt)
			if _, ok := times[pt]; !ok {
				times[pt] = p.Time.UnixMilli()
			}
		}
	}
	s.Points = lttb(finite, maxPoints)
	if len(s.Points) == len(finite) && cap(finite) > 2*len(finite) {
		s.Points = append([]point(nil), finite...) // do not pin the large backing array
	}
	s.Times = make([]int64, len(s.Points))
	s.Lo = make([]float64, len(s.Points))
	s.Hi = make([]float64, len(s.Points))
	b := 0
	for i, p := range s.Points {
		s.Times[i] = times[p]
		s.Lo[i], s.Hi[i] = p.Y, p.Y
		step := int64(p.X)
		for b < len(env.Buckets) && step >= env.Buckets[b].Start+env.Width {
			b++
		}
		if b < len(env.Buckets) && step >= env.Buckets[b].Start {
			if m := env.Buckets[b].Min; m != nil {
				s.Lo[i] = min(s.Lo[i], m.Value)
			}
			if m := env.Buckets[b].Max; m != nil {
				s.Hi[i] = max(s.Hi[i], m.Value)
			}
		}
	}
	return s
}

// loadParallelism caps the series one request loads at once.
var loadParallelism = max(2, runtime.GOMAXPROCS(0))
