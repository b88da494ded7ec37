package tutorials

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/plot"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/tutorials/outergrad"
	"github.com/ganbook/ganbook/tutorials/panels"
)

// Tutorial 04 and notebook 04 use the first 32 training images and initialisation seed 1.
const (
	outergradReal = 32
	outergradSeed = 1
)

func TestTutorial04NumbersAndFigures(t *testing.T) {
	const in, out = outergrad.In, outergrad.Out
	ds := mnist(t)
	fl, err := outergrad.Discriminator(testBackend(t), ds.Images[:outergradReal*in], outergradSeed)
	if err != nil {
		t.Fatal(err)
	}
	byHand := outergrad.OuterProductSum(fl.X, fl.Delta, fl.Batch, in, out)
	diff, scale := outergrad.MaxAbsDiff(byHand, fl.GradW)
	relDiff := diff / scale
	if !(relDiff < 1e-5) {
		t.Errorf("Σ x⊗δ differs from autodiff by %.3g relative (max |∂L/∂W| %.3g)", relDiff, scale)
	}
	biasDiff, biasScale := outergrad.MaxAbsDiff(outergrad.SumRows(fl.Delta, fl.Batch, out), fl.GradB)
	if !(biasDiff < 1e-5*biasScale) {
		t.Errorf("Σ δ differs from autodiff ∂L/∂b by %.3g (max %.3g)", biasDiff, biasScale)
	}
	sp := outergradSpectra(t, fl)
	x0, d0 := fl.X[:in], fl.Delta[:out]
	// σ₁ of a rank-1 matrix x⊗δ is |x||δ|: the SVD and the product of norms must agree.
	if got, want := sp.one[0], norm32(x0)*norm32(d0); math.Abs(got-want) > 1e-9*want {
		t.Errorf("σ₁(x₀⊗δ₀) = %.10g, |x₀||δ₀| = %.10g", got, want)
	}
	_, _, fakeCos := fakeStats(fl)
	cfg := gan.DefaultConfig()
	adamStep := outergrad.AdamFirstStep(fl.GradW, cfg.LRD, cfg.Beta1, cfg.Beta2)
	adamSV, err := outergrad.SingularValues(adamStep, in, out)
	if err != nil {
		t.Fatal(err)
	}
	nearLR := 0
	for _, d := range adamStep {
		if math.Abs(d) >= 0.99*cfg.LRD {
			nearLR++
		}
	}
	half := fl.Batch / 2
	spreadRatio := outergrad.PixelSpread(fl.X[half*in:], half, in) / outergrad.PixelSpread(fl.X[:half*in], half, in)
	adamRank := outergrad.NumericalRank(adamSV, 1e-8)
	if adamRank <= fl.Batch {
		t.Errorf("Adam's first step has rank %d, not above B = %d", adamRank, fl.Batch)
	}
	misWired, correctNorm, err := outergrad.GeneratorGradientNorms(testBackend(t), ds.Images[:outergradReal*in], outergradSeed)
	if err != nil {
		t.Fatal(err)
	}
	sigmoidFloor := math.Inf(1)
	for a := -50.0; a <= 50; a += 0.01 {
		sigmoidFloor = math.Min(sigmoidFloor, -math.Log(1/(1+math.Exp(-1/(1+math.Exp(-a))))))
	}
	checkTutorial(t, tutorial{
		file: "04-outer-product-gradients.md",
		numbers: map[string]func() float64{
			"real":         func() float64 { return outergradReal },
			"batch":        func() float64 { return float64(fl.Batch) },
			"entries":      func() float64 { return float64(len(fl.GradW)) },
			"loss":         func() float64 { return fl.Loss },
			"relBound":     func() float64 { return math.Pow(10, math.Ceil(math.Log10(relDiff))) },
			"xNorm":        func() float64 { return norm32(x0) },
			"dNorm":        func() float64 { return norm32(d0) },
			"sigma1":       func() float64 { return sp.one[0] },
			"rank1":        func() float64 { return float64(outergrad.NumericalRank(sp.one, 1e-8)) },
			"rankReal":     func() float64 { return float64(outergrad.NumericalRank(sp.real, 1e-8)) },
			"misWired":     func() float64 { return misWired },
			"correctNorm":  func() float64 { return correctNorm },
			"sigmoidFloor": func() float64 { return sigmoidFloor },
			"adamRank":     func() float64 { return float64(adamRank) },
			"adamNearLR":   func() float64 { return 100 * float64(nearLR) / float64(len(adamStep)) },
			"lrD":          func() float64 { return cfg.LRD },
			"spreadRatio":  func() float64 { return spreadRatio },
			"uniformCos":   func() float64 { return outergrad.MeanUniformCosine(rand.New(rand.NewPCG(4, 4)), in, 1000) },
			"fakeCos":      func() float64 { return fakeCos },
			"fakeRatio":    func() float64 { return sp.fake[1] / sp.fake[0] },
		},
		figures: map[string]func() (string, error){
			"img/04-gradient-columns.svg": func() (string, error) {
				ps, err := outergrad.ColumnMaps("∂L/∂W", fl.GradW, []int{0, 1, 2, 3, 4, 5, 6, 7})
				if err != nil {
					return "", err
				}
				return panels.SVG(ps, 4, 4, 4)
			},
			"img/04-singular-values.svg": func() (string, error) {
				p, err := outergrad.SpectrumPlot("Singular values of sums of outer products x ⊗ δ", sp.list(), 70, 1e-9)
				if err != nil {
					return "", err
				}
				return panels.SVG([]*plot.Plot{p}, 1, 14, 9)
			},
		},
	})
}

