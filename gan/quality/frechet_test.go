package quality

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func gaussian(mean []float64, cov [][]float64) Gaussian {
	d := len(mean)
	s := mat.NewSymDense(d, nil)
	for i := range d {
		for j := i; j < d; j++ {
			s.SetSym(i, j, cov[i][j])
		}
	}
	return Gaussian{Mean: mean, Cov: s, N: 100}
}

func diag(v ...float64) [][]float64 {
	m := make([][]float64, len(v))
	for i := range m {
		m[i] = make([]float64, len(v))
		m[i][i] = v[i]
	}
	return m
}

func TestFrechetDistanceGolden(t *testing.T) {
	tests := []struct {
		name string
		a, b Gaussian
		want float64
		tol  float64
	}{
		{
			// Diagonal covariances: Σ(μa−μb)² + Σ(σa + σb − 2√(σa·σb))
			// = (1 + 4) + ((4 + 1 − 2·2) + (9 + 1 − 2·3)) = 5 + 5.
			name: "diagonal, by hand",
			a:    gaussian([]float64{1, 2}, diag(4, 9)),
			b:    gaussian([]float64{0, 0}, diag(1, 1)),
			want: 10,
			tol:  1e-12,
		},
		{
			// Σa = I: tr((Σb)^½) = √1 + √3 (eigenvalues of [[2,1],[1,2]] are 1 and 3),
			// so the distance is 2 + 4 − 2(1 + √3) = 4 − 2√3.
			name: "identity against a correlated covariance, by hand",
			a:    gaussian([]float64{3, 3}, diag(1, 1)),
			b:    gaussian([]float64{3, 3}, [][]float64{{2, 1}, {1, 2}}),
			want: 4 - 2*math.Sqrt(3),
			tol:  1e-12,
		},
		{
			// Σa = [[1,1,0],[1,1,0],[0,0,0]] is singular (its square root is Σa/√2),
			// Σb = I/2: tr((Σa^½ Σb Σa^½)^½) = tr((Σa/2)^½) = √2·(1/√2) = 1, so the
			// distance is 1 (means) + 2 + 1.5 − 2·1.
			name: "singular covariance, by hand",
			a:    gaussian([]float64{1, 0, 0}, [][]float64{{1, 1, 0}, {1, 1, 0}, {0, 0, 0}}),
			b:    gaussian([]float64{0, 0, 0}, diag(0.5, 0.5, 0.5)),
			want: 2.5,
			tol:  1e-7, // √ of a rounding-level eigenvalue of the singular product
		},
		{
			name: "non-commuting 3x3, scipy.linalg.sqrtm (testdata/frechet_golden.py)",
			a:    gaussian([]float64{0.5, -1, 2}, [][]float64{{2, 0.5, 0.1}, {0.5, 1, 0.3}, {0.1, 0.3, 0.5}}),
			b:    gaussian([]float64{0, 0.25, 1.5}, [][]float64{{1, -0.2, 0.4}, {-0.2, 2, 0.1}, {0.4, 0.1, 1.5}}),
			want: 2.96515823606749,
			tol:  1e-10,
		},
		{
			name: "ill-conditioned 4x4, scipy.linalg.sqrtm (testdata/frechet_golden.py)",
			a: gaussian([]float64{1, 2, 3, 4},
				[][]float64{{1e-6, 0, 0, 0}, {0, 1, 0.9, 0}, {0, 0.9, 1, 0}, {0, 0, 0, 100}}),
			b: gaussian([]float64{1.5, 2, 2.5, 4},
				[][]float64{{3, 1, 0, 0.5}, {1, 2, 0.3, 0}, {0, 0.3, 1, 0.2}, {0.5, 0, 0.2, 50}}),
			want: 12.7195648855084,
			tol:  1e-9,
		},
		{
			name: "identical",
			a:    gaussian([]float64{0.5, -1, 2}, [][]float64{{2, 0.5, 0.1}, {0.5, 1, 0.3}, {0.1, 0.3, 0.5}}),
			b:    gaussian([]float64{0.5, -1, 2}, [][]float64{{2, 0.5, 0.1}, {0.5, 1, 0.3}, {0.1, 0.3, 0.5}}),
			want: 0,
			tol:  1e-12,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, order := range []struct {
				name string
				x, y Gaussian
			}{{"a,b", tc.a, tc.b}, {"b,a", tc.b, tc.a}} {
				got, err := FrechetDistance(order.x, order.y)
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(got-tc.want) > tc.tol {
					t.Errorf("FrechetDistance(%s) = %.15g, want %.15g (±%g)", order.name, got, tc.want, tc.tol)
				}
			}
		})
	}
}

