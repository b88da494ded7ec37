package ringgan

import (
	"io"
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/plot"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/tracker"
	"github.com/ganbook/ganbook/tutorials/panels"
)

func TestTrainSeedGroupEndsWhereTrainEnds(t *testing.T) {
	backend, err := gan.NewBackend(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Steps, cfg.SnapshotEvery, cfg.Samples, cfg.Grid = 30, 10, 256, 4
	seeds := []int64{3, 7, 11}
	var seen []int64
	g, err := TrainSeedGroup(backend, cfg, seeds, func(seed int64, last Snapshot) {
		seen = append(seen, seed)
		if last.Step != cfg.Steps || last.Surface != nil {
			t.Errorf("seed %d: last snapshot at step %d with %d surface values, want step %d and none", seed, last.Step, len(last.Surface), cfg.Steps)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seen, seeds) || len(g.Final) != len(seeds) {
		t.Fatalf("callback saw seeds %v, %d final snapshots; want %v", seen, len(g.Final), seeds)
	}
	var modes []float64
	for i, seed := range seeds {
		one := cfg
		one.Seed = seed
		snaps, err := Train(backend, one, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := snaps[len(snaps)-1]
		if !slices.Equal(g.Final[i].Fake, want.Fake) || g.Final[i].DLoss != want.DLoss {
			t.Errorf("seed %d: the group's run does not end where Train with that seed ends", seed)
		}
		modes = append(modes, float64(want.Coverage.Covered))
	}
	// The interval by hand: mean, sample standard deviation, t_{0.975}(2) = 4.302653.
	mean := (modes[0] + modes[1] + modes[2]) / 3
	sd := math.Sqrt(((modes[0]-mean)*(modes[0]-mean) + (modes[1]-mean)*(modes[1]-mean) + (modes[2]-mean)*(modes[2]-mean)) / 2)
	if g.Modes.N != 3 || math.Abs(float64(g.Modes.Mean)-mean) > 1e-12 || math.Abs(float64(g.Modes.HalfWidth)-4.302653*sd/math.Sqrt(3)) > 1e-5 {
		t.Errorf("modes interval %+v, want mean %v, half-width %v", g.Modes, mean, 4.302653*sd/math.Sqrt(3))
	}
	if !slices.Equal(g.Seeds, seeds) || g.Config.Grid != 0 || g.Config.SnapshotEvery != 0 {
		t.Errorf("group config %+v", g.Config)
	}

	if _, err := TrainSeedGroup(backend, cfg, nil, nil); err == nil {
		t.Error("TrainSeedGroup accepted no seeds")
	}
	bad := cfg
	bad.Loss = "wasserstein"
	if _, err := TrainSeedGroup(backend, bad, seeds, nil); err == nil || !strings.Contains(err.Error(), "seed 3") {
		t.Errorf("unknown loss: error %v, want one naming the seed", err)
	}

	p, err := SeedGroupPlot("modes", "covered modes", []string{"a", "b"}, []SeedGroup{g, g}, func(s Snapshot) float64 { return float64(s.Coverage.Covered) }, func(g SeedGroup) tracker.Interval { return g.Modes })
	if err != nil {
		t.Fatal(err)
	}
	if svg, err := panels.SVG([]*plot.Plot{p}, 1, 8, 6); err != nil || !strings.Contains(svg, "covered modes") {
		t.Errorf("seed group plot: %v", err)
	}
	if _, err := SeedGroupPlot("", "", []string{"a"}, []SeedGroup{g, g}, nil, nil); err == nil {
		t.Error("SeedGroupPlot accepted 1 name for 2 groups")
	}
}
