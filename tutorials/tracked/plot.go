package tracked

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"html"
	"image"
	"image/color"
	_ "image/png" // DecodeConfig of the sample grids
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/tracker"
)

// Curves are one run's loss series, step by step.
type Curves struct {
	Label string
	D, G  plotter.XYs // (step, loss)
}

// CurvesFromSteps collects a run's losses from the trainer's step metrics.
func CurvesFromSteps(label string, steps []gan.StepMetrics) Curves {
	c := Curves{Label: label}
	for _, m := range steps {
		c.D = append(c.D, plotter.XY{X: float64(m.Step), Y: m.DLoss})
		c.G = append(c.G, plotter.XY{X: float64(m.Step), Y: m.GLoss})
	}
	return c
}

// CurvesFromTracker reads a run's d_loss and g_loss series from the tracker.
func CurvesFromTracker(ctx context.Context, store *tracker.Store, runID, label string) (Curves, error) {
	c := Curves{Label: label}
	for _, s := range []struct {
		key string
		dst *plotter.XYs
	}{{DLoss, &c.D}, {GLoss, &c.G}} {
		points, err := store.Metric(ctx, runID, s.key)
		if err != nil {
			return c, err
		}
		for _, p := range points {
			*s.dst = append(*s.dst, plotter.XY{X: float64(p.Step), Y: p.Value})
		}
	}
	return c, nil
}

// MovingAverage returns the trailing mean of the last window points at every point (fewer at
// the start); per-step GAN losses are too noisy to compare runs by eye without it.
func MovingAverage(xy plotter.XYs, window int) plotter.XYs {
	out := make(plotter.XYs, len(xy))
	sum := 0.0
	for i, p := range xy {
		sum += p.Y
		if i >= window {
			sum -= xy[i-window].Y
		}
		out[i] = plotter.XY{X: p.X, Y: sum / float64(min(i+1, window))}
	}
	return out
}

// TailMean is the mean of the last n points' Y (of all of them when there are fewer): a
// run's loss near its end, less noisy than its last step.
func TailMean(xy plotter.XYs, n int) float64 {
	n = min(n, len(xy))
	sum := 0.0
	for _, p := range xy[len(xy)-n:] {
		sum += p.Y
	}
	return sum / float64(n)
}

// Palette of the runs' colours, in order.
var runColors = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
	color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff},
	color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
}

// LossCurves overlays the runs' discriminator losses (solid) and generator losses (dashed),
// each smoothed by a trailing moving average over window steps (1: raw).
func LossCurves(title string, runs []Curves, window int) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	if window > 1 {
		p.Title.Text += fmt.Sprintf(" (moving average over %d steps)", window)
	}
	p.X.Label.Text = "step"
	p.Y.Label.Text = "loss"
	for i, r := range runs {
		col := runColors[i%len(runColors)]
		for _, s := range []struct {
			xy     plotter.XYs
			name   string
			dashed bool
		}{{r.D, "D loss", false}, {r.G, "G loss", true}} {
			if len(s.xy) == 0 {
				continue
			}
			l, err := plotter.NewLine(MovingAverage(s.xy, max(window, 1)))
			if err != nil {
				return nil, err
			}
			l.Color = col
			l.Width = vg.Points(1.3)
			if s.dashed {
				l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
			}
			p.Add(l)
			name := s.name
			if r.Label != "" {
				name = r.Label + ": " + name
			}
			p.Legend.Add(name, l)
		}
	}
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	return p, nil
}

// Grid is a labelled sample grid (PNG).
type Grid struct {
	Label string
	PNG   []byte
}

// GridsHTML lays sample grids out side by side with their labels, for a notebook cell.
func GridsHTML(grids []Grid) string {
	var b strings.Builder
	b.WriteString(`<div style="display:flex;flex-wrap:wrap;gap:12px">`)
	for _, g := range grids {
		fmt.Fprintf(&b, `<figure style="margin:0;text-align:center"><img src="data:image/png;base64,%s" style="width:224px;image-rendering:pixelated"/><figcaption>%s</figcaption></figure>`,
			base64.StdEncoding.EncodeToString(g.PNG), html.EscapeString(g.Label))
	}
	b.WriteString(`</div>`)
	return b.String()
}

// GridsSVG lays sample grids out side by side with their labels as one SVG document (the PNGs
// embedded), each shown widthPx wide, for a tutorial figure.
func GridsSVG(grids []Grid, widthPx int) (string, error) {
	const gap, caption = 12, 22
	var b strings.Builder
	height := 0
	for _, g := range grids {
		cfg, _, err := image.DecodeConfig(bytes.NewReader(g.PNG))
		if err != nil {
			return "", fmt.Errorf("tracked: grid %q: %w", g.Label, err)
		}
		height = max(height, widthPx*cfg.Height/cfg.Width)
	}
	total := len(grids)*widthPx + (len(grids)-1)*gap
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">`, total, height+caption, total, height+caption)
	for i, g := range grids {
		x := i * (widthPx + gap)
		fmt.Fprintf(&b, `<image x="%d" y="0" width="%d" height="%d" style="image-rendering:pixelated" href="data:image/png;base64,%s"/>`,
			x, widthPx, height, base64.StdEncoding.EncodeToString(g.PNG))
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-family="sans-serif" font-size="13">%s</text>`,
			x+widthPx/2, height+16, html.EscapeString(g.Label))
	}
	b.WriteString(`</svg>`)
	return b.String(), nil
}

// DifferingParams returns the parameters whose values differ across the compared runs as a
// table: one row per parameter, one column per run (headed by its name), "—" where a run lacks it.
func DifferingParams(c tracker.Comparison) (header []string, rows [][]string) {
	header = []string{"parameter"}
	for _, r := range c.Runs {
		name := r.Name
		if name == "" {
			name = r.ID[:8]
		}
		header = append(header, name)
	}
	for _, p := range c.DifferingParams() {
		row := []string{p.Key}
		for _, v := range p.Values {
			if v.Set {
				row = append(row, v.Value)
			} else {
				row = append(row, "—")
			}
		}
		rows = append(rows, row)
	}
	return header, rows
}
