package plots

import (
	"image/color"

	"github.com/ganbook/ganbook/tutorials/mathx"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Method is a named game-solving step, as listed in the trajectory figure.
type Method struct {
	Name string
	Step mathx.Step
}

// GameMethods are the methods notebook 03 compares on f(x, y) = xy, in the order of its table.
func GameMethods() []Method {
	return []Method{
		{"simultaneous GD", mathx.SimultaneousGD},
		{"alternating GD", mathx.AlternatingGD},
		{"extragradient", mathx.Extragradient},
		{"optimistic GD", mathx.OptimisticGD},
		{"consensus (γ = 1)", mathx.ConsensusGD(1)},
	}
}

var methodColors = []color.Color{
	colorB, colorA, colorCross,
	color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff},
	color.RGBA{R: 0x8c, G: 0x56, B: 0x4b, A: 0xff},
}

// GameTrajectories plots the iterates of each method from z0 with step size eta.
func GameTrajectories(methods []Method, z0 mathx.Point, eta float64, steps int) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "min_x max_y xy: iterates from (1, 0)"
	p.X.Label.Text = "x (minimising player)"
	p.Y.Label.Text = "y (maximising player)"
	for i, m := range methods {
		var xy plotter.XYs
		for _, z := range mathx.Trajectory(m.Step, z0, eta, steps) {
			xy = append(xy, plotter.XY{X: z[0], Y: z[1]})
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return nil, err
		}
		l.Color = methodColors[i%len(methodColors)]
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(m.Name, l)
	}
	eq, err := plotter.NewScatter(plotter.XYs{{}})
	if err != nil {
		return nil, err
	}
	eq.GlyphStyle.Shape = draw.CrossGlyph{}
	eq.GlyphStyle.Radius = vg.Points(4)
	p.Add(eq, plotter.NewGrid())
	p.Legend.Add("equilibrium (0, 0)", eq)
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	// Equal, fixed scales: a diverging method leaves the frame instead of squashing the others.
	p.X.Min, p.X.Max = -2.6, 2.6
	p.Y.Min, p.Y.Max = -2.6, 2.6
	return p, nil
}
