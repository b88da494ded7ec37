package plots

import (
	"bytes"
	"fmt"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// SVG renders p as an SVG document of the given size in centimetres, without the XML prolog,
// so that it can be inlined into HTML.
func SVG(p *plot.Plot, widthCM, heightCM float64) (string, error) {
	wt, err := p.WriterTo(vg.Length(widthCM)*vg.Centimeter, vg.Length(heightCM)*vg.Centimeter, "svg")
	if err != nil {
		return "", fmt.Errorf("plots: render svg: %w", err)
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return "", fmt.Errorf("plots: render svg: %w", err)
	}
	s := buf.String()
	if i := strings.Index(s, "<svg"); i > 0 {
		s = s[i:]
	}
	return s, nil
}
