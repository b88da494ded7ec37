package tracker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/ganbook/ganbook/tracker"
	"github.com/ganbook/ganbook/tracker/sqlite"
)

// syncFixture fills a store with the runs a sync must carry: a FINISHED
// run with non-finite and −0 points, images, tags and a record; a FAILED
// run linked to it both ways; a KILLED one; and a RUNNING one, returned
// live so the caller ends it.
func syncFixture(t *testing.T, s *tracker.Store) (ids []string, live *tracker.Run) {
	t.Helper()
	ctx := context.Background()
	var grid bytes.Buffer
	img := image.NewGray(image.Rect(0, 0, 4, 3))
	img.Set(1, 2, color.Gray{200})
	if err := png.Encode(&grid, img); err != nil {
		t.Fatal(err)
	}
	rec := tracker.ReproRecord{GoVersion: "go1.26", OS: "linux", Arch: "amd64", NumCPU: 2, Seed: 7,
		Config: []byte(`{"lr":0.0002}`), CommandLine: []string{"ganbook", "train"}}
	parent, err := s.StartRun(ctx, "sync", "parent", map[string]any{"lr_d": 2e-4, "model": "mlp"},
		tracker.WithTags(map[string]string{"team": "a"}), tracker.WithRecord(rec))
	if err != nil {
		t.Fatal(err)
	}
	values := []float64{1.5, math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1), 5e-324, 0.25}
	for i, v := range values {
		parent.LogMetric("d_loss", int64(i), v)
	}
	for i := range 9000 { // more than one transaction's worth
		parent.LogMetric("g_loss", int64(i), float64(i)/7)
	}
	parent.LogMetric("g_loss", 3, 42) // a second point at an earlier step
	parent.LogImage("samples", 0, grid.Bytes())
	parent.LogImage("samples", 100, append([]byte(nil), grid.Bytes()...))
	parent.SetTag("note", "first")
	if err := parent.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	child, err := s.StartRun(ctx, "sync", "child", map[string]any{"lr_d": 1e-4},
		tracker.WithParent(parent.ID()), tracker.WithReproducedFrom(parent.ID()))
	if err != nil {
		t.Fatal(err)
	}
	child.LogMetric("d_loss", 0, 0.5)
	if err := child.Fail(ctx, errors.New("diverged")); err != nil {
		t.Fatal(err)
	}
	killed, err := s.StartRun(ctx, "other", "killed", nil)
	if err != nil {
		t.Fatal(err)
	}
	killed.LogMetric("d_loss", 0, 0.75)
	if err := killed.Kill(ctx); err != nil {
		t.Fatal(err)
	}
	live, err = s.StartRun(ctx, "sync", "live", nil)
	if err != nil {
		t.Fatal(err)
	}
	live.LogMetric("d_loss", 0, 1)
	if err := live.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return []string{parent.ID(), child.ID(), killed.ID()}, live
}

