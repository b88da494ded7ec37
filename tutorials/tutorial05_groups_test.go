package tutorials

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"

	"gonum.org/v1/plot"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/tracker"
	"github.com/ganbook/ganbook/tutorials/panels"
	"github.com/ganbook/ganbook/tutorials/ringgan"
)

// ringGroups trains notebook 05's seed groups once: ringgan.DefaultConfig with each loss over
// ringgan.Seeds.
var (
	ringGroupsOnce   sync.Once
	ringGroupNS      ringgan.SeedGroup
	ringGroupMM      ringgan.SeedGroup
	ringGroupsErr    error
	ringGroupsLosses = []string{gan.LossNonSaturating, gan.LossMinimax}
)

func ringSeedGroups(t *testing.T) (ns, mm ringgan.SeedGroup) {
	t.Helper()
	backend := testBackend(t)
	ringGroupsOnce.Do(func() {
		cfg := ringgan.DefaultConfig()
		cfg.Loss = gan.LossNonSaturating
		if ringGroupNS, ringGroupsErr = ringgan.TrainSeedGroup(backend, cfg, ringgan.Seeds(), nil); ringGroupsErr != nil {
			return
		}
		cfg.Loss = gan.LossMinimax
		ringGroupMM, ringGroupsErr = ringgan.TrainSeedGroup(backend, cfg, ringgan.Seeds(), nil)
	})
	if ringGroupsErr != nil {
		t.Fatal(ringGroupsErr)
	}
	return ringGroupNS, ringGroupMM
}

func modesOf(s ringgan.Snapshot) float64                 { return float64(s.Coverage.Covered) }
func highQualityOf(s ringgan.Snapshot) float64           { return 100 * s.Coverage.HighQualityShare() }
func modesInterval(g ringgan.SeedGroup) tracker.Interval { return g.Modes }
func highQualityInterval(g ringgan.SeedGroup) tracker.Interval {
	return g.HighQuality
}

// ringSeedFigure is the figure of tutorial 05's seed groups: covered modes and the share within
// 3σ at the last step, per seed, with each loss's 95 % interval.
func ringSeedFigure(ns, mm ringgan.SeedGroup) (string, error) {
	names := []string{"non-saturating", "saturating"}
	groups := []ringgan.SeedGroup{ns, mm}
	modes, err := ringgan.SeedGroupPlot(fmt.Sprintf("Covered modes at step %d", ns.Config.Steps), "modes", names, groups, modesOf, modesInterval)
	if err != nil {
		return "", err
	}
	share, err := ringgan.SeedGroupPlot(fmt.Sprintf("Within 3σ at step %d", ns.Config.Steps), "% of samples", names, groups, highQualityOf, highQualityInterval)
	if err != nil {
		return "", err
	}
	return panels.SVG([]*plot.Plot{modes, share}, 2, 9, 7)
}

// addRingGroupChecks adds to tutorial 05's checks the numbers and the figure of its seed groups,
// and checks what the text says of them.
func addRingGroupChecks(t *testing.T, numbers map[string]func() float64, figures map[string]func() (string, error)) {
	t.Helper()
	ns, mm := ringSeedGroups(t)
	nsRuns, mmRuns := ringRuns(t)
	// The drawn runs are the groups' seed-1 runs: same training, other snapshots.
	for _, pair := range []struct {
		group ringgan.SeedGroup
		drawn []ringgan.Snapshot
	}{{ns, nsRuns}, {mm, mmRuns}} {
		last := pair.drawn[len(pair.drawn)-1]
		if pair.group.Seeds[0] != ringgan.DefaultConfig().Seed || !slices.Equal(pair.group.Final[0].Fake, last.Fake) {
			t.Errorf("%s: the group's first run does not end where the drawn run ends", pair.group.Config.Loss)
		}
	}
	for name, f := range map[string]func() float64{
		"groupSeeds": func() float64 { return float64(len(ringgan.Seeds())) },
		"groupSteps": func() float64 { return float64(ns.Config.Steps) },
		"tQuantile":  func() float64 { return float64(ns.Modes.HalfWidth/ns.Modes.StdDev) * math.Sqrt(float64(len(ns.Seeds))) },
	} {
		numbers[name] = f
	}
	for _, g := range []struct {
		name  string
		group ringgan.SeedGroup
	}{{"ns", ns}, {"mm", mm}} {
		for i, s := range g.group.Final {
			numbers[fmt.Sprintf("%sSeedModes%d", g.name, i+1)] = func() float64 { return modesOf(s) }
			numbers[fmt.Sprintf("%sSeedHQ%d", g.name, i+1)] = func() float64 { return highQualityOf(s) }
		}
		for _, m := range []struct {
			name string
			iv   tracker.Interval
		}{{"Modes", g.group.Modes}, {"HQ", g.group.HighQuality}} {
			numbers[g.name+"Group"+m.name+"Mean"] = func() float64 { return float64(m.iv.Mean) }
			numbers[g.name+"Group"+m.name+"Half"] = func() float64 { return float64(m.iv.HalfWidth) }
		}
	}
	// The text says the intervals overlap in both measures and that some seed covers all 8 modes
	// while another covers few: each is checked here.
	if !ns.Modes.Overlaps(mm.Modes) || !ns.HighQuality.Overlaps(mm.HighQuality) {
		t.Errorf("the text says the losses' intervals overlap: modes %v vs %v, within 3σ %v vs %v", ns.Modes, mm.Modes, ns.HighQuality, mm.HighQuality)
	}
	var allModes []float64
	for _, g := range []ringgan.SeedGroup{ns, mm} {
		var modes []float64
		for _, s := range g.Final {
			modes = append(modes, modesOf(s))
		}
		if slices.Max(modes) != 8 {
			t.Errorf("the text says some seed covers all 8 modes with the %s loss; the most is %v", g.Config.Loss, slices.Max(modes))
		}
		allModes = append(allModes, modes...)
	}
	numbers["groupModesMin"] = func() float64 { return slices.Min(allModes) }
	numbers["groupModesMax"] = func() float64 { return slices.Max(allModes) }
	figures["img/05-seeds.svg"] = func() (string, error) { return ringSeedFigure(ns, mm) }
}