func norm32(v []float32) float64 {
	s := 0.0
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

// spectra04 holds the singular values of the parts of ∂L/∂W that tutorial 04 compares.
type spectra04 struct{ one, real, fake, all []float64 }

func (s spectra04) list() []outergrad.Spectrum {
	return []outergrad.Spectrum{
		{Name: "x₀ ⊗ δ₀: one real example", Values: s.one},
		{Name: "Σ over the 32 real examples", Values: s.real},
		{Name: "Σ over the 32 fakes", Values: s.fake},
		{Name: "∂L/∂W, all 64 (autodiff)", Values: s.all},
	}
}

func outergradSpectra(t *testing.T, fl *outergrad.FirstLayer) spectra04 {
	t.Helper()
	const in, out = outergrad.In, outergrad.Out
	n := fl.Batch / 2
	w := make([]float64, len(fl.GradW))
	for i, v := range fl.GradW {
		w[i] = float64(v)
	}
	var s spectra04
	for _, m := range []struct {
		dst    *[]float64
		matrix []float64
	}{
		{&s.one, outergrad.OuterProduct(fl.X[:in], fl.Delta[:out])},
		{&s.real, outergrad.OuterProductSum(fl.X, fl.Delta, n, in, out)},
		{&s.fake, outergrad.OuterProductSum(fl.X[n*in:], fl.Delta[n*out:], n, in, out)},
		{&s.all, w},
	} {
		sv, err := outergrad.SingularValues(m.matrix, in, out)
		if err != nil {
			t.Fatal(err)
		}
		*m.dst = sv
	}
	return s
}

// fakeStats returns the smallest and largest pixel of the fakes and the smallest cosine
// similarity between two of them.
func fakeStats(fl *outergrad.FirstLayer) (lo, hi, minCos float64) {
	const in = outergrad.In
	n := fl.Batch / 2
	lo, hi, minCos = math.Inf(1), math.Inf(-1), 1
	for i := n; i < fl.Batch; i++ {
		a := fl.X[i*in : (i+1)*in]
		for _, v := range a {
			lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
		}
		for j := i + 1; j < fl.Batch; j++ {
			b := fl.X[j*in : (j+1)*in]
			dot := 0.0
			for k := range a {
				dot += float64(a[k]) * float64(b[k])
			}
			minCos = math.Min(minCos, dot/(norm32(a)*norm32(b)))
		}
	}
	return lo, hi, minCos
}
