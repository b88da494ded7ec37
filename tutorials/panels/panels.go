package panels

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// SVG renders plots in a grid of cols columns (row by row; a nil plot leaves its tile empty),
// each tile widthCM × heightCM, as one SVG document without the XML prolog, so that it can be
// inlined into HTML.
func SVG(plots []*plot.Plot, cols int, widthCM, heightCM float64) (string, error) {
	if len(plots) == 0 || cols < 1 || !(widthCM > 0) || !(heightCM > 0) {
		return "", errors.New("panels: need at least one plot, cols ≥ 1 and a positive size")
	}
	cols = min(cols, len(plots))
	rows := (len(plots) + cols - 1) / cols
	grid := make([][]*plot.Plot, rows)
	for r := range grid {
		grid[r] = make([]*plot.Plot, cols)
		for c := range cols {
			if i := r*cols + c; i < len(plots) {
				grid[r][c] = plots[i]
			}
		}
	}
	canvas := vgsvg.New(vg.Length(widthCM*float64(cols))*vg.Centimeter, vg.Length(heightCM*float64(rows))*vg.Centimeter)
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter, PadY: vg.Millimeter}
	aligned := plot.Align(grid, tiles, draw.New(canvas))
	for r := range grid {
		for c, p := range grid[r] {
			if p != nil {
				p.Draw(aligned[r][c])
			}
		}
	}
	var buf bytes.Buffer
	if _, err := canvas.WriteTo(&buf); err != nil {
		return "", fmt.Errorf("panels: render svg: %w", err)
	}
	s := buf.String()
	if i := strings.Index(s, "<svg"); i > 0 {
		s = s[i:]
	}
	// vgsvg places a raster (a rasterized heat map) in the data area's rectangle but leaves SVG's
	// default preserveAspectRatio, which letterboxes it when the area is not of the raster's
	// aspect; the data would then not line up with the axes.
	return strings.ReplaceAll(s, "<image ", `<image preserveAspectRatio="none" `), nil
}
