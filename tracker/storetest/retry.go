package storetest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ganbook/ganbook/tracker"
)

// testBatchSeq: a batch written again with the Seq of one stored already
// stores nothing more (its heartbeat still counts); batches without Seq,
// or of a higher Seq, store their points even at steps stored before, as
// every backend keeps all the points of a step.
func testBatchSeq(t *testing.T, tg Target) {
	ctx := context.Background()
	b, err := tracker.OpenBackend(tg.NewDatabase(t), tracker.BackendConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	start := time.Date(2025, 2, 3, 4, 5, 6, 0, time.UTC)
	id := strings.Repeat("b5", 16)
	if err := b.CreateRun(ctx, tracker.NewRun{ID: id, Experiment: "e", Name: "seq", StartTime: start, HeartbeatTimeout: time.Hour}); err != nil {
		t.Fatal(err)
	}
	points := []tracker.MetricPoint{{Key: "loss", Step: 1, Time: start, Value: 1}, {Key: "loss", Step: 2, Time: start, Value: 2}}
	png := []byte("\x89PNG\r\n\x1a\nx")
	batch := func(seq int64, beat time.Duration) tracker.Batch {
		return tracker.Batch{RunID: id, Seq: seq, Metrics: points, Heartbeat: start.Add(beat),
			Images: []tracker.Image{{ImageInfo: tracker.ImageInfo{Key: "samples", Step: 2, Time: start}, PNG: png}},
			Tags:   []tracker.Tag{{Key: "t", Value: "v"}}}
	}
	for _, tc := range []struct {
		b          tracker.Batch
		wantPoints int
	}{
		{batch(1, time.Second), 2},
		{batch(1, 2*time.Second), 2}, // a retry of batch 1
		{batch(2, 3*time.Second), 4}, // the same points again, logged again
		{batch(1, 4*time.Second), 4}, // an older batch
		{batch(2, 5*time.Second), 4}, // a retry of batch 2
		{batch(0, 6*time.Second), 6}, // unnumbered
		{batch(0, 7*time.Second), 8},
	} {
		if err := b.WriteBatch(ctx, tc.b); err != nil {
			t.Fatal(err)
		}
		got, err := b.Metric(ctx, id, "loss")
		if err != nil {
			t.Fatal(err)
		}
		info, err := b.Run(ctx, id, start)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != tc.wantPoints || info.Metrics["loss"].Count != int64(tc.wantPoints) {
			t.Errorf("after batch %d (heartbeat +%s): %d points, summary count %d; want %d", tc.b.Seq, tc.b.Heartbeat.Sub(start), len(got), info.Metrics["loss"].Count, tc.wantPoints)
		}
		if !info.Heartbeat.Equal(tc.b.Heartbeat) {
			t.Errorf("after batch %d: heartbeat +%s; want +%s", tc.b.Seq, info.Heartbeat.Sub(start), tc.b.Heartbeat.Sub(start))
		}
		env, err := b.MetricEnvelope(ctx, id, "loss", 10)
		if err != nil || env.Count != int64(tc.wantPoints) {
			t.Errorf("after batch %d: envelope of %d points, %v", tc.b.Seq, env.Count, err)
		}
	}
}

// replyLost is a backend whose every other write of points is committed
// but reported failed, as when the connection breaks while the server
// commits.
type replyLost struct {
	tracker.Backend
	mu     sync.Mutex
	writes int
	lost   int
}

var errReplyLost = errors.New("connection reset while committing")

func (r *replyLost) WriteBatch(ctx context.Context, b tracker.Batch) error {
	if err := r.Backend.WriteBatch(ctx, b); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(b.Metrics) > 0 {
		if r.writes++; r.writes%2 == 1 {
			r.lost++
			return errReplyLost
		}
	}
	return nil
}

// testLostCommitReply: a run whose every write seems to fail after its
// commit retries each, and still stores every point once.
func testLostCommitReply(t *testing.T, tg Target) {
	ctx := context.Background()
	b, err := tracker.OpenBackend(tg.NewDatabase(t), tracker.BackendConfig{})
	if err != nil {
		t.Fatal(err)
	}
	lossy := &replyLost{Backend: b}
	s := tracker.NewStore(lossy, tracker.WithFlushInterval(time.Hour), tracker.WithEndWait(time.Minute))
	defer s.Close()
	run, err := s.StartRun(ctx, "e", "lossy", nil)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20000 // more than one transaction's worth
	for step := range int64(n) {
		run.LogMetric("loss", step, float64(step))
		if step%5000 == 4999 {
			// The flush fails when its last write's reply is lost.
			if err := run.Flush(ctx); err != nil && !errors.Is(err, errReplyLost) {
				t.Fatalf("flush at step %d: %v", step, err)
			}
		}
	}
	if err := run.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := s.Metric(ctx, run.ID(), "loss")
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range got {
		if i >= n || p.Step != int64(i) {
			t.Fatalf("point %d is at step %d; want each step once", i, p.Step)
		}
	}
	info, err := s.Run(ctx, run.ID())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n || info.Status != tracker.StatusFinished || lossy.lost < 3 {
		t.Errorf("%d points, status %s, %d replies lost; want %d, FINISHED, at least 3", len(got), info.Status, lossy.lost, n)
	}
}
