package quality_test

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/ganbook/ganbook/gan/quality"
)

// The Fréchet distance of two Gaussians with diagonal covariances reduces to
// Σ(μa−μb)² + Σ(σa + σb − 2√(σa·σb)): here (1 + 4) + (1 + 4).
func ExampleFrechetDistance() {
	a := quality.Gaussian{Mean: []float64{1, 2}, Cov: mat.NewSymDense(2, []float64{4, 0, 0, 9})}
	b := quality.Gaussian{Mean: []float64{0, 0}, Cov: mat.NewSymDense(2, []float64{1, 0, 0, 1})}
	d, err := quality.FrechetDistance(a, b)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.6f\n", d)
	// Output: 10.000000
}

// Class metrics of 100 samples of which 90 are predicted as "1" and 10 as "7":
// two classes reach 5 %.
func ExampleClassMetrics() {
	probs := mat.NewDense(100, quality.NumClasses, nil)
	for i := range 100 {
		class := 1
		if i >= 90 {
			class = 7
		}
		probs.Set(i, class, 0.95)
		probs.Set(i, 0, 0.05)
	}
	r := quality.ClassMetrics(&quality.Outputs{Probabilities: probs})
	fmt.Printf("coverage %d, KL from uniform %.3f nats, confidence %.2f\n", r.Coverage, r.KLUniform, r.MeanConfidence)
	// Output: coverage 2, KL from uniform 1.978 nats, confidence 0.95
}
