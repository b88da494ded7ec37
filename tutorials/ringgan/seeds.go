package ringgan

import (
	"fmt"
	"image/color"
	"math"

	"github.com/gomlx/compute"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/ganbook/ganbook/tracker"
)

// Seeds are the seeds a seed group trains: five, the fewest that give a Student-t interval a
// usable width (t = 2.78 at 4 degrees of freedom), as notebook 07 does. Seed 1 is the seed of
// DefaultConfig, so a group's first run is the run notebook 05 draws.
func Seeds() []int64 { return []int64{1, 2, 3, 4, 5} }

// Level is the confidence level of a seed group's intervals.
const Level = 0.95

// SeedGroup is one configuration trained once per seed and measured at its last step.
type SeedGroup struct {
	Config Config // the configuration, Seed aside
	Seeds  []int64
	// Final holds each seed's snapshot at Config.Steps, in Seeds order (no surface).
	Final []Snapshot
	// Modes and HighQuality are the Level Student-t intervals (tracker.TInterval) of the
	// covered modes and of the share of samples within 3σ of a centre, in percent, over Final.
	Modes, HighQuality tracker.Interval
}

// TrainSeedGroup trains cfg once with each seed on backend, keeping only the last snapshot of
// each run; onRun, when not nil, sees each run's last snapshot as soon as it is done. Training
// is the same as Train's: a seed's run here ends exactly where Train with that seed ends on
// the go backend, whatever cfg's snapshot settings.
func TrainSeedGroup(backend compute.Backend, cfg Config, seeds []int64, onRun func(seed int64, last Snapshot)) (SeedGroup, error) {
	if len(seeds) == 0 {
		return SeedGroup{}, fmt.Errorf("ringgan: a seed group needs at least one seed")
	}
	cfg.SnapshotEvery, cfg.Grid, cfg.KeepParams = 0, 0, false
	g := SeedGroup{Config: cfg, Seeds: seeds}
	var modes, share []float64
	for _, seed := range seeds {
		cfg.Seed = seed
		snaps, err := Train(backend, cfg, nil)
		if err != nil {
			return g, fmt.Errorf("ringgan: %s loss, seed %d: %w", cfg.Loss, seed, err)
		}
		last := snaps[len(snaps)-1]
		g.Final = append(g.Final, last)
		modes = append(modes, float64(last.Coverage.Covered))
		share = append(share, 100*last.Coverage.HighQualityShare())
		if onRun != nil {
			onRun(seed, last)
		}
	}
	g.Modes, g.HighQuality = tracker.TInterval(modes, Level), tracker.TInterval(share, Level)
	return g, nil
}

// SeedGroupPlot draws, for each named group, every seed's value of metric (a dot) and the
// group's Level interval of their mean (a bar with the mean marked), the groups side by side.
// metric picks a value from a run's last snapshot and the interval of the group.
func SeedGroupPlot(title, yLabel string, names []string, groups []SeedGroup, metric func(Snapshot) float64, interval func(SeedGroup) tracker.Interval) (*plot.Plot, error) {
	if len(names) != len(groups) {
		return nil, fmt.Errorf("ringgan: %d names for %d groups", len(names), len(groups))
	}
	colours := []color.Color{color.RGBA{R: 230, G: 120, A: 255}, color.RGBA{B: 200, G: 80, A: 255}}
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = yLabel
	p.X.Min, p.X.Max = -0.6, float64(len(groups))-0.4
	p.NominalX(names...)
	lo, hi := math.Inf(1), math.Inf(-1)
	extend := func(v float64) { lo, hi = math.Min(lo, v), math.Max(hi, v) }
	for i, g := range groups {
		colour := colours[i%len(colours)]
		var dots plotter.XYs
		for j, s := range g.Final {
			// Spread the dots sideways so that equal values stay visible.
			dx := 0.08 * (float64(j) - float64(len(g.Final)-1)/2)
			dots = append(dots, plotter.XY{X: float64(i) - 0.2 + dx, Y: metric(s)})
			extend(metric(s))
		}
		scatter, err := plotter.NewScatter(dots)
		if err != nil {
			return nil, err
		}
		scatter.GlyphStyle = draw.GlyphStyle{Color: colour, Radius: vg.Points(3), Shape: draw.CircleGlyph{}}
		p.Add(scatter)
		iv := interval(g)
		if iv.N < 2 {
			continue // one run: no interval to draw
		}
		extend(iv.Low())
		extend(iv.High())
		bar := plotter.XYs{{X: float64(i) + 0.2, Y: iv.Low()}, {X: float64(i) + 0.2, Y: iv.High()}}
		mean := plotter.XYs{{X: float64(i) + 0.12, Y: float64(iv.Mean)}, {X: float64(i) + 0.28, Y: float64(iv.Mean)}}
		for _, xy := range []plotter.XYs{bar, mean} {
			line, err := plotter.NewLine(xy)
			if err != nil {
				return nil, err
			}
			line.Color, line.Width = colour, vg.Points(2)
			p.Add(line)
		}
	}
	if pad := 0.08 * (hi - lo); pad > 0 {
		// Room above and below, so that no dot or bar end sits on the frame.
		p.Y.Min, p.Y.Max = lo-pad, hi+pad
	}
	return p, nil
}
