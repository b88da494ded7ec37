package tutorials

import (
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/tutorials/ringgan"
)

// ringRuns trains notebook 05's two runs once: ringgan.DefaultConfig with the non-saturating
// and with the saturating (minimax) generator loss, same seed, same budget.
var (
	ringOnce       sync.Once
	ringNS, ringMM []ringgan.Snapshot
	ringErr        error
)

func ringRuns(t *testing.T) (ns, mm []ringgan.Snapshot) {
	t.Helper()
	backend := testBackend(t)
	ringOnce.Do(func() {
		cfg := ringgan.DefaultConfig()
		if ringNS, ringErr = ringgan.Train(backend, cfg, nil); ringErr != nil {
			return
		}
		cfg.Loss = gan.LossMinimax
		ringMM, ringErr = ringgan.Train(backend, cfg, nil)
	})
	if ringErr != nil {
		t.Fatal(ringErr)
	}
	return ringNS, ringMM
}

// Ring figures draw 200 generated and 150 real points per panel, so that the SVGs stay small;
// the coverage in the titles counts all 2000 generated points.
const ringFakeDrawn, ringRealDrawn = 200, 150

func TestTutorial05NumbersAndFigures(t *testing.T) {
	cfg := ringgan.DefaultConfig()
	ns, mm := ringRuns(t)
	at := func(snaps []ringgan.Snapshot, step int) ringgan.Snapshot {
		for _, s := range snaps {
			if s.Step == step {
				return s
			}
		}
		t.Fatalf("no snapshot at step %d", step)
		return ringgan.Snapshot{}
	}
	numbers := map[string]func() float64{
		"modes":      func() float64 { return float64(cfg.Ring.Modes) },
		"radius":     func() float64 { return cfg.Ring.Radius },
		"sigma":      func() float64 { return cfg.Ring.Sigma },
		"hqRadius":   func() float64 { return ringgan.HighQualityRadius * cfg.Ring.Sigma },
		"spacing":    func() float64 { return cfg.Ring.CentreSpacing() },
		"samples":    func() float64 { return float64(cfg.Samples) },
		"minPerMode": func() float64 { return float64(ns[0].Coverage.MinPerMode) },
		"realShare":  func() float64 { return 1 - math.Exp(-ringgan.HighQualityRadius*ringgan.HighQualityRadius/2) },
		"steps":      func() float64 { return float64(cfg.Steps) },
		"batch":      func() float64 { return float64(cfg.Batch) },
		"hidden":     func() float64 { return float64(cfg.Hidden) },
		"noise":      func() float64 { return float64(cfg.NoiseDim) },
		"lr":         func() float64 { return cfg.LRD },
		"beta1":      func() float64 { return cfg.Beta1 },
		"fakeDrawn":  func() float64 { return ringFakeDrawn },
		"samples2":   func() float64 { return float64(len(ns[len(ns)-1].Fake) / 2) },
		"dfakeMin":   func() float64 { return dFakeRange(ns, mm, math.Min, math.Inf(1)) },
		"dfakeMax":   func() float64 { return dFakeRange(ns, mm, math.Max, math.Inf(-1)) },
		"offModeMin": func() float64 { return 100 * foldSnapshots(ns, mm, math.Min, math.Inf(1), offMode) },
		"lowMax":     func() float64 { return 100 * foldSnapshots(ns, mm, math.Max, math.Inf(-1), lowD) },
		"ratioMin":   func() float64 { return foldSnapshots(ns, mm, math.Min, math.Inf(1), ringgan.Snapshot.GradRatio) },
		"ratioMax":   func() float64 { return foldSnapshots(ns, mm, math.Max, math.Inf(-1), ringgan.Snapshot.GradRatio) },
	}
	for step := cfg.SnapshotEvery; step <= cfg.Steps; step += cfg.SnapshotEvery {
		for _, run := range []struct {
			name  string
			snaps []ringgan.Snapshot
		}{{"ns", ns}, {"mm", mm}} {
			s := at(run.snaps, step)
			numbers[fmt.Sprintf("%sModes%d", run.name, step)] = func() float64 { return float64(s.Coverage.Covered) }
			numbers[fmt.Sprintf("%sHQ%d", run.name, step)] = func() float64 { return 100 * s.Coverage.HighQualityShare() }
			numbers[fmt.Sprintf("%sDFake%d", run.name, step)] = func() float64 { return s.DFake }
			numbers[fmt.Sprintf("%sLow%d", run.name, step)] = func() float64 { return 100 * lowD(s) }
			numbers[fmt.Sprintf("%sRatio%d", run.name, step)] = func() float64 { return s.GradRatio() }
		}
	}
	realDrawn := ringgan.RealForPlot(cfg.Ring, ringRealDrawn)
	figures := map[string]func() (string, error){
		"img/05-ring-nonsaturating.svg": func() (string, error) {
			snaps := []ringgan.Snapshot{at(ns, 0), at(ns, 1000), at(ns, 2000), at(ns, 3000)}
			return ringgan.Figure(cfg.Ring, realDrawn, snaps, ringFakeDrawn, 4, 4.5)
		},
		"img/05-ring-minimax.svg": func() (string, error) {
			snaps := []ringgan.Snapshot{at(mm, 1000), at(mm, 2000), at(mm, 3000)}
			return ringgan.Figure(cfg.Ring, realDrawn, snaps, ringFakeDrawn, 4, 4.5)
		},
	}
	addRingGroupChecks(t, numbers, figures)
	checkTutorial(t, tutorial{file: "05-ring-gan.md", numbers: numbers, figures: figures})
}

// foldSnapshots folds f of every snapshot after step 0 of both runs with pick.
func foldSnapshots(ns, mm []ringgan.Snapshot, pick func(a, b float64) float64, start float64, f func(ringgan.Snapshot) float64) float64 {
	v := start
	for _, run := range [][]ringgan.Snapshot{ns, mm} {
		for _, s := range run[1:] {
			v = pick(v, f(s))
		}
	}
	return v
}

func offMode(s ringgan.Snapshot) float64 { return 1 - s.Coverage.HighQualityShare() }

// lowD is the share of a snapshot's fakes with D(G(z)) < 0.05, where (1 − D)/D > 19.
func lowD(s ringgan.Snapshot) float64 { return s.LowDShare(0.05) }

// dFakeRange folds the mean D(G(z)) of every snapshot after step 0 of both runs with pick.
func dFakeRange(ns, mm []ringgan.Snapshot, pick func(a, b float64) float64, start float64) float64 {
	v := start
	for _, run := range [][]ringgan.Snapshot{ns, mm} {
		for _, s := range run[1:] {
			v = pick(v, s.DFake)
		}
	}
	return v
}
