package outergrad

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/ganbook/ganbook/gan"
)

// image28 adapts 784 values (28 × 28, row-major, row 0 at the top) to plotter.GridXYZ.
type image28 []float64

func (m image28) Dims() (c, r int)   { return gan.ImageSize, gan.ImageSize }
func (m image28) Z(c, r int) float64 { return m[(gan.ImageSize-1-r)*gan.ImageSize+c] } // r = 0 is the bottom row
func (m image28) X(c int) float64    { return float64(c) }
func (m image28) Y(r int) float64    { return float64(r) }

// Column returns column j of an [In·Out] matrix: the 784 weights (or weight gradients) that
// feed hidden unit j, one per pixel.
func Column(m []float32, j int) []float64 {
	col := make([]float64, In)
	for i := range In {
		col[i] = float64(m[i*Out+j])
	}
	return col
}

// PixelMap draws 784 values as a 28 × 28 heat map on a symmetric blue–white–red scale (white
// is 0), so that the sign of each pixel's entry reads at a glance.
func PixelMap(title string, values []float64) (*plot.Plot, error) {
	if len(values) != In {
		return nil, fmt.Errorf("outergrad: PixelMap needs %d values, got %d", In, len(values))
	}
	limit := 0.0
	for _, v := range values {
		limit = max(limit, math.Abs(v))
	}
	if limit == 0 {
		limit = 1
	}
	// The palette's own range only spaces its colours; the heat map maps [−limit, limit] onto them.
	pal := moreland.SmoothBlueRed()
	pal.SetMin(0)
	pal.SetMax(1)
	h := plotter.NewHeatMap(image28(values), pal.Palette(101))
	h.Min, h.Max = -limit, limit
	h.Rasterized = true
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(8)
	p.HideAxes()
	p.Add(h)
	return p, nil
}

// SingularValues returns the singular values, largest first, of a rows × cols matrix given
// row-major.
func SingularValues(m []float64, rows, cols int) ([]float64, error) {
	var svd mat.SVD
	if !svd.Factorize(mat.NewDense(rows, cols, m), mat.SVDNone) {
		return nil, fmt.Errorf("outergrad: SVD of a %d×%d matrix did not converge", rows, cols)
	}
	return svd.Values(nil), nil
}

// NumericalRank counts the singular values above tol times the largest.
func NumericalRank(sv []float64, tol float64) int {
	r := 0
	for _, s := range sv {
		if len(sv) > 0 && s > tol*sv[0] {
			r++
		}
	}
	return r
}

// Spectrum is a named list of singular values, for SpectrumPlot.
type Spectrum struct {
	Name   string
	Values []float64
}

// SpectrumPlot draws singular values against their index (1-based) on a log scale, up to
// the first upto of each; values below floor (and zeros) are drawn at floor.
func SpectrumPlot(title string, spectra []Spectrum, upto int, floor float64) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "index i of the singular value σᵢ"
	p.Y.Label.Text = "σᵢ / σ₁"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = powersOfTen{}
	colors := []color.Color{
		color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
		color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
		color.RGBA{R: 0xff, G: 0x8c, B: 0x00, A: 0xff},
		color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
	}
	for k, s := range spectra {
		n := min(upto, len(s.Values))
		xy := make(plotter.XYs, n)
		for i := range n {
			v := floor
			if len(s.Values) > 0 && s.Values[0] > 0 {
				v = max(s.Values[i]/s.Values[0], floor)
			}
			xy[i] = plotter.XY{X: float64(i + 1), Y: v}
		}
		sc, err := plotter.NewScatter(xy)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: colors[k%len(colors)], Radius: vg.Points(1.6), Shape: draw.CircleGlyph{}}
		p.Add(sc)
		p.Legend.Add(s.Name, sc)
	}
	p.Y.Min = floor
	p.Y.Max = 2
	p.Add(plotter.NewGrid())
	// Below the top right, where the spectra leave room: clear of the title and the data.
	p.Legend.Top = true
	p.Legend.YOffs = -vg.Points(100)
	p.Legend.XOffs = -vg.Points(6)
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	return p, nil
}

// ColumnMaps draws, for each hidden unit j in units, column j of an [In·Out] matrix (the
// weights or weight gradients feeding unit j) as a 28 × 28 PixelMap titled with the name.
func ColumnMaps(name string, m []float32, units []int) ([]*plot.Plot, error) {
	var ps []*plot.Plot
	for _, j := range units {
		p, err := PixelMap(fmt.Sprintf("%s[:, %d]", name, j), Column(m, j))
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// powersOfTen labels every power of ten on a log axis as 10ⁿ.
type powersOfTen struct{}

func (powersOfTen) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for e := int(math.Floor(math.Log10(lo))); e <= int(math.Ceil(math.Log10(hi))); e++ {
		if v := math.Pow(10, float64(e)); v >= lo*(1-1e-9) && v <= hi*(1+1e-9) {
			ticks = append(ticks, plot.Tick{Value: v, Label: "10" + superscript(e)})
		}
	}
	return ticks
}

func superscript(n int) string {
	const digits = "⁰¹²³⁴⁵⁶⁷⁸⁹"
	s := ""
	if n < 0 {
		s, n = "⁻", -n
	}
	d := []rune(digits)
	for _, c := range fmt.Sprint(n) {
		s += string(d[c-'0'])
	}
	return s
}
