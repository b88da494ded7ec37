package web

import (
	"bytes"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// palette colours the runs of a comparison; style.css has the same colours
// as the classes c0…c9, so the run headers match the chart lines.
var palette = []color.RGBA{
	{0x4e, 0x79, 0xa7, 0xff}, {0xf2, 0x8e, 0x2b, 0xff}, {0xe1, 0x57, 0x59, 0xff},
	{0x76, 0xb7, 0xb2, 0xff}, {0x59, 0xa1, 0x4f, 0xff}, {0xed, 0xc9, 0x48, 0xff},
	{0xb0, 0x7a, 0xa1, 0xff}, {0xff, 0x9d, 0xa7, 0xff}, {0x9c, 0x75, 0x5f, 0xff},
	{0xba, 0xb0, 0xac, 0xff},
}

// chartLine is one series of a chart.
type chartLine struct {
	Label  string
	Color  int // index into palette
	Series *series
}

// Chart size in points (1/72 in); the page scales the SVG to its column.
const (
	chartWidth  = 6 * vg.Inch
	chartHeight = 3 * vg.Inch
)

var (
	gridColor = color.Gray{Y: 0xe4}
	textColor = color.Gray{Y: 0x33}
	sansFont  = font.Font{Typeface: "Liberation", Variant: "Sans"}
)

// renderChart draws lines of step against value as an SVG document. Text
// in it (the title and the legend, which may hold run names) is escaped by
// vgsvg; the pages show charts through <img>, where an SVG cannot run
// scripts in any case.
func renderChart(title string, lines []chartLine) ([]byte, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "step"
	for _, t := range []*text{
		{&p.Title.TextStyle.Font, &p.Title.TextStyle.Color, 12},
		{&p.X.Label.TextStyle.Font, &p.X.Label.TextStyle.Color, 10},
		{&p.Y.Label.TextStyle.Font, &p.Y.Label.TextStyle.Color, 10},
		{&p.X.Tick.Label.Font, &p.X.Tick.Label.Color, 9},
		{&p.Y.Tick.Label.Font, &p.Y.Tick.Label.Color, 9},
		{&p.Legend.TextStyle.Font, &p.Legend.TextStyle.Color, 9},
	} {
		*t.font = sansFont
		t.font.Size = vg.Points(t.size)
		*t.color = textColor
	}
	p.Title.Padding = vg.Points(4)
	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = gridColor, gridColor
	p.Add(grid)
	p.Legend.Top = true
	p.Legend.Padding = vg.Points(2)

	drawn, nonFinite := 0, 0
	for _, l := range lines {
		nonFinite += l.Series.NonFinite
		if len(l.Series.Points) == 0 {
			continue
		}
		xys := make(plotter.XYs, len(l.Series.Points))
		for i, pt := range l.Series.Points {
			xys[i].X, xys[i].Y = pt.X, pt.Y
		}
		var thing plot.Thumbnailer
		if len(xys) == 1 {
			// A single point has no line to draw.
			sc, err := plotter.NewScatter(xys)
			if err != nil {
				return nil, err
			}
			sc.GlyphStyle.Color = palette[l.Color%len(palette)]
			sc.GlyphStyle.Radius = vg.Points(2.5)
			sc.GlyphStyle.Shape = draw.CircleGlyph{}
			p.Add(sc)
			thing = sc
		} else {
			line, err := plotter.NewLine(xys)
			if err != nil {
				return nil, err
			}
			line.Color = palette[l.Color%len(palette)]
			line.Width = vg.Points(1.2)
			p.Add(line)
			thing = line
		}
		if len(lines) > 1 {
			p.Legend.Add(shorten(l.Label, 24), thing)
		}
		drawn++
	}
	switch {
	case drawn == 0 && nonFinite > 0:
		p.X.Label.Text = fmt.Sprintf("step — no finite value to draw (%d NaN/Inf points)", nonFinite)
	case drawn == 0:
		p.X.Label.Text = "step — no points yet"
	case nonFinite > 0:
		p.X.Label.Text = fmt.Sprintf("step — %d NaN/Inf points not drawn", nonFinite)
	}
	if drawn == 0 {
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	}
	padRange(&p.Y)

	c := vgsvg.New(chartWidth, chartHeight)
	dc := draw.New(c)
	if len(lines) > 1 {
		// The legend goes in a strip right of the plot, where it hides no line.
		legend := p.Legend
		p.Legend = plot.NewLegend() // empty: p.Draw would draw it over the lines
		legend.Left = true
		w := min(legend.Rectangle(dc).Size().X+vg.Points(10), chartWidth/3)
		p.Draw(draw.Crop(dc, 0, -w, 0, 0))
		legend.YOffs = -p.Title.TextStyle.Height(p.Title.Text) - 2*p.Title.Padding
		legend.XOffs = vg.Points(4)
		legend.Draw(draw.Crop(dc, chartWidth-w, 0, 0, 0))
	} else {
		p.Draw(dc)
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

type text struct {
	font  *font.Font
	color *color.Color
	size  float64
}

// padRange widens an axis a little, and a flat one enough to show its line.
func padRange(a *plot.Axis) {
	lo, hi := a.Min, a.Max
	if math.IsInf(lo, 0) || math.IsInf(hi, 0) || math.IsNaN(lo) || math.IsNaN(hi) {
		return
	}
	span := hi - lo
	if span == 0 {
		span = math.Max(math.Abs(lo), 1)
		a.Min, a.Max = lo-span/2, hi+span/2
		return
	}
	a.Min, a.Max = lo-span*0.04, hi+span*0.04
}

// shorten cuts s to at most n runes, marking the cut.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
