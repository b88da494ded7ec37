package tracker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Run is the live handle of a run started by Store.StartRun. Its methods
// are safe for concurrent use. Logging methods only buffer: a background
// goroutine writes the buffer every flush interval (or sooner when it
// grows), and refreshes the run's heartbeat, so logging never waits for the
// database. Errors of those background writes are returned by the next
// logging call, by Flush and by the method that ends the run.
type Run struct {
	store      *Store
	id         string
	experiment string
	name       string
	start      time.Time

	mu      sync.Mutex
	pending Batch
	// retry is a batch whose write failed, written again as it was (same
	// Seq) before anything else, so that a write whose commit did happen
	// is not stored twice; nil when none.
	retry     *Batch
	seq       int64         // Seq of the last batch taken from pending
	spare     []MetricPoint // reused metric buffer, to spare the allocator
	ended     bool
	dropped   int64
	lastErr   error // of the last background write; nil once one succeeds
	onEndWait func(err error, unwritten int, bound time.Duration)

	kick     chan struct{}
	flushReq chan chan error
	stop     chan struct{}
	done     chan struct{}
}

func newRun(s *Store, nr NewRun) *Run {
	return &Run{
		store: s, id: nr.ID, experiment: nr.Experiment, name: nr.Name, start: nr.StartTime,
		pending:  Batch{RunID: nr.ID},
		kick:     make(chan struct{}, 1),
		flushReq: make(chan chan error),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
}

// ID returns the run's id, 32 hexadecimal digits.
func (r *Run) ID() string { return r.id }

// Name returns the run's name.
func (r *Run) Name() string { return r.name }

// Experiment returns the name of the run's experiment.
func (r *Run) Experiment() string { return r.experiment }

// StartTime returns when the run started.
func (r *Run) StartTime() time.Time { return r.start }

// kickAt is the buffered point count at which the writer is woken before
// its next tick.
const kickAt = 4096

// LogMetric buffers one point of a metric. Any float64 is accepted, NaN and
// ±Inf included. It returns ErrRunEnded after the run ended, ErrBacklog
// when the buffer is full, or the error of the last failed background
// write (the point is still buffered and the write will be retried).
func (r *Run) LogMetric(key string, step int64, value float64) error {
	now := time.Now()
	r.mu.Lock()
	if r.ended {
		r.mu.Unlock()
		return ErrRunEnded
	}
	if len(r.pending.Metrics)+r.retryPoints() >= r.store.cfg.maxBuffered {
		r.dropped++
		err := r.lastErr
		r.mu.Unlock()
		return errors.Join(ErrBacklog, err)
	}
	r.pending.Metrics = append(r.pending.Metrics, MetricPoint{Key: key, Step: step, Time: now, Value: value})
	n, err := len(r.pending.Metrics), r.lastErr
	r.mu.Unlock()
	if n >= kickAt {
		select {
		case r.kick <- struct{}{}:
		default:
		}
	}
	return err
}

// LogMetrics buffers several metrics of one step, in key order.
func (r *Run) LogMetrics(step int64, values map[string]float64) error {
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(values)) {
		if err := r.LogMetric(k, step, values[k]); err != nil {
			errs = append(errs, err)
			if errors.Is(err, ErrRunEnded) {
				break
			}
		}
	}
	return errors.Join(errs...)
}

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// LogImage buffers a PNG image (copied) under a key and step; an image of
// the same key and step replaces the earlier one.
func (r *Run) LogImage(key string, step int64, png []byte) error {
	if !bytes.HasPrefix(png, pngSignature) {
		return fmt.Errorf("tracker: image %q at step %d is not a PNG", key, step)
	}
	img := Image{ImageInfo: ImageInfo{Key: key, Step: step, Time: time.Now(), Size: len(png)}, PNG: bytes.Clone(png)}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return ErrRunEnded
	}
	r.pending.Images = append(r.pending.Images, img)
	return r.lastErr
}

// SetTag buffers a tag; a later value of the same key wins.
func (r *Run) SetTag(key, value string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return ErrRunEnded
	}
	r.pending.Tags = append(r.pending.Tags, Tag{Key: key, Value: value})
	return r.lastErr
}

// SetRecord buffers the run's reproducibility record, replacing any earlier one.
func (r *Run) SetRecord(rec ReproRecord) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return ErrRunEnded
	}
	r.pending.Record = &rec
	return r.lastErr
}

