package plots

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/ganbook/ganbook/tutorials/mathx"
)

// GameExplorer draws the game explorer's picture for the linear game g: on a grid, the descent
// direction −ξ split into its potential part −S·z (green) and its rotational part −A·z (purple),
// (drawn to one common scale), and the iterates of method from z0 with step size eta, path holding them (z0 first). The title
// gives the eigenvalue criterion's step-size limit.
func GameExplorer(g mathx.LinearGame, method string, eta float64, path []mathx.Point) (*plot.Plot, error) {
	const extent, n = 1.6, 9
	// One scale for both parts, so that their lengths compare: the longest full step −ξ on the
	// grid is drawn 0.35 long.
	longest := 0.0
	for _, z := range []mathx.Point{{extent, extent}, {-extent, extent}} {
		longest = max(longest, g.Field(z).Radius())
	}
	scale := 0.35 / max(longest, 1e-12)
	p := plot.New()
	limit := g.StepSizeLimit()
	verdict := "no η converges"
	if limit > 0 {
		verdict = fmt.Sprintf("simultaneous GD needs η < %.3f", limit)
	}
	p.Title.Text = fmt.Sprintf("%s, η = %.2f, potential a = %.2f, coupling c = %.2f\n%s", method, eta, g.Potential, g.Coupling, verdict)
	p.Title.TextStyle.Font.Size = vg.Points(9)
	p.X.Label.Text = "x (minimising player)"
	p.Y.Label.Text = "y (maximising player)"
	green, purple := color.RGBA{G: 0x99, B: 0x44, A: 0xff}, color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff}
	arrows := func(part func(mathx.Point) mathx.Point, c color.Color, name string) error {
		first := true
		for i := range n {
			for j := range n {
				z := mathx.Point{-extent + 2*extent*float64(i)/(n-1), -extent + 2*extent*float64(j)/(n-1)}
				v := part(z)
				l, err := plotter.NewLine(plotter.XYs{{X: z[0], Y: z[1]}, {X: z[0] - scale*v[0], Y: z[1] - scale*v[1]}})
				if err != nil {
					return err
				}
				l.Color, l.Width = c, vg.Points(1)
				p.Add(l)
				if first {
					p.Legend.Add(name, l)
					first = false
				}
			}
		}
		return nil
	}
	if err := arrows(g.SymPart, green, "−S·z (potential)"); err != nil {
		return nil, err
	}
	if err := arrows(g.AntisymPart, purple, "−A·z (rotation)"); err != nil {
		return nil, err
	}
	var xy plotter.XYs
	for _, z := range path {
		xy = append(xy, plotter.XY{X: z[0], Y: z[1]})
	}
	line, points, err := plotter.NewLinePoints(xy)
	if err != nil {
		return nil, err
	}
	line.Color, line.Width = colorB, vg.Points(1.5)
	points.Color, points.Radius, points.Shape = colorB, vg.Points(1.5), draw.CircleGlyph{}
	p.Add(line, points)
	p.Legend.Add(fmt.Sprintf("iterates (%d steps)", len(path)-1), line)
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	p.X.Min, p.X.Max = -2.4, 2.4
	p.Y.Min, p.Y.Max = -2.4, 2.4
	return p, nil
}
