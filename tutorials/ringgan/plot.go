package ringgan

import (
	"fmt"
	"image/color"
	"math/rand/v2"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/ganbook/ganbook/tutorials/panels"
)

// surface adapts a snapshot's discriminator surface to plotter.GridXYZ.
type surface struct{ s Snapshot }

func (g surface) Dims() (c, r int)   { return g.s.Grid, g.s.Grid }
func (g surface) Z(c, r int) float64 { return float64(g.s.Surface[r*g.s.Grid+c]) }
func (g surface) X(c int) float64    { return g.coord(c) }
func (g surface) Y(r int) float64    { return g.coord(r) }
func (g surface) coord(i int) float64 {
	return -g.s.Extent + (float64(i)+0.5)*2*g.s.Extent/float64(g.s.Grid)
}

// surfacePalette colours D's output: blue where D says "fake" (0), white at ½, red where it
// says "real" (1).
func surfacePalette() palette.Palette {
	p := moreland.SmoothBlueRed()
	p.SetMin(0)
	p.SetMax(1)
	return p.Palette(101)
}

var (
	colorReal = color.NRGBA{A: 0x90}                            // black, translucent
	colorFake = color.NRGBA{R: 0xff, G: 0x8c, B: 0x00, A: 0xd0} // orange
)

// SnapshotPlot draws one snapshot in the manner of GAN Lab: the discriminator's output
// sigmoid(D) over the plane as a heat map, real samples (black), at most maxFake of the
// generated samples (orange; the coverage in the title counts all of them) and the modes' 3σ
// circles, titled with the step and the modes covered.
func SnapshotPlot(ring Ring, real []float32, s Snapshot, maxFake int) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("step %d: %d/%d modes\n%.0f%% within 3σ", s.Step, s.Coverage.Covered, ring.Modes, 100*s.Coverage.HighQualityShare())
	p.Title.TextStyle.Font.Size = vg.Points(9)
	if s.Grid > 0 {
		h := plotter.NewHeatMap(surface{s}, surfacePalette())
		h.Min, h.Max = 0, 1
		h.Rasterized = true
		p.Add(h)
	}
	for _, set := range []struct {
		pts []float32
		col color.Color
		r   vg.Length
	}{{real, colorReal, 0.9}, {s.Fake[:2*min(maxFake, len(s.Fake)/2)], colorFake, 0.9}} {
		xy := make(plotter.XYs, len(set.pts)/2)
		for i := range xy {
			xy[i] = plotter.XY{X: float64(set.pts[2*i]), Y: float64(set.pts[2*i+1])}
		}
		sc, err := plotter.NewScatter(xy)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: set.col, Radius: vg.Points(float64(set.r)), Shape: draw.CircleGlyph{}}
		p.Add(sc)
	}
	for k := range ring.Modes {
		cx, cy := ring.Centre(k)
		circle := make(plotter.XYs, 33)
		for i := range circle {
			x, y := unitCircle(i, len(circle)-1)
			circle[i] = plotter.XY{X: cx + HighQualityRadius*ring.Sigma*x, Y: cy + HighQualityRadius*ring.Sigma*y}
		}
		l, err := plotter.NewLine(circle)
		if err != nil {
			return nil, err
		}
		l.Color = color.Gray{Y: 0x30}
		l.Width = vg.Points(0.6)
		p.Add(l)
	}
	ext := s.Extent
	if ext == 0 {
		ext = 1.5 * ring.Radius
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -ext, ext, -ext, ext
	p.X.Padding, p.Y.Padding = 0, 0
	return p, nil
}

// Figure draws snapshots side by side, cols to a row (see SnapshotPlot), each tile sizeCM
// square, as one SVG document.
func Figure(ring Ring, real []float32, snaps []Snapshot, maxFake, cols int, sizeCM float64) (string, error) {
	var ps []*plot.Plot
	for _, s := range snaps {
		p, err := SnapshotPlot(ring, real, s, maxFake)
		if err != nil {
			return "", err
		}
		ps = append(ps, p)
	}
	return panels.SVG(ps, cols, sizeCM, sizeCM)
}

// RealForPlot returns the real samples the figures draw: n points from a generator of their
// own (seed 7), so that every figure shows the same ones.
func RealForPlot(ring Ring, n int) []float32 {
	return ring.Sample(rand.New(rand.NewPCG(7, 7)), n)
}
