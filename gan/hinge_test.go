package gan

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
)

// Hand values of the hinge loss, D = mean max(0, 1 − r) + mean max(0, 1 + f)
// and G = −mean f, and of its gradients, d D/d r_i = −1/n where r_i < 1 (else
// 0), d D/d f_i = 1/n where f_i > −1 (else 0), d G/d f_i = −1/n. Logits stay
// off the kinks at ±1. Also in gan/testdata/loss_golden.py.
func TestHingeLossByHand(t *testing.T) {
	backend := testBackend(t)
	tests := []struct {
		name               string
		real, fake         []float64
		wantD, wantG       float64
		wantDReal, wantDFk []float64
	}{
		// relu(1−r) = 0, 1.3, 0.3; relu(1+f) = 0, 1.4, 0.9: D = (1.6 + 2.3)/3; G = 1.7/3.
		{"ordinary", []float64{1.5, -0.3, 0.7}, []float64{-2.0, 0.4, -0.1}, 1.3, 1.7 / 3,
			[]float64{0, -1.0 / 3, -1.0 / 3}, []float64{0, 1.0 / 3, 1.0 / 3}},
		{"zero logits", []float64{0}, []float64{0}, 2, 0, []float64{-1}, []float64{1}},
		// relu(1−50) = 0, relu(1+50) = 51 on each side: D = 51/2 + 51/2.
		{"extreme ±50", []float64{50, -50}, []float64{-50, 50}, 51, 0, []float64{0, -0.5}, []float64{0, 0.5}},
		{"margins met", []float64{2, 3}, []float64{-4, -2}, 0, 3, []float64{0, 0}, []float64{0, 0}},
	}
	exec := MustNewExec(backend, func(real, fake *Node) []*Node {
		d, err := DiscriminatorLossOf(LossHinge, real, fake, 0.9) // the real label does not enter the hinge
		if err != nil {
			t.Fatal(err)
		}
		g, err := GeneratorLoss(LossHinge, fake)
		if err != nil {
			t.Fatal(err)
		}
		grads := Gradient(d, real, fake)
		return []*Node{d, g, grads[0], grads[1], Gradient(g, fake)[0]}
	})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := exec.MustCall(tc.real, tc.fake)
			if got := scalar(out[0]); math.Abs(got-tc.wantD) > 1e-12 {
				t.Errorf("D loss %.17g, want %.17g", got, tc.wantD)
			}
			if got := scalar(out[1]); math.Abs(got-tc.wantG) > 1e-12 {
				t.Errorf("G loss %.17g, want %.17g", got, tc.wantG)
			}
			n := float64(len(tc.fake))
			wantGG := make([]float64, len(tc.fake))
			for i := range wantGG {
				wantGG[i] = -1 / n
			}
			for k, want := range [][]float64{tc.wantDReal, tc.wantDFk, wantGG} {
				got := out[2+k].Value().([]float64)
				for i := range want {
					if math.Abs(got[i]-want[i]) > 1e-12 {
						t.Errorf("gradient %d (dD/dreal, dD/dfake, dG/dfake) = %v, want %v", k, got, want)
						break
					}
				}
			}
		})
	}
}

// The trainer's loss setting reaches D's step: from the same seed and data,
// the first step's logits are the same, and the hinge D loss (non-negative)
// differs from the cross-entropy one.
func TestTrainerWithHingeLoss(t *testing.T) {
	first := func(loss string) StepMetrics {
		cfg := smallConfig()
		cfg.Loss = loss
		tr, err := NewTrainer(testBackend(t), cfg, newSyntheticSource(16, cfg.Batch, 1), 3, Options{})
		if err != nil {
			t.Fatal(err)
		}
		m, err := tr.TrainStep()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	hinge, bce := first(LossHinge), first(LossNonSaturating)
	if hinge.DReal != bce.DReal || hinge.DFake != bce.DFake {
		t.Fatalf("the first step's D outputs differ (%+v, %+v): the comparison proves nothing", hinge, bce)
	}
	if hinge.DLoss < 0 || hinge.DLoss == bce.DLoss || math.IsNaN(hinge.GLoss) {
		t.Errorf("hinge D loss %g, G loss %g; cross-entropy D loss %g", hinge.DLoss, hinge.GLoss, bce.DLoss)
	}
}
