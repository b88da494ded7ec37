package plots

import (
	"fmt"
	"image/color"
	"math"

	"github.com/ganbook/ganbook/tutorials/mathx"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Colours shared by the figures.
var (
	colorA     = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	colorB     = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	colorCross = color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}
	colorAxis  = color.Gray{Y: 0xa0}
	colorFill  = color.NRGBA{R: 0xff, G: 0xbb, B: 0x78, A: 0xa0}
)

// CrossProductVectors returns the vectors the cross-product figure draws for the angle theta
// (radians) between a and b: a = (1.5, 0, 0) and b = 1.2·(cos θ, sin θ, 0) in the xy-plane.
func CrossProductVectors(theta float64) (a, b mathx.Vec3) {
	return mathx.Vec3{1.5, 0, 0}, mathx.Vec3{1.2 * math.Cos(theta), 1.2 * math.Sin(theta), 0}
}

// project maps a point of R³ to the page by an orthographic camera at azimuth 30° and
// elevation 25°: x points to the lower left, y to the right and z up (a right-handed view).
func project(p mathx.Vec3) (u, v float64) {
	const az, el = 30 * math.Pi / 180, 25 * math.Pi / 180
	u = -math.Sin(az)*p[0] + math.Cos(az)*p[1]
	v = -math.Cos(az)*math.Sin(el)*p[0] - math.Sin(az)*math.Sin(el)*p[1] + math.Cos(el)*p[2]
	return u, v
}

// CrossProduct draws a, b (at angle theta, in radians), a × b and the parallelogram spanned by
// a and b, whose area is |a × b|, in an oblique view of R³.
func CrossProduct(theta float64) (*plot.Plot, error) {
	a, b := CrossProductVectors(theta)
	c := mathx.Cross(a, b)
	p := plot.New()
	p.Title.Text = fmt.Sprintf("θ = %.0f°:  |a×b| = %.3f = area of the parallelogram", theta*180/math.Pi, c.Norm())
	p.HideAxes()

	var para plotter.XYs
	for _, q := range []mathx.Vec3{{}, a, a.Add(b), b} {
		u, v := project(q)
		para = append(para, plotter.XY{X: u, Y: v})
	}
	poly, err := plotter.NewPolygon(para)
	if err != nil {
		return nil, err
	}
	poly.Color = colorFill
	poly.LineStyle.Color = colorFill
	p.Add(poly)

	for _, axis := range []mathx.Vec3{{2, 0, 0}, {0, 2, 0}, {0, 0, 2}} {
		l, err := arrow(mathx.Vec3{}, axis, colorAxis, 0.5)
		if err != nil {
			return nil, err
		}
		l.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
		p.Add(l)
	}
	labels := plotter.XYLabels{}
	for i, name := range []string{"x", "y", "z"} {
		var e mathx.Vec3
		e[i] = 2.12
		u, w := project(e)
		labels.XYs = append(labels.XYs, plotter.XY{X: u, Y: w})
		labels.Labels = append(labels.Labels, name)
	}
	for _, v := range []struct {
		vec   mathx.Vec3
		col   color.Color
		label string
	}{
		{a, colorA, "a"},
		{b, colorB, "b"},
		{c, colorCross, "a×b"},
	} {
		l, err := arrow(mathx.Vec3{}, v.vec, v.col, 2)
		if err != nil {
			return nil, err
		}
		p.Add(l)
		u, w := project(v.vec.Scale(1.08))
		labels.XYs = append(labels.XYs, plotter.XY{X: u, Y: w})
		labels.Labels = append(labels.Labels, v.label)
	}
	lab, err := plotter.NewLabels(labels)
	if err != nil {
		return nil, err
	}
	for i := range lab.TextStyle {
		lab.TextStyle[i].Font.Size = vg.Points(12)
		if i < 3 { // axis names
			lab.TextStyle[i].Color = colorAxis
			lab.TextStyle[i].Font.Size = vg.Points(10)
		}
	}
	p.Add(lab)
	// Equal scales on both page axes, with room for every angle the widget allows.
	p.X.Min, p.X.Max = -1.7, 2.1
	p.Y.Min, p.Y.Max = -1.15, 2.25
	return p, nil
}

// arrow returns a line from -> to with a two-stroke arrowhead, in page coordinates.
func arrow(from, to mathx.Vec3, col color.Color, width float64) (*plotter.Line, error) {
	x0, y0 := project(from)
	x1, y1 := project(to)
	pts := plotter.XYs{{X: x0, Y: y0}, {X: x1, Y: y1}}
	if d := math.Hypot(x1-x0, y1-y0); d > 1e-9 {
		ux, uy := (x1-x0)/d, (y1-y0)/d
		const head, spread = 0.12, 0.5
		for _, s := range []float64{spread, -spread} {
			hx := ux*math.Cos(s) - uy*math.Sin(s)
			hy := ux*math.Sin(s) + uy*math.Cos(s)
			pts = append(pts, plotter.XY{X: x1 - head*hx, Y: y1 - head*hy}, plotter.XY{X: x1, Y: y1})
		}
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return nil, err
	}
	l.Color = col
	l.Width = vg.Points(width)
	l.StepStyle = plotter.NoStep
	return l, nil
}
