package tracked

import (
	"context"
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/tracker"
	"github.com/ganbook/ganbook/tutorials/panels"
)

// Seeds are the seeds notebook 07 trains every variant with: five repeats of each setting, the
// fewest that give a Student-t interval a usable width (t = 2.78 at 4 degrees of freedom).
func Seeds() []int64 { return []int64{1, 2, 3, 4, 5} }

// SeedConfig returns the variant's configuration with the given seed.
func (v Variant) SeedConfig(seed int64) gan.Config {
	cfg := v.Config()
	cfg.Seed = seed
	return cfg
}

// EndMetrics are the metrics compared at the end of a run, in table order.
var EndMetrics = []string{DLoss, GLoss, DReal, DFake}

// EndWindow is how many final steps a run's end value of a metric averages over: one step is
// one batch, too noisy to stand for the run.
const EndWindow = 50

// Level is the confidence level of the group intervals.
const Level = 0.95

// SeedGroup is one setting's runs over several seeds as the tracker holds them, with the
// statistics that compare settings by their spread: per metric, each run's end value, the
// Student-t interval of their mean (tracker.TInterval, the interval `ganbook compare --group-by`
// reports) and a band around the mean curve (tracker.CurveBand).
type SeedGroup struct {
	Name string
	Runs []tracker.RunInfo
	// Ends holds, per metric, each run's mean over its last EndWindow steps, in run order.
	Ends map[string][]float64
	// End holds, per metric, the Level interval of Ends.
	End map[string]tracker.Interval
	// Bands holds, per metric, the Level interval over the runs at every step of their series
	// smoothed by a trailing moving average.
	Bands map[string][]tracker.BandPoint
}

// LoadSeedGroup reads the runs ids from store and computes their group statistics over
// EndMetrics, the curve bands from series smoothed over window steps (MovingAverage).
func LoadSeedGroup(ctx context.Context, store *tracker.Store, name string, ids []string, window int) (SeedGroup, error) {
	g := SeedGroup{Name: name, Ends: map[string][]float64{}, End: map[string]tracker.Interval{}, Bands: map[string][]tracker.BandPoint{}}
	smoothed := map[string][][]tracker.MetricPoint{}
	for _, id := range ids {
		info, err := store.Run(ctx, id)
		if err != nil {
			return g, err
		}
		g.Runs = append(g.Runs, info)
		for _, k := range EndMetrics {
			points, err := store.Metric(ctx, id, k)
			if err != nil {
				return g, err
			}
			if len(points) == 0 {
				return g, fmt.Errorf("tracked: run %s has no %s", id, k)
			}
			xy := make(plotter.XYs, len(points))
			for i, p := range points {
				xy[i] = plotter.XY{X: float64(p.Step), Y: p.Value}
			}
			g.Ends[k] = append(g.Ends[k], TailMean(xy, EndWindow))
			var series []tracker.MetricPoint
			for _, p := range MovingAverage(xy, max(window, 1)) {
				series = append(series, tracker.MetricPoint{Key: k, Step: int64(p.X), Value: p.Y})
			}
			smoothed[k] = append(smoothed[k], series)
		}
	}
	for _, k := range EndMetrics {
		g.End[k] = tracker.TInterval(g.Ends[k], Level)
		g.Bands[k] = tracker.CurveBand(smoothed[k], Level)
	}
	return g, nil
}

// Separated reports whether groups a and b differ in metric beyond their spread: their
// intervals do not overlap.
func Separated(a, b SeedGroup, metric string) bool { return !a.End[metric].Overlaps(b.End[metric]) }

// Stretch is a range of steps, From to To inclusive, over which one group's band of a metric
// lies wholly above (Above) or wholly below another's.
type Stretch struct {
	From, To int64
	Above    bool
}

