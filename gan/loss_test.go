package gan

import (
	"math"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
)

func testBackend(t testing.TB) compute.Backend {
	t.Helper()
	b, err := gobackend.New("parallelism=-1") // see withDeadlockGuard
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Golden values from PyTorch's binary_cross_entropy_with_logits in float64
// (gan/testdata/loss_golden.py); the extreme case by hand: softplus(50) = 50.
func TestLossesAgainstPyTorch(t *testing.T) {
	backend := testBackend(t)
	tests := []struct {
		name                 string
		real, fake           []float64
		realLabel            float64
		wantD, wantNS, wantM float64
	}{
		{"ordinary", []float64{1.5, -0.3, 0.7}, []float64{-2.0, 0.4, -0.1}, 1, 1.0477648316177444, 1.1281133078388319, -0.56144664117216536},
		{"ordinary smoothed", []float64{1.5, -0.3, 0.7}, []float64{-2.0, 0.4, -0.1}, 0.9, 1.1110981649510778, 1.1281133078388319, -0.56144664117216536},
		{"zero logits", []float64{0}, []float64{0}, 1, 2 * math.Ln2, math.Ln2, -math.Ln2},
		{"extreme ±50", []float64{50, -50}, []float64{-50, 50}, 1, 50, 25, -25},
		{"extreme ±50 smoothed", []float64{50, -50}, []float64{-50, 50}, 0.9, 50, 25, -25},
	}
	for _, tc := range tests {
		for _, dtype := range []string{"float32", "float64"} {
			t.Run(tc.name+"/"+dtype, func(t *testing.T) {
				toTensor := func(v []float64) *tensors.Tensor {
					if dtype == "float64" {
						return tensors.FromValue(v)
					}
					f := make([]float32, len(v))
					for i := range v {
						f[i] = float32(v[i])
					}
					return tensors.FromValue(f)
				}
				exec := MustNewExec(backend, func(real, fake *Node) (d, ns, mm *Node) {
					ns, _ = GeneratorLoss(LossNonSaturating, fake)
					mm, _ = GeneratorLoss(LossMinimax, fake)
					return DiscriminatorLoss(real, fake, tc.realLabel), ns, mm
				})
				out := exec.MustCall(toTensor(tc.real), toTensor(tc.fake))
				tol := 1e-12
				if dtype == "float32" {
					tol = 1e-6
				}
				for i, want := range []float64{tc.wantD, tc.wantNS, tc.wantM} {
					got := scalar(out[i])
					if math.IsNaN(got) || math.IsInf(got, 0) || math.Abs(got-want) > tol*math.Max(1, math.Abs(want)) {
						t.Errorf("output %d (D, G nonsaturating, G minimax) = %.17g, want %.17g", i, got, want)
					}
				}
			})
		}
	}
}

// The gradient of each loss with respect to the fake logits must stay finite at
// extreme logits, and match the analytic derivative: d softplus(x)/dx = sigmoid(x).
func TestLossGradientsFiniteAtExtremes(t *testing.T) {
	backend := testBackend(t)
	sigmoid := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	fake := []float64{-50, -3, 0, 3, 50}
	exec := MustNewExec(backend, func(f *Node) (ns, mm *Node) {
		lossNS, _ := GeneratorLoss(LossNonSaturating, f)
		lossMM, _ := GeneratorLoss(LossMinimax, f)
		return Gradient(lossNS, f)[0], Gradient(lossMM, f)[0]
	})
	out := exec.MustCall(fake)
	gotNS := out[0].Value().([]float64)
	gotMM := out[1].Value().([]float64)
	n := float64(len(fake))
	for i, x := range fake {
		wantNS := -sigmoid(-x) / n // d/dx mean softplus(−x)
		wantMM := -sigmoid(x) / n  // d/dx −mean softplus(x)
		if math.Abs(gotNS[i]-wantNS) > 1e-12 || math.Abs(gotMM[i]-wantMM) > 1e-12 {
			t.Errorf("logit %g: gradients (ns %g, minimax %g), want (%g, %g)", x, gotNS[i], gotMM[i], wantNS, wantMM)
		}
	}
	// Why the non-saturating loss is used: at a confidently rejected fake (logit −50)
	// the minimax gradient vanishes while the non-saturating one does not.
	if math.Abs(gotMM[0]) > 1e-20 || math.Abs(gotNS[0]) < 0.1 {
		t.Errorf("at logit −50: minimax gradient %g should vanish, non-saturating %g should not", gotMM[0], gotNS[0])
	}
}

func TestGeneratorLossUnknown(t *testing.T) {
	backend := testBackend(t)
	_, err := CallOnce(backend, func(f *Node) *Node {
		_, err := GeneratorLoss("wasserstein", f)
		if err == nil {
			t.Error("GeneratorLoss(\"wasserstein\") gave no error")
		}
		return f
	}, []float32{1})
	if err != nil {
		t.Fatal(err)
	}
}
