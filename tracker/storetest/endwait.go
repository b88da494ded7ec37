package storetest

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ganbook/ganbook/tracker"
)

// switchable is a backend that can be taken down: while down, every write
// fails as a refused connection does.
type switchable struct {
	tracker.Backend
	down atomic.Bool
}

var errDown = errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")

func (s *switchable) WriteBatch(ctx context.Context, b tracker.Batch) error {
	if s.down.Load() {
		return errDown
	}
	return s.Backend.WriteBatch(ctx, b)
}

func (s *switchable) EndRun(ctx context.Context, id string, status tracker.RunStatus, msg string, end time.Time) error {
	if s.down.Load() {
		return errDown
	}
	return s.Backend.EndRun(ctx, id, status, msg, end)
}

// testEndWait: a run ended while its database cannot be written waits for
// it, up to the store's end wait, saying so once; back within the wait,
// everything is stored and the run FINISHED; not back, Finish returns
// ErrNotStored naming what was not stored, after about the wait.
func testEndWait(t *testing.T, tg Target) {
	for _, tc := range []struct {
		name        string
		downFor     time.Duration // 0: for good
		wait        time.Duration
		wantStatus  tracker.RunStatus
		wantStored  int
		wantMessage string
	}{
		{"BackWithinTheWait", 1500 * time.Millisecond, 20 * time.Second, tracker.StatusFinished, 300, ""},
		{"NotBack", 0, 1500 * time.Millisecond, tracker.StatusRunning, 0, "300 points of 1 metrics, 1 images and 1 tags not stored"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			b, err := tracker.OpenBackend(tg.NewDatabase(t), tracker.BackendConfig{})
			if err != nil {
				t.Fatal(err)
			}
			sw := &switchable{Backend: b}
			s := tracker.NewStore(sw, tracker.WithFlushInterval(time.Hour), tracker.WithEndWait(tc.wait))
			defer s.Close()
			run, err := s.StartRun(ctx, "e", "ending", nil)
			if err != nil {
				t.Fatal(err)
			}
			sw.down.Store(true)
			for step := range int64(300) {
				run.LogMetric("loss", step, float64(step))
			}
			run.LogImage("samples", 299, []byte("\x89PNG\r\n\x1a\nx"))
			run.SetTag("t", "v")
			var notices []string
			run.OnEndWait(func(err error, unwritten int, bound time.Duration) {
				notices = append(notices, err.Error())
				if unwritten != 300 || bound != tc.wait {
					t.Errorf("OnEndWait(%v, %d, %s); want 300 points, %s", err, unwritten, bound, tc.wait)
				}
			})
			if tc.downFor > 0 {
				time.AfterFunc(tc.downFor, func() { sw.down.Store(false) })
			}
			began := time.Now()
			err = run.Finish(ctx)
			took := time.Since(began)
			if tc.wantMessage == "" && err != nil {
				t.Fatalf("Finish: %v", err)
			}
			if tc.wantMessage != "" && (!errors.Is(err, tracker.ErrNotStored) || !strings.Contains(err.Error(), tc.wantMessage)) {
				t.Fatalf("Finish: %v; want ErrNotStored saying %q", err, tc.wantMessage)
			}
			if len(notices) != 1 || !strings.Contains(notices[0], "connection refused") {
				t.Errorf("notices %q; want one", notices)
			}
			if tc.downFor == 0 && (took < tc.wait || took > tc.wait+3*time.Second) {
				t.Errorf("Finish gave up after %s; want about %s", took, tc.wait)
			}
			sw.down.Store(false)
			points, err := b.Metric(ctx, run.ID(), "loss")
			if err != nil {
				t.Fatal(err)
			}
			if got := rawStatusOf(t, b, run.ID()); len(points) != tc.wantStored || got != string(tc.wantStatus) {
				t.Errorf("%d points stored, status %s; want %d, %s", len(points), got, tc.wantStored, tc.wantStatus)
			}
		})
	}
}

// rawStatusOf reads a run's stored status as of the Unix epoch, when no
// heartbeat is stale yet.
func rawStatusOf(t *testing.T, b tracker.Backend, id string) string {
	t.Helper()
	info, err := b.Run(context.Background(), id, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return string(info.Status)
}