// sameStoredRun compares everything a copy must carry of a run.
func sameStoredRun(t *testing.T, dst, src *tracker.Store, id string) {
	t.Helper()
	ctx := context.Background()
	want, err := src.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	got, err := dst.Run(ctx, id)
	if err != nil {
		t.Fatalf("run %s not in the destination: %v", id, err)
	}
	want.Heartbeat, got.Heartbeat = time.Time{}, time.Time{} // a copy's heartbeat is its end
	if !reflect.DeepEqual(jsonOf(t, got), jsonOf(t, want)) {
		t.Errorf("run %s differs:\n got %s\nwant %s", id, jsonOf(t, got), jsonOf(t, want))
	}
	for key := range want.Metrics {
		wp, _ := src.Metric(ctx, id, key)
		gp, err := dst.Metric(ctx, id, key)
		if err != nil || len(gp) != len(wp) {
			t.Fatalf("run %s metric %s: %d points (%v), want %d", id, key, len(gp), err, len(wp))
		}
		for i := range wp {
			if gp[i].Step != wp[i].Step || !gp[i].Time.Equal(wp[i].Time) || math.Float64bits(gp[i].Value) != math.Float64bits(wp[i].Value) && !(math.IsNaN(gp[i].Value) && math.IsNaN(wp[i].Value)) {
				t.Errorf("run %s %s point %d = %+v (bits %#x), want %+v (bits %#x)", id, key, i, gp[i], math.Float64bits(gp[i].Value), wp[i], math.Float64bits(wp[i].Value))
			}
		}
	}
	wi, _ := src.Images(ctx, id)
	gi, _ := dst.Images(ctx, id)
	if !reflect.DeepEqual(jsonOf(t, gi), jsonOf(t, wi)) {
		t.Errorf("run %s images %s, want %s", id, jsonOf(t, gi), jsonOf(t, wi))
	}
	for _, im := range wi {
		a, _ := src.Image(ctx, id, im.Key, im.Step)
		b, err := dst.Image(ctx, id, im.Key, im.Step)
		if err != nil || !bytes.Equal(a.PNG, b.PNG) {
			t.Errorf("run %s image %s@%d differs (%v)", id, im.Key, im.Step, err)
		}
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCopyRun(t *testing.T) {
	ctx := context.Background()
	src, _ := openStore(t)
	ids, live := syncFixture(t, src)
	defer live.Finish(ctx)
	dst, _ := openStore(t)

	res, err := tracker.CopyRun(ctx, dst, src, live.ID())
	if err != nil || !res.Running || res.Copied {
		t.Fatalf("live run: %+v, %v; want it skipped as running", res, err)
	}
	if _, err := dst.Run(ctx, live.ID()); !errors.Is(err, tracker.ErrNotFound) {
		t.Errorf("live run in the destination: %v", err)
	}
	wantPoints := []int{7 + 9001, 1, 1}
	for i, id := range ids {
		res, err := tracker.CopyRun(ctx, dst, src, id[:10]) // an id prefix
		if err != nil || !res.Copied || res.Points != wantPoints[i] {
			t.Fatalf("copy %s: %+v, %v; want copied with %d points", id, res, err, wantPoints[i])
		}
	}
	for _, id := range ids {
		sameStoredRun(t, dst, src, id)
	}
	child, _ := dst.Run(ctx, ids[1])
	if child.ParentID != ids[0] || child.ReproducedFrom != ids[0] {
		t.Errorf("child links %q %q, want %q", child.ParentID, child.ReproducedFrom, ids[0])
	}
	for _, id := range ids { // idempotent
		res, err := tracker.CopyRun(ctx, dst, src, id)
		if err != nil || res.Copied {
			t.Errorf("second copy of %s: %+v, %v; want nothing copied", id, res, err)
		}
	}
	exps, _ := dst.Experiments(ctx)
	if len(exps) != 2 || exps[0].RunCount+exps[1].RunCount != 3 {
		t.Errorf("destination experiments %+v, want 3 runs in 2", exps)
	}
}

// failingBackend fails its nth WriteBatch, as a destination that goes away
// in the middle of a copy.
type failingBackend struct {
	tracker.Backend
	n int
}

func (f *failingBackend) WriteBatch(ctx context.Context, b tracker.Batch) error {
	if f.n--; f.n == 0 {
		return errors.New("disk gone")
	}
	return f.Backend.WriteBatch(ctx, b)
}

func TestCopyRunInterruptedIsRedone(t *testing.T) {
	ctx := context.Background()
	src, _ := openStore(t)
	ids, live := syncFixture(t, src)
	live.Finish(ctx)
	tests := []struct {
		name      string
		failAfter int
	}{
		{"fails at the first point batch", 1},
		{"fails inside a long series", 3},
		{"fails at the last image", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "dst.db")
			b, err := sqlite.Open(path, tracker.BackendConfig{BusyTimeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			broken := tracker.NewStore(&failingBackend{Backend: b, n: tt.failAfter})
			if _, err := tracker.CopyRun(ctx, broken, src, ids[0]); err == nil {
				t.Fatal("copy through a failing backend succeeded")
			}
			broken.Close()
			dst, err := tracker.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer dst.Close()
			if info, err := dst.Run(ctx, ids[0]); err == nil && info.Status == tracker.StatusFinished {
				t.Fatalf("an interrupted copy reads as whole: %+v", info)
			}
			res, err := tracker.CopyRun(ctx, dst, src, ids[0])
			if err != nil || !res.Copied {
				t.Fatalf("copy after the interruption: %+v, %v", res, err)
			}
			sameStoredRun(t, dst, src, ids[0])
		})
	}
}

// openStore opens a new SQLite store in a temporary directory.
func openStore(t *testing.T, opts ...tracker.Option) (*tracker.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "runs.db")
	s, err := tracker.Open(path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}
