package quality

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// outputsFor builds classifier outputs where sample i is predicted as
// classes[i] with probability conf.
func outputsFor(classes []int, conf float64) *Outputs {
	p := mat.NewDense(len(classes), NumClasses, nil)
	for i, c := range classes {
		for k := range NumClasses {
			p.Set(i, k, (1-conf)/(NumClasses-1))
		}
		p.Set(i, c, conf)
	}
	return &Outputs{Features: mat.NewDense(len(classes), FeatureDim, nil), Probabilities: p}
}

func repeat(class, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = class
	}
	return out
}

func TestClassMetrics(t *testing.T) {
	tests := []struct {
		name       string
		classes    []int
		conf       float64
		coverage   int
		kl         float64
		confidence float64
	}{
		{
			// One class takes everything: KL = 1·ln(1/0.1) = ln 10.
			name: "collapsed onto one class", classes: repeat(3, 40), conf: 1,
			coverage: 1, kl: 2.302585092994046, confidence: 1,
		},
		{
			name: "every class once", classes: []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, conf: 0.8,
			coverage: 10, kl: 0, confidence: 0.8,
		},
		{
			// 50 %, 46 %, 4 %: the 4 % class is under the 5 % threshold.
			// KL = 0.5 ln 5 + 0.46 ln 4.6 + 0.04 ln 0.4
			//    = 0.8047189562 + 0.7019858996 − 0.0366516293 = 1.4700532265.
			name:    "two classes and a trace",
			classes: append(append(repeat(0, 50), repeat(1, 46)...), repeat(2, 4)...), conf: 0.6,
			coverage: 2, kl: 1.4700532265, confidence: 0.6,
		},
		{
			// Exactly 5 % counts: 5 of 100 samples in class 9.
			// KL = 0.95 ln 9.5 + 0.05 ln 0.5 = 2.1387272087 − 0.0346573590 = 2.1040698497.
			name: "exactly at the threshold", classes: append(repeat(4, 95), repeat(9, 5)...), conf: 0.9,
			coverage: 2, kl: 2.1040698497, confidence: 0.9,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ClassMetrics(outputsFor(tc.classes, tc.conf))
			if r.Coverage != tc.coverage {
				t.Errorf("coverage %d, want %d", r.Coverage, tc.coverage)
			}
			if math.Abs(r.KLUniform-tc.kl) > 1e-8 {
				t.Errorf("KL %.10f, want %.10f", r.KLUniform, tc.kl)
			}
			if math.Abs(r.MeanConfidence-tc.confidence) > 1e-12 {
				t.Errorf("mean confidence %g, want %g", r.MeanConfidence, tc.confidence)
			}
			if r.Samples != len(tc.classes) {
				t.Errorf("samples %d, want %d", r.Samples, len(tc.classes))
			}
			sum := 0.0
			for _, f := range r.ClassFractions {
				sum += f
			}
			if math.Abs(sum-1) > 1e-12 {
				t.Errorf("class fractions sum to %g", sum)
			}
		})
	}
}
