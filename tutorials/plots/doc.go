// Package plots draws the figures of notebooks 01–03 and of the tutorials with gonum/plot,
// so that a notebook and the committed tutorial figure come from the same code.
//
// Each function returns a *plot.Plot; SVG renders one to a string that a notebook can
// display (gonbui.DisplaySVG) and a tutorial can commit.
package plots
