package panels

import (
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"
)

func TestSVG(t *testing.T) {
	titled := func(s string) *plot.Plot { p := plot.New(); p.Title.Text = s; return p }
	tests := []struct {
		name    string
		plots   []*plot.Plot
		cols    int
		want    []string
		wantErr bool
	}{
		{"two in a row", []*plot.Plot{titled("left"), titled("right")}, 2, []string{"left", "right", `width="283.46pt"`}, false},
		{"three in two rows", []*plot.Plot{titled("a1"), titled("b2"), titled("c3")}, 2, []string{"a1", "b2", "c3", `height="226.77pt"`}, false},
		{"more columns than plots", []*plot.Plot{titled("only")}, 4, []string{"only", `width="141.73pt"`}, false},
		{"none", nil, 2, nil, true},
		{"no columns", []*plot.Plot{titled("x")}, 0, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svg, err := SVG(tt.plots, tt.cols, 5, 4)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if !strings.HasPrefix(svg, "<svg") {
				t.Errorf("not an inline SVG: %.60q", svg)
			}
			for _, w := range tt.want {
				if !strings.Contains(svg, w) {
					t.Errorf("SVG lacks %q", w)
				}
			}
		})
	}
}

func TestSVGStretchesRasters(t *testing.T) {
	p := plot.New()
	h := plotter.NewHeatMap(unitGrid{}, palette.Heat(4, 1))
	h.Rasterized = true
	p.Add(h)
	svg, err := SVG([]*plot.Plot{p}, 1, 6, 3) // a wide tile for a square raster
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(svg, `<image preserveAspectRatio="none" `); n != 1 || strings.Count(svg, "<image") != 1 {
		t.Errorf("%d stretched of %d images", n, strings.Count(svg, "<image"))
	}
}

type unitGrid struct{}

func (unitGrid) Dims() (c, r int)   { return 2, 2 }
func (unitGrid) Z(c, r int) float64 { return float64(c + r) }
func (unitGrid) X(c int) float64    { return float64(c) }
func (unitGrid) Y(r int) float64    { return float64(r) }
