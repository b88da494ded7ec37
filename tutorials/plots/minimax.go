package plots

import (
	"image/color"

	"github.com/ganbook/ganbook/tutorials/mathx"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// TwoGaussians are the densities of notebook 02: p_data = N(0, 1) and p_g = N(Mu, Sigma²).
type TwoGaussians struct{ Mu, Sigma float64 }

// PData returns the data density N(0, 1) at x.
func (TwoGaussians) PData(x float64) float64 { return mathx.Normal(x, 0, 1) }

// PG returns the generator's density N(Mu, Sigma²) at x.
func (g TwoGaussians) PG(x float64) float64 { return mathx.Normal(x, g.Mu, g.Sigma) }

// OptimalDiscriminator plots p_data, p_g, the closed form D* = p_data/(p_data+p_g) as a line and
// the pointwise numerical maximiser of V (golden-section search) as dots on every 10th grid point.
func OptimalDiscriminator(g TwoGaussians, xs []float64) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Optimal discriminator: closed form (line) and pointwise argmax of V (dots)"
	p.X.Label.Text = "x"
	var pd, pg, dStar, dNum plotter.XYs
	for i, x := range xs {
		a, b := g.PData(x), g.PG(x)
		pd = append(pd, plotter.XY{X: x, Y: a})
		pg = append(pg, plotter.XY{X: x, Y: b})
		dStar = append(dStar, plotter.XY{X: x, Y: mathx.OptimalDiscriminator(a, b)})
		if i%10 == 0 {
			dNum = append(dNum, plotter.XY{X: x, Y: mathx.MaximizeD(a, b, 1e-9)})
		}
	}
	for _, s := range []struct {
		xy    plotter.XYs
		name  string
		col   color.Color
		width float64
	}{{pd, "p_data = N(0, 1)", colorA, 1.5}, {pg, "p_g", colorB, 1.5}, {dStar, "D*(x)", colorCross, 2}} {
		l, err := plotter.NewLine(s.xy)
		if err != nil {
			return nil, err
		}
		l.Color = s.col
		l.Width = vg.Points(s.width)
		p.Add(l)
		p.Legend.Add(s.name, l)
	}
	sc, err := plotter.NewScatter(dNum)
	if err != nil {
		return nil, err
	}
	sc.GlyphStyle.Shape = draw.CircleGlyph{}
	sc.GlyphStyle.Radius = vg.Points(2.2)
	p.Add(sc)
	p.Legend.Add("argmax_D V pointwise", sc)
	// Headroom above D* ≈ 1 for the legend, so that it covers neither the title nor the data.
	p.Legend.Top = true
	p.Legend.XOffs = -vg.Points(6)
	p.Y.Min, p.Y.Max = 0, 1.5
	p.Add(plotter.NewGrid())
	return p, nil
}

// GeneratorGradient plots the magnitude of the generator's gradient with respect to the
// discriminator's logit, |∂loss/∂a|, against D(G(z)) for the saturating loss log(1 − D) and the
// non-saturating loss −log D.
func GeneratorGradient() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Generator gradient at a fake sample"
	p.X.Label.Text = "D(G(z))"
	p.Y.Label.Text = "|∂ loss / ∂ logit|"
	var sat, ns plotter.XYs
	for _, d := range mathx.Linspace(0.001, 0.999, 200) {
		sat = append(sat, plotter.XY{X: d, Y: -mathx.SaturatingGeneratorGrad(d)})
		ns = append(ns, plotter.XY{X: d, Y: -mathx.NonSaturatingGeneratorGrad(d)})
	}
	ls, err := plotter.NewLine(sat)
	if err != nil {
		return nil, err
	}
	ls.Color, ls.Width = colorB, vg.Points(2)
	ln, err := plotter.NewLine(ns)
	if err != nil {
		return nil, err
	}
	ln.Color, ln.Width = colorA, vg.Points(2)
	p.Add(ls, ln, plotter.NewGrid())
	p.Legend.Add("saturating: log(1 − D)", ls)
	p.Legend.Add("non-saturating: −log D", ln)
	// Both lines reach 1 at an edge: the legend sits in the headroom above them.
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.XOffs = vg.Points(6)
	p.Y.Min, p.Y.Max = 0, 1.3
	return p, nil
}