// Flush writes everything buffered so far and returns when it is stored.
func (r *Run) Flush(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case r.flushReq <- reply:
	case <-r.done:
		return ErrRunEnded
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Finish flushes the run and marks it FINISHED.
func (r *Run) Finish(ctx context.Context) error {
	return r.end(ctx, StatusFinished, "")
}

// Fail flushes the run and marks it FAILED with the error's message.
func (r *Run) Fail(ctx context.Context, cause error) error {
	msg := "failed"
	if cause != nil {
		msg = cause.Error()
	}
	return r.end(ctx, StatusFailed, msg)
}

// Kill flushes the run and marks it KILLED: what a Ctrl-C handler calls.
func (r *Run) Kill(ctx context.Context) error {
	return r.end(ctx, StatusKilled, "killed")
}

// Close ends the run as KILLED if it has not ended yet, and does nothing
// otherwise; it suits a defer that backs up an explicit Finish or Fail.
func (r *Run) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), r.store.cfg.busyTimeout+5*time.Second)
	defer cancel()
	err := r.end(ctx, StatusKilled, "closed without Finish or Fail")
	if errors.Is(err, ErrRunEnded) {
		return nil
	}
	return err
}

// OnEndWait sets a function called once when ending the run starts to
// wait for a database that cannot be written (see WithEndWait), with the
// error, the number of points not stored yet and how long it waits at most.
func (r *Run) OnEndWait(f func(err error, unwritten int, bound time.Duration)) {
	r.mu.Lock()
	r.onEndWait = f
	r.mu.Unlock()
}

// EndWait is how long ending the run waits at most for a database that
// cannot be written: a context for Finish should outlast it.
func (r *Run) EndWait() time.Duration { return r.store.cfg.endWait }

// retryPoints is the number of points of the batch waiting to be retried.
// r.mu is held.
func (r *Run) retryPoints() int {
	if r.retry == nil {
		return 0
	}
	return len(r.retry.Metrics)
}

// end stops logging, flushes, stops the writer and stores the final
// status. While the database cannot be written it retries both for up to
// the store's end wait.
func (r *Run) end(ctx context.Context, status RunStatus, msg string) error {
	r.mu.Lock()
	if r.ended {
		r.mu.Unlock()
		return ErrRunEnded
	}
	r.ended = true
	r.mu.Unlock()
	deadline := time.Now().Add(r.store.cfg.endWait)
	waited := false
	wait := func(err error) bool {
		if !transient(err) || ctx.Err() != nil || !time.Now().Before(deadline) {
			return false
		}
		if !waited {
			waited = true
			r.mu.Lock()
			notify, unwritten := r.onEndWait, len(r.pending.Metrics)+r.retryPoints()
			r.mu.Unlock()
			if notify != nil {
				notify(err, unwritten, r.store.cfg.endWait)
			}
		}
		select {
		case <-time.After(min(time.Second, time.Until(deadline))):
			return true
		case <-ctx.Done():
			return false
		}
	}
	flushErr := r.Flush(ctx)
	for flushErr != nil && wait(flushErr) {
		flushErr = r.Flush(ctx)
	}
	close(r.stop)
	<-r.done
	r.store.forget(r)
	r.mu.Lock()
	dropped := r.dropped
	unstored := r.pending
	if r.retry != nil {
		unstored.Metrics = append(slices.Clip(r.retry.Metrics), unstored.Metrics...)
		unstored.Images = append(slices.Clip(r.retry.Images), unstored.Images...)
		unstored.Tags = append(slices.Clip(r.retry.Tags), unstored.Tags...)
		if unstored.Record == nil {
			unstored.Record = r.retry.Record
		}
	}
	r.mu.Unlock()
	var errs []error
	if flushErr != nil {
		errs = append(errs, fmt.Errorf("%w: run %s: %s not stored: %w", ErrNotStored, r.id, describe(&unstored), flushErr))
	}
	if dropped > 0 {
		errs = append(errs, fmt.Errorf("tracker: run %s: %d points dropped: %w", r.id, dropped, ErrBacklog))
	}
	endErr := r.store.backend.EndRun(ctx, r.id, status, msg, time.Now())
	for endErr != nil && flushErr == nil && wait(endErr) {
		endErr = r.store.backend.EndRun(ctx, r.id, status, msg, time.Now())
	}
	if endErr != nil {
		errs = append(errs, fmt.Errorf("tracker: run %s: status %s not stored: %w", r.id, status, endErr))
	}
	return errors.Join(errs...)
}