// randomFeatures returns n×d features with correlated columns.
func randomFeatures(seed uint64, n, d int, shift float64) *mat.Dense {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := mat.NewDense(n, d, nil)
	for i := range n {
		prev := 0.0
		for j := range d {
			v := rng.NormFloat64() + 0.7*prev + shift
			x.Set(i, j, v)
			prev = v
		}
	}
	return x
}

func TestFrechetDistanceSymmetricAndZeroForIdenticalFeatures(t *testing.T) {
	tests := []struct {
		name   string
		n, d   int
		shift  float64
		symTol float64 // relative
	}{
		{"same distribution, 2000×16", 2000, 16, 0, 1e-10},
		{"shifted, 500×32", 500, 32, 0.5, 1e-10},
		// Square roots of rounding-level eigenvalues (~1e-15) are ~3e-8.
		{"fewer vectors than dimensions (singular covariance), 20×40", 20, 40, 0, 1e-7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := FitGaussian(randomFeatures(1, tc.n, tc.d, 0))
			if err != nil {
				t.Fatal(err)
			}
			b, err := FitGaussian(randomFeatures(2, tc.n, tc.d, tc.shift))
			if err != nil {
				t.Fatal(err)
			}
			ab, err := FrechetDistance(a, b)
			if err != nil {
				t.Fatal(err)
			}
			ba, err := FrechetDistance(b, a)
			if err != nil {
				t.Fatal(err)
			}
			if !(ab > 0) {
				t.Errorf("distance of different samples = %g, want > 0", ab)
			}
			if math.Abs(ab-ba) > tc.symTol*max(1, ab) {
				t.Errorf("not symmetric: d(a,b) = %.15g, d(b,a) = %.15g", ab, ba)
			}
			aa, err := FrechetDistance(a, a)
			if err != nil {
				t.Fatal(err)
			}
			// The square root of a singular covariance is exact only to ~√ε.
			if aa > 1e-6*mat.Trace(a.Cov) {
				t.Errorf("d(a,a) = %g, want ≈ 0 (tr Σ = %g)", aa, mat.Trace(a.Cov))
			}
		})
	}
}

func TestFitGaussian(t *testing.T) {
	// Rows (1,2), (3,4), (5,0): mean (3,2); with the n−1 divisor
	// var x = (4+0+4)/2 = 4, var y = (0+4+4)/2 = 4, cov = (0+0−4)/2 = −2.
	g, err := FitGaussian(mat.NewDense(3, 2, []float64{1, 2, 3, 4, 5, 0}))
	if err != nil {
		t.Fatal(err)
	}
	want := [][]float64{{4, -2}, {-2, 4}}
	if g.Mean[0] != 3 || g.Mean[1] != 2 || g.N != 3 {
		t.Errorf("mean %v n %d, want [3 2] 3", g.Mean, g.N)
	}
	for i := range 2 {
		for j := range 2 {
			if math.Abs(g.Cov.At(i, j)-want[i][j]) > 1e-12 {
				t.Errorf("cov[%d][%d] = %g, want %g", i, j, g.Cov.At(i, j), want[i][j])
			}
		}
	}
}

func TestFrechetDistanceErrors(t *testing.T) {
	tests := []struct {
		name string
		a, b Gaussian
	}{
		{"different dimensions", gaussian([]float64{0}, diag(1)), gaussian([]float64{0, 0}, diag(1, 1))},
		{"empty", Gaussian{}, Gaussian{}},
		{"NaN", gaussian([]float64{math.NaN()}, diag(1)), gaussian([]float64{0}, diag(1))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if d, err := FrechetDistance(tc.a, tc.b); err == nil {
				t.Errorf("FrechetDistance = %g, want an error", d)
			}
		})
	}
	if _, err := FitGaussian(mat.NewDense(1, 3, nil)); err == nil {
		t.Error("FitGaussian of one vector: want an error")
	}
}
