package outergrad

import (
	"math"
	"math/rand/v2"
)

// AdamFirstStep returns the change Adam makes to the weights at its first step from gradient
// grad, by the update gan trains with (PyTorch's torch.optim.Adam, epsilon 1e-8): from zero
// moments, m = (1−β₁)g and v = (1−β₂)g², and the bias-corrected step is
// −lr·(m/(1−β₁)) / (√(v/(1−β₂)) + ε) = −lr·g/(|g| + ε), element by element. Unlike plain SGD's
// −lr·g it is not a sum of outer products: nearly every entry moves by about lr, whatever its
// gradient's size, only its sign is kept.
func AdamFirstStep(grad []float32, lr, beta1, beta2 float64) []float64 {
	const epsilon = 1e-8
	step := make([]float64, len(grad))
	for i, g32 := range grad {
		g := float64(g32)
		m, v := (1-beta1)*g, (1-beta2)*g*g
		mHat, vHat := m/(1-beta1), v/(1-beta2)
		step[i] = -lr * mHat / (math.Sqrt(vHat) + epsilon)
	}
	return step
}

// PixelSpread returns the total variance of a batch of images around their mean image,
// Σ_pixels (1/n)·Σ_images (x − x̄)², for n images of in pixels each ([n·in]). Unlike a cosine
// between raw images it does not count the part all images share.
func PixelSpread(x []float32, n, in int) float64 {
	total := 0.0
	for i := range in {
		mean := 0.0
		for k := range n {
			mean += float64(x[k*in+i])
		}
		mean /= float64(n)
		for k := range n {
			d := float64(x[k*in+i]) - mean
			total += d * d
		}
	}
	return total / float64(n)
}

// MeanUniformCosine returns the mean cosine similarity of pairs of independent random images
// of in pixels, each pixel uniform on [0, 1], over pairs pairs. Its expectation for large in
// is E[xy]/E[x²] = (1/4)/(1/3) = 0.75: a cosine between raw, uncentred images is high even
// for images that have nothing in common.
func MeanUniformCosine(r *rand.Rand, in, pairs int) float64 {
	sum := 0.0
	a, b := make([]float64, in), make([]float64, in)
	for range pairs {
		dot, na, nb := 0.0, 0.0, 0.0
		for i := range in {
			a[i], b[i] = r.Float64(), r.Float64()
			dot, na, nb = dot+a[i]*b[i], na+a[i]*a[i], nb+b[i]*b[i]
		}
		sum += dot / math.Sqrt(na*nb)
	}
	return sum / float64(pairs)
}