// transient reports whether a write error may pass if tried again: not for
// a deleted run, a read-only database or a cancelled call.
func transient(err error) bool {
	return !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrReadOnly) && !errors.Is(err, ErrRunEnded) &&
		!errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// describe names what a batch holds: "1,234 points of 5 metrics, 2 images,
// 1 tag and the record".
func describe(b *Batch) string {
	keys := map[string]bool{}
	for _, p := range b.Metrics {
		keys[p.Key] = true
	}
	parts := []string{fmt.Sprintf("%d points of %d metrics", len(b.Metrics), len(keys))}
	if n := len(b.Images); n > 0 {
		parts = append(parts, fmt.Sprintf("%d images", n))
	}
	if n := len(b.Tags); n > 0 {
		parts = append(parts, fmt.Sprintf("%d tags", n))
	}
	if b.Record != nil {
		parts = append(parts, "the record")
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// writeLoop is the run's background writer: it writes the buffer on every
// flush tick, kick and flush request, and refreshes the heartbeat.
func (r *Run) writeLoop() {
	defer close(r.done)
	flushTick := time.NewTicker(r.store.cfg.flushInterval)
	defer flushTick.Stop()
	beatTick := time.NewTicker(r.store.cfg.heartbeatInterval)
	defer beatTick.Stop()
	for {
		// Errors are kept in r.lastErr and reported by the next call.
		select {
		case <-r.stop:
			return
		case reply := <-r.flushReq:
			reply <- r.drain(true)
		case <-flushTick.C:
			r.drain(false)
		case <-r.kick:
			r.drain(false)
		case <-beatTick.C:
			r.drain(true)
		}
	}
}

// drain writes the whole buffer in transactions of at most
// pointsPerTransaction points. With beat set it writes (a heartbeat) even
// when the buffer is empty. Each write refreshes the heartbeat.
func (r *Run) drain(beat bool) error {
	for {
		r.mu.Lock()
		b := r.next()
		r.mu.Unlock()
		if b.empty() && !beat {
			return nil
		}
		beat = false
		b.Heartbeat = time.Now()
		err := r.store.backend.WriteBatch(context.Background(), b)
		r.mu.Lock()
		if err != nil {
			// A deleted run can never be written: drop its data rather than
			// retry forever. Anything else may pass (a busy or full disk, a
			// server restarting): the batch is retried as it is.
			if !errors.Is(err, ErrNotFound) && !b.empty() {
				r.retry = &b
			}
			r.lastErr = err
			r.mu.Unlock()
			return err
		}
		r.lastErr = nil
		// Recycle the written buffer (its region of memory is disjoint from
		// the pending buffer's, even for a partial take).
		if r.spare == nil && cap(b.Metrics) >= kickAt {
			clear(b.Metrics) // drop key strings for the collector
			r.spare = b.Metrics[:0]
		}
		more := len(r.pending.Metrics) > 0 || r.retry != nil
		r.mu.Unlock()
		if !more {
			return nil
		}
	}
}

// next returns the batch to write next: the one to retry, if any, or a
// transaction's worth from the buffer, numbered. r.mu is held.
func (r *Run) next() Batch {
	if b := r.retry; b != nil {
		r.retry = nil
		return *b
	}
	b := r.take()
	if !b.empty() {
		r.seq++
		b.Seq = r.seq
	}
	return b
}

// take removes a transaction's worth from the buffer. r.mu is held.
func (r *Run) take() Batch {
	p := &r.pending
	b := Batch{RunID: r.id, Images: p.Images, Tags: p.Tags, Record: p.Record}
	p.Images, p.Tags, p.Record = nil, nil, nil
	if len(p.Metrics) <= pointsPerTransaction {
		b.Metrics = p.Metrics
		p.Metrics = r.spare
		r.spare = nil
	} else {
		// The capacity limit keeps appends to the batch off the buffer.
		b.Metrics = p.Metrics[:pointsPerTransaction:pointsPerTransaction]
		p.Metrics = p.Metrics[pointsPerTransaction:]
	}
	return b
}
