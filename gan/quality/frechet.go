package quality

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// Gaussian is a multivariate normal fitted to a set of feature vectors.
type Gaussian struct {
	Mean []float64
	Cov  *mat.SymDense // sample covariance (divided by n−1, as numpy.cov and pytorch-fid)
	N    int           // number of vectors it was fitted to
}

// FitGaussian fits a Gaussian to the rows of features (n×d, n ≥ 2).
func FitGaussian(features mat.Matrix) (Gaussian, error) {
	n, d := features.Dims()
	if n < 2 || d < 1 {
		return Gaussian{}, fmt.Errorf("quality: need at least 2 feature vectors to fit a Gaussian, got %d×%d", n, d)
	}
	mean := make([]float64, d)
	col := make([]float64, n)
	for j := range mean {
		mat.Col(col, j, features)
		mean[j] = stat.Mean(col, nil)
	}
	cov := mat.NewSymDense(d, nil)
	stat.CovarianceMatrix(cov, features, nil)
	return Gaussian{Mean: mean, Cov: cov, N: n}, nil
}

// FrechetDistance is the squared Fréchet (2-Wasserstein) distance between two
// Gaussians, the quantity FID reports:
//
//	‖μa − μb‖² + tr(Σa) + tr(Σb) − 2·tr((Σa Σb)^½)
//
// tr((Σa Σb)^½) is computed as the sum of the square roots of the eigenvalues
// of the symmetric positive semi-definite Σa^½ Σb Σa^½, which has the same
// eigenvalues as Σa Σb; both square roots come from gonum's symmetric eigen
// decomposition (mat.EigenSym), with eigenvalues that rounding made slightly
// negative taken as 0. Rounding can likewise make the distance of identical
// Gaussians a tiny negative number; it is returned as 0.
func FrechetDistance(a, b Gaussian) (float64, error) {
	d := len(a.Mean)
	if d == 0 || len(b.Mean) != d || a.Cov == nil || b.Cov == nil || a.Cov.SymmetricDim() != d || b.Cov.SymmetricDim() != d {
		return 0, fmt.Errorf("quality: Fréchet distance of Gaussians of different or zero dimensions (%d and %d)", len(a.Mean), len(b.Mean))
	}
	meanTerm := 0.0
	for i := range a.Mean {
		diff := a.Mean[i] - b.Mean[i]
		meanTerm += diff * diff
	}
	sqrtA, err := sqrtSym(a.Cov)
	if err != nil {
		return 0, err
	}
	var m mat.Dense
	m.Mul(sqrtA, b.Cov)
	m.Mul(&m, sqrtA)
	values, err := eigenvaluesSym(symmetrised(&m))
	if err != nil {
		return 0, err
	}
	traceSqrt := 0.0
	for _, v := range values {
		traceSqrt += math.Sqrt(max(v, 0))
	}
	fd := meanTerm + mat.Trace(a.Cov) + mat.Trace(b.Cov) - 2*traceSqrt
	if math.IsNaN(fd) || math.IsInf(fd, 0) {
		return 0, errors.New("quality: Fréchet distance is not finite (features hold NaN or Inf?)")
	}
	return max(fd, 0), nil
}

// sqrtSym is the principal square root V·diag(√λ)·Vᵀ of a symmetric positive
// semi-definite matrix.
func sqrtSym(s *mat.SymDense) (*mat.SymDense, error) {
	var eig mat.EigenSym
	if !eig.Factorize(s, true) {
		return nil, errors.New("quality: eigendecomposition of a covariance matrix did not converge")
	}
	values := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	n := len(values)
	scaled := mat.NewDense(n, n, nil)
	for j, v := range values {
		r := math.Sqrt(max(v, 0))
		for i := range n {
			scaled.Set(i, j, vecs.At(i, j)*r)
		}
	}
	var root mat.Dense
	root.Mul(scaled, vecs.T())
	return symmetrised(&root), nil
}

func eigenvaluesSym(s *mat.SymDense) ([]float64, error) {
	var eig mat.EigenSym
	if !eig.Factorize(s, false) {
		return nil, errors.New("quality: eigendecomposition in the Fréchet distance did not converge")
	}
	return eig.Values(nil), nil
}

// symmetrised returns (m + mᵀ)/2, removing the rounding asymmetry of products
// that are symmetric in exact arithmetic.
func symmetrised(m *mat.Dense) *mat.SymDense {
	n, _ := m.Dims()
	s := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			s.SetSym(i, j, (m.At(i, j)+m.At(j, i))/2)
		}
	}
	return s
}
