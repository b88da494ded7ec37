package plots

import (
	"math"
	"strings"
	"testing"

	"github.com/ganbook/ganbook/tutorials/mathx"
	"gonum.org/v1/plot"
)

func TestFiguresRender(t *testing.T) {
	tests := []struct {
		name     string
		make     func() (*plot.Plot, error)
		wantText []string
	}{
		{"cross product 60°", func() (*plot.Plot, error) { return CrossProduct(math.Pi / 3) }, []string{"a×b", "θ = 60°", "1.559"}},
		{"cross product 0°", func() (*plot.Plot, error) { return CrossProduct(0) }, []string{"θ = 0°", "0.000"}},
		{"optimal discriminator", func() (*plot.Plot, error) {
			return OptimalDiscriminator(TwoGaussians{Mu: 2, Sigma: 0.7}, mathx.Linspace(-4, 5, 91))
		}, []string{"D*(x)", "p_data"}},
		{"generator gradient", GeneratorGradient, []string{"non-saturating"}},
		{"game trajectories", func() (*plot.Plot, error) {
			return GameTrajectories(GameMethods(), mathx.Point{1, 0}, 0.2, 10)
		}, []string{"extragradient", "equilibrium"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.make()
			if err != nil {
				t.Fatal(err)
			}
			svg, err := SVG(p, 10, 8)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(svg, "<svg") || !strings.HasSuffix(strings.TrimSpace(svg), "</svg>") {
				t.Fatalf("not an inline SVG document: %.80q…", svg)
			}
			for _, w := range tt.wantText {
				if !strings.Contains(svg, w) {
					t.Errorf("SVG lacks %q", w)
				}
			}
		})
	}
}

func TestCrossProductVectors(t *testing.T) {
	for _, deg := range []float64{0, 30, 90, 150, 180} {
		theta := deg * math.Pi / 180
		a, b := CrossProductVectors(theta)
		if got := mathx.Angle(a, b); math.Abs(got-theta) > 1e-12 {
			t.Errorf("angle(a, b) = %v, want %v", got, theta)
		}
		if a.Norm() != 1.5 || math.Abs(b.Norm()-1.2) > 1e-15 {
			t.Errorf("|a| = %v, |b| = %v, want 1.5 and 1.2", a.Norm(), b.Norm())
		}
	}
}

func TestGameExplorer(t *testing.T) {
	g := mathx.LinearGame{Potential: 0.1, Coupling: 1}
	step, err := g.Step("extragradient")
	if err != nil {
		t.Fatal(err)
	}
	p, err := GameExplorer(g, "extragradient", 0.2, mathx.Trajectory(step, mathx.Point{1, 0}, 0.2, 10))
	if err != nil {
		t.Fatal(err)
	}
	svg, err := SVG(p, 12, 12)
	if err != nil || !strings.Contains(svg, "η &lt; 0.198") && !strings.Contains(svg, "η < 0.198") {
		t.Errorf("explorer figure: %v; title lacks the step-size limit 0.198", err)
	}
}
