package ringgan

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// DHistogram draws, for each named snapshot, the histogram of its per-sample D(G(z)) over
// [0, 1] in bins bins, as outlines so that the runs can overlap.
func DHistogram(title string, names []string, snaps []Snapshot, bins int) (*plot.Plot, error) {
	if len(names) != len(snaps) || bins < 1 {
		return nil, fmt.Errorf("ringgan: %d names for %d snapshots, %d bins", len(names), len(snaps), bins)
	}
	colours := []color.Color{color.RGBA{R: 230, G: 120, A: 255}, color.RGBA{B: 200, G: 80, A: 255}, color.Black}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "D(G(z)) per sample"
	p.Y.Label.Text = "samples"
	p.X.Min, p.X.Max = 0, 1
	p.Legend.Top = true
	p.Legend.Left = false
	p.Legend.XOffs = -vg.Points(4)
	for i, s := range snaps {
		edges := make([]float64, bins+1)
		for b := range edges {
			edges[b] = float64(b) / float64(bins)
		}
		counts := s.Histogram(edges)
		var xy plotter.XYs // a step line over the bins' tops
		for b, c := range counts {
			xy = append(xy, plotter.XY{X: edges[b], Y: float64(c)}, plotter.XY{X: edges[b+1], Y: float64(c)})
		}
		line, err := plotter.NewLine(xy)
		if err != nil {
			return nil, err
		}
		line.Color = colours[i%len(colours)]
		line.Width = vg.Points(1.5)
		p.Add(line)
		p.Legend.Add(names[i], line)
	}
	return p, nil
}
