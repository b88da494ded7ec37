package tracker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
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
	spare   []MetricPoint // reused metric buffer, to spare the allocator
	ended   bool
	dropped int64
	lastErr error // of the last background write; nil once one succeeds

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
	if len(r.pending.Metrics) >= r.store.cfg.maxBuffered {
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

// end stops logging, flushes, stops the writer and stores the final status.
func (r *Run) end(ctx context.Context, status RunStatus, msg string) error {
	r.mu.Lock()
	if r.ended {
		r.mu.Unlock()
		return ErrRunEnded
	}
	r.ended = true
	r.mu.Unlock()
	flushErr := r.Flush(ctx)
	close(r.stop)
	<-r.done
	r.store.forget(r)
	r.mu.Lock()
	dropped := r.dropped
	unwritten := len(r.pending.Metrics)
	r.mu.Unlock()
	var errs []error
	if flushErr != nil {
		errs = append(errs, fmt.Errorf("tracker: run %s: %d points not stored: %w", r.id, unwritten, flushErr))
	}
	if dropped > 0 {
		errs = append(errs, fmt.Errorf("tracker: run %s: %d points dropped: %w", r.id, dropped, ErrBacklog))
	}
	if err := r.store.backend.EndRun(ctx, r.id, status, msg, time.Now()); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
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
		b := r.take()
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
			// retry forever. Anything else may pass (a busy or full disk).
			if !errors.Is(err, ErrNotFound) {
				r.putBack(b)
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
		more := len(r.pending.Metrics) > 0
		r.mu.Unlock()
		if !more {
			return nil
		}
	}
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
		// The capacity limit makes putBack copy rather than overwrite.
		b.Metrics = p.Metrics[:pointsPerTransaction:pointsPerTransaction]
		p.Metrics = p.Metrics[pointsPerTransaction:]
	}
	return b
}

// putBack returns a batch that could not be written to the front of the
// buffer, so that order is kept and later tags and records still win.
func (r *Run) putBack(b Batch) {
	p := &r.pending
	p.Metrics = append(b.Metrics, p.Metrics...)
	p.Images = append(b.Images, p.Images...)
	p.Tags = append(b.Tags, p.Tags...)
	if p.Record == nil {
		p.Record = b.Record
	}
}
