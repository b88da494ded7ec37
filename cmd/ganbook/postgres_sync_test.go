package main

import (
	"bytes"
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ganbook/ganbook/internal/pgtest"
	"github.com/ganbook/ganbook/tracker"
)

// `ganbook sync` from a laptop's SQLite file into PostgreSQL, and from there
// into a new SQLite file: every param, point (NaN, ±Inf and −0 bit for bit),
// image, tag, record and link arrives; a second sync copies nothing; the
// RUNNING run is skipped with a line saying so.
func TestPostgresSyncRoundTrip(t *testing.T) {
	ctx := context.Background()
	srv := pgtest.Shared(t)
	f := newMLflowFixture(t) // FINISHED, FAILED (linked) and RUNNING runs
	rerun, err := f.store.StartRun(ctx, "mnist-gan", "rerun", map[string]any{"lr_d": 2e-4}, tracker.WithReproducedFrom(f.finished))
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range []float64{math.Copysign(0, -1), 0, math.NaN(), math.Inf(-1), math.SmallestNonzeroFloat64} {
		rerun.LogMetric("d_loss", int64(i), v)
	}
	rerun.LogMetric("d_loss", 2, -1) // a second point at step 2
	if err := rerun.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	ended := []string{f.finished, f.failed, rerun.ID()}
	pg := srv.NewDatabase(t)
	back := filepath.Join(t.TempDir(), "back.db")
	for _, hop := range []struct{ from, to string }{{f.db, pg}, {pg, back}} {
		name := tracker.Scheme(hop.from) + "→" + tracker.Scheme(hop.to)
		r := syncCLI(t, "--from", hop.from, "--to", hop.to)
		if r.exitCode != 0 {
			t.Fatalf("%s: exit %d\n%s%s", name, r.exitCode, r.stdout, r.stderr)
		}
		if n := strings.Count(r.stdout, ": copied ("); n != len(ended) {
			t.Errorf("%s: %d runs copied; want %d:\n%s", name, n, len(ended), r.stdout)
		}
		if hop.from == f.db && !strings.Contains(r.stdout, short(f.live.ID())) || hop.from == f.db && !strings.Contains(r.stdout, "skipped, still RUNNING") {
			t.Errorf("%s: no line saying the live run was skipped:\n%s", name, r.stdout)
		}
		if strings.Contains(r.stdout+r.stderr, srv.Password) {
			t.Errorf("%s: the output shows the password", name)
		}
		sameRuns(t, name, f.store, hop.to, ended)
		r = syncCLI(t, "--from", hop.from, "--to", hop.to)
		if r.exitCode != 0 || strings.Count(r.stdout, "already there") != len(ended) || strings.Contains(r.stdout, "copied") {
			t.Errorf("%s again: exit %d; want every run already there, nothing copied:\n%s%s", name, r.exitCode, r.stdout, r.stderr)
		}
	}
}

// sameRuns checks that the store at location holds the runs ids of want,
// whole: run info (heartbeats aside), every point bit for bit, every image.
func sameRuns(t *testing.T, hop string, want *tracker.Store, location string, ids []string) {
	t.Helper()
	ctx := context.Background()
	got, err := tracker.Open(location, tracker.ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	all, err := got.Runs(ctx, tracker.RunQuery{})
	if err != nil || len(all) != len(ids) {
		t.Fatalf("%s: %d runs in the destination, %v; want %d", hop, len(all), err, len(ids))
	}
	for _, id := range ids {
		w, err := want.Run(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		g, err := got.Run(ctx, id)
		if err != nil {
			t.Fatalf("%s: %v", hop, err)
		}
		w.Heartbeat, g.Heartbeat = time.Time{}, time.Time{}
		if gj, wj := asJSON(t, g), asJSON(t, w); gj != wj {
			t.Errorf("%s: run %s:\n got %.1500s\nwant %.1500s", hop, short(id), gj, wj)
		}
		for key := range w.Metrics {
			wp, _ := want.Metric(ctx, id, key)
			gp, err := got.Metric(ctx, id, key)
			if err != nil || len(gp) != len(wp) {
				t.Errorf("%s: run %s metric %s: %d points, %v; want %d", hop, short(id), key, len(gp), err, len(wp))
				continue
			}
			for i := range wp {
				if gp[i].Step != wp[i].Step || !gp[i].Time.Equal(wp[i].Time) || math.Float64bits(gp[i].Value) != math.Float64bits(wp[i].Value) {
					t.Errorf("%s: run %s metric %s point %d: %+v (bits %#x); want %+v (%#x)", hop, short(id), key, i,
						gp[i], math.Float64bits(gp[i].Value), wp[i], math.Float64bits(wp[i].Value))
				}
			}
		}
		wi, _ := want.Images(ctx, id)
		gi, err := got.Images(ctx, id)
		if err != nil || len(gi) != len(wi) {
			t.Errorf("%s: run %s: %d images, %v; want %d", hop, short(id), len(gi), err, len(wi))
			continue
		}
		for _, info := range wi {
			a, _ := want.Image(ctx, id, info.Key, info.Step)
			b, err := got.Image(ctx, id, info.Key, info.Step)
			if err != nil || !bytes.Equal(a.PNG, b.PNG) || !a.Time.Equal(b.Time) {
				t.Errorf("%s: run %s image %s@%d differs (%v)", hop, short(id), info.Key, info.Step, err)
			}
		}
	}
}
