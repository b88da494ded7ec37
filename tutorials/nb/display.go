package nb

import (
	"github.com/ganbook/ganbook/tutorials/plots"
	"github.com/janpfeifer/gonb/gonbui"
	"gonum.org/v1/plot"
)

// Display renders p as SVG of the given size in centimetres and displays it in the cell's output;
// it panics if rendering fails, which fails the notebook. Outside a notebook it only renders.
// A cell that displays should end with gonbui.Sync(), so that the output is flushed before it exits.
func Display(p *plot.Plot, widthCM, heightCM float64) {
	svg, err := plots.SVG(p, widthCM, heightCM)
	if err != nil {
		panic(err)
	}
	gonbui.DisplaySVG(svg)
}

// Must returns v, or panics with err: it lets a cell write nb.Display(nb.Must(plots.X()), w, h).
func Must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
