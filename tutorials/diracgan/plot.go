package diracgan

import (
	"fmt"

	"gonum.org/v1/plot"

	"github.com/ganbook/ganbook/tutorials/mathx"
	"github.com/ganbook/ganbook/tutorials/plots"
)

// TrajectoryPlot draws the iterates of Methods on the Dirac-GAN from z0, with a frame wide
// enough for simultaneous GD's spiral and a corner free for the legend.
func TrajectoryPlot(z0 mathx.Point, eta float64, steps int) (*plot.Plot, error) {
	p, err := plots.GameTrajectories(Methods(), z0, eta, steps)
	if err != nil {
		return nil, err
	}
	p.Title.Text = fmt.Sprintf("Dirac-GAN: iterates of (θ, ψ) from (%g, %g), η = %g", z0[0], z0[1], eta)
	p.X.Label.Text = "θ (generator)"
	p.Y.Label.Text = "ψ (discriminator)"
	p.X.Min, p.X.Max = -3.8, 3.8
	p.Y.Min, p.Y.Max = -3.8, 3.8
	return p, nil
}
