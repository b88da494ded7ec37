package web

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ganbook/ganbook/tracker"
	"github.com/ganbook/ganbook/tracker/sqlite"
)

// The seeded sweeps: a 3 × 2 × 2 grid (lr_d × loss × seed), all FINISHED,
// and a small one whose id needs quoting, with a trial interrupted and
// resumed (a KILLED run and a FINISHED one) and a trial still RUNNING.
const (
	gridSweep   = "a1b2c3d4"
	quotedSweep = `it's "odd"`
)

// The grid's axes, as `ganbook sweep --set` writes them.
var (
	gridLRD   = []string{"2e-5", "2e-4", "2e-3"}
	gridLoss  = []string{"minimax", "nonsaturating"}
	gridSeeds = []string{"1", "2"}
)

// gridTrial is one run of the grid sweep and the values it logged.
type gridTrial struct {
	ID                   string
	Index                int
	LRD, Loss, Seed      string
	FID, Coverage, DLoss float64 // final values
}

// gridFID is a trial's final FID: 10 + 12·(lr_d's index) + 5·(loss's
// index) + 2·(seed's index), so that every run has its own value, at least
// 2 apart, and the two seeds of a setting differ by exactly 2.
func gridFID(li, lossi, si int) float64 { return float64(10 + 12*li + 5*lossi + 2*si) }

// sweepStore is a tracker database holding the seeded sweeps and a run of
// no sweep.
type sweepStore struct {
	reader *tracker.Store
	grid   []gridTrial
	ids    map[string]string // run name → id, for the runs outside the grid
}

func seedSweeps(t testing.TB) *sweepStore {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ganbook.db")
	backend, err := sqlite.Open(path, tracker.BackendConfig{})
	if err != nil {
		t.Fatal(err)
	}
	s := &sweepStore{ids: map[string]string{}}
	start := time.Now().Add(-3 * time.Hour)
	n := 0
	add := func(name string, params map[string]string, tags map[string]string, final map[string]float64, status tracker.RunStatus) string {
		t.Helper()
		n++
		at := start.Add(time.Duration(n) * time.Minute)
		nr := tracker.NewRun{ID: fmt.Sprintf("%016x%016x", rand.Uint64(), rand.Uint64()), Experiment: "mnist", Name: name,
			StartTime: at, HeartbeatTimeout: time.Hour}
		for _, k := range slices.Sorted(maps.Keys(params)) {
			nr.Params = append(nr.Params, tracker.NewParam(k, params[k]))
		}
		for k, v := range tags {
			nr.Tags = append(nr.Tags, tracker.Tag{Key: k, Value: v})
		}
		if err := backend.CreateRun(ctx, nr); err != nil {
			t.Fatal(err)
		}
		b := tracker.Batch{RunID: nr.ID, Heartbeat: at.Add(time.Minute)}
		if status == tracker.StatusRunning {
			b.Heartbeat = time.Now() // alive: not taken for a crashed run
		}
		for k, v := range final {
			// An earlier value first: the pages must show the last one.
			b.Metrics = append(b.Metrics,
				tracker.MetricPoint{Key: k, Step: 0, Time: at, Value: 3*v + 1},
				tracker.MetricPoint{Key: k, Step: 100, Time: at.Add(time.Minute), Value: v})
		}
		if err := backend.WriteBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
		if status != tracker.StatusRunning {
			if err := backend.EndRun(ctx, nr.ID, status, "", at.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		return nr.ID
	}

	for li, lrd := range gridLRD {
		for lossi, loss := range gridLoss {
			for si, seed := range gridSeeds {
				tr := gridTrial{Index: len(s.grid), LRD: lrd, Loss: loss, Seed: seed, FID: gridFID(li, lossi, si)}
				tr.Coverage = 0.5 + 0.03*float64(11-tr.Index)
				tr.DLoss = 0.6 + 0.01*float64(tr.Index)
				tr.ID = add(fmt.Sprintf("sweep-%s-trial-%03d", gridSweep, tr.Index),
					map[string]string{"lr_d": lrd, "loss": loss, "seed": seed, "batch_size": "64", "model": "mlp"},
					map[string]string{sweepTag: gridSweep, sweepTrialTag: fmt.Sprint(tr.Index)},
					map[string]float64{"fid": tr.FID, "coverage": tr.Coverage, "d_loss": tr.DLoss, "g_loss": 2 * tr.DLoss},
					tracker.StatusFinished)
				s.grid = append(s.grid, tr)
			}
		}
	}
	quotedTags := func(trial int) map[string]string {
		return map[string]string{sweepTag: quotedSweep, sweepTrialTag: fmt.Sprint(trial)}
	}
	s.ids["q0-killed"] = add("q0-killed", map[string]string{"lr_g": "1e-4", "seed": "1"}, quotedTags(0), map[string]float64{"d_loss": 0.9}, tracker.StatusKilled)
	s.ids["q0-resumed"] = add("q0-resumed", map[string]string{"lr_g": "1e-4", "seed": "1"}, quotedTags(0), map[string]float64{"d_loss": 0.7}, tracker.StatusFinished)
	s.ids["q1-running"] = add("q1-running", map[string]string{"lr_g": "3e-4", "seed": "1"}, quotedTags(1), map[string]float64{"d_loss": 0.8}, tracker.StatusRunning)
	s.ids["lone"] = add("lone", map[string]string{"lr_g": "1e-4"}, map[string]string{"note": "no sweep"}, map[string]float64{"d_loss": 0.5}, tracker.StatusFinished)
	if err := backend.Close(); err != nil {
		t.Fatal(err)
	}
	s.reader, err = tracker.Open(path, tracker.ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.reader.Close() })
	return s
}