// SeparatedSteps returns the stretches of consecutive logged steps at which the bands of metric
// of groups a and b do not overlap, in step order; a change of side starts a new stretch. The
// bands are pointwise intervals: a short stretch among hundreds of steps can be chance.
func SeparatedSteps(a, b SeedGroup, metric string) []Stretch {
	other := map[int64]tracker.Interval{}
	for _, p := range b.Bands[metric] {
		other[p.Step] = p.Interval
	}
	var out []Stretch
	for _, p := range a.Bands[metric] {
		o, ok := other[p.Step]
		if !ok || p.Overlaps(o) {
			continue
		}
		above := p.Mean > o.Mean // apart, so the means are on their intervals' sides
		if n := len(out); n > 0 && out[n-1].To == p.Step-1 && out[n-1].Above == above {
			out[n-1].To = p.Step
		} else {
			out = append(out, Stretch{From: p.Step, To: p.Step, Above: above})
		}
	}
	return out
}

// FormatInterval writes an interval as "mean ± half-width" with the given decimals.
func FormatInterval(iv tracker.Interval, decimals int) string {
	return fmt.Sprintf("%.*f ± %.*f", decimals, float64(iv.Mean), decimals, float64(iv.HalfWidth))
}

// BandPlot draws one metric of every group: the mean curve and, shaded, its band; with legend,
// a legend of the groups in the top left corner.
func BandPlot(title, yLabel, metric string, groups []SeedGroup, legend bool) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "step"
	p.Y.Label.Text = yLabel
	for i, g := range groups {
		band := g.Bands[metric]
		if len(band) == 0 {
			return nil, fmt.Errorf("tracked: group %s has no band of %s", g.Name, metric)
		}
		mean := make(plotter.XYs, len(band))
		outline := make(plotter.XYs, 0, 2*len(band))
		for j, b := range band {
			mean[j] = plotter.XY{X: float64(b.Step), Y: float64(b.Mean)}
			outline = append(outline, plotter.XY{X: float64(b.Step), Y: b.Low()})
		}
		for j := len(band) - 1; j >= 0; j-- {
			outline = append(outline, plotter.XY{X: float64(band[j].Step), Y: band[j].High()})
		}
		col := color.RGBAModel.Convert(runColors[i%len(runColors)]).(color.RGBA)
		poly, err := plotter.NewPolygon(outline)
		if err != nil {
			return nil, err
		}
		poly.Color = color.NRGBA{R: col.R, G: col.G, B: col.B, A: 0x40}
		poly.LineStyle.Width = 0
		line, err := plotter.NewLine(mean)
		if err != nil {
			return nil, err
		}
		line.Color = col
		line.Width = vg.Points(1.3)
		p.Add(poly, line)
		if legend {
			p.Legend.Add(fmt.Sprintf("%s (%d seeds)", g.Name, len(g.Runs)), line, poly)
		}
	}
	p.Add(plotter.NewGrid())
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs = vg.Points(8)
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	return p, nil
}

// Find returns the newest finished run of exactly cfg in store (by its ConfigTag), or nil.
func Find(ctx context.Context, store *tracker.Store, cfg gan.Config) (*tracker.RunInfo, error) {
	filter := fmt.Sprintf("tags.%s = '%s' and status = 'FINISHED'", ConfigTagKey, ConfigTag(cfg))
	found, err := store.Runs(ctx, tracker.RunQuery{Filter: filter, Limit: 1})
	if err != nil || len(found) == 0 {
		return nil, err
	}
	return &found[0], nil
}

// GroupsSVG draws the groups' curves of every EndMetric in a 2 × 2 grid of panels, each curve a
// mean over seeds of the series smoothed over window steps with its Level band; the legend is in
// the generator loss's panel, whose top left corner is empty.
func GroupsSVG(groups []SeedGroup, window int) (string, error) {
	titles := map[string]string{DLoss: "D loss", GLoss: "G loss", DReal: "D(x)", DFake: "D(G(z))"}
	var ps []*plot.Plot
	for _, k := range EndMetrics {
		title := fmt.Sprintf("%s, mean ± 95 %% over seeds", titles[k])
		p, err := BandPlot(title, titles[k], k, groups, k == GLoss)
		if err != nil {
			return "", err
		}
		if window > 1 {
			p.X.Label.Text = fmt.Sprintf("step (each run's %d-step moving average)", window)
		}
		ps = append(ps, p)
	}
	return panels.SVG(ps, 2, 13, 8)
}
