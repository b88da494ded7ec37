package quality

import (
	"fmt"
	"math"

	"github.com/ganbook/ganbook/gan/data"
)

// CoverageThreshold is the share of samples a class needs to count as covered.
const CoverageThreshold = 0.05

// Report is the quality of a set of generated images, measured with one
// extractor against one reference set (a dataset's test split).
type Report struct {
	// FID is the Fréchet distance between Gaussians fitted to the extractor's
	// features of the generated and the reference images (lower is better;
	// comparable only between reports with the same ExtractorID).
	FID float64 `json:"fid"`
	// Coverage is how many of the 10 classes receive at least 5 % of the
	// samples (CoverageThreshold): 10 for a generator that draws every class,
	// 1 for one collapsed onto a single class.
	Coverage int `json:"coverage"`
	// KLUniform is KL(p ‖ uniform) in nats, p the histogram of predicted
	// classes: 0 when every class is drawn equally often, ln 10 ≈ 2.303 when
	// one class takes every sample.
	KLUniform float64 `json:"kl_uniform"`
	// MeanConfidence is the mean over samples of the classifier's top softmax
	// probability: near 1 for clear digits, lower for ambiguous ones.
	MeanConfidence float64 `json:"mean_confidence"`
	// ClassFractions is the share of samples predicted as each class.
	ClassFractions []float64 `json:"class_fractions"`
	ExtractorID    string    `json:"extractor_id"`
	Samples        int       `json:"samples"`   // generated images measured
	Reference      string    `json:"reference"` // e.g. "mnist/test"
}

func (r Report) String() string {
	return fmt.Sprintf("FID %.3f  coverage %d/%d  KL(classes‖uniform) %.4f  confidence %.3f  (%d samples, %s vs %s)",
		r.FID, r.Coverage, NumClasses, r.KLUniform, r.MeanConfidence, r.Samples, r.ExtractorID, r.Reference)
}

// referenceStats are what the classifier makes of a reference set, computed
// once per extractor and dataset: the accuracy and every Evaluate against it
// share one pass.
type referenceStats struct {
	outputs  *Outputs
	gaussian Gaussian
}

// Evaluate measures n generated images (generated holds n·784 pixels in the
// classifier's [0, 1]; rescale a generator's output with [ToUnitRange])
// against reference, normally the test split of the extractor's dataset (any
// pixel scale). The reference's features are computed once per extractor and
// dataset and reused.
func Evaluate(ex *Extractor, generated []float32, n int, reference *data.Dataset) (Report, error) {
	if reference == nil || reference.N < 2 {
		return Report{}, fmt.Errorf("quality: need a reference dataset of at least 2 images")
	}
	if reference.Name != ex.dataset {
		return Report{}, fmt.Errorf("quality: extractor %s measures %s images, the reference is %s", ex.id, ex.dataset, reference.Name)
	}
	if n < 2 {
		return Report{}, fmt.Errorf("quality: need at least 2 generated images, got %d", n)
	}
	ref, err := ex.reference(reference)
	if err != nil {
		return Report{}, err
	}
	out, err := ex.Run(generated, n)
	if err != nil {
		return Report{}, err
	}
	gen, err := FitGaussian(out.Features)
	if err != nil {
		return Report{}, err
	}
	fid, err := FrechetDistance(gen, ref.gaussian)
	if err != nil {
		return Report{}, err
	}
	r := ClassMetrics(out)
	r.FID = fid
	r.ExtractorID = ex.id
	r.Reference = fmt.Sprintf("%s/%s", reference.Name, reference.Split)
	return r, nil
}

// ClassMetrics fills the class-histogram fields of a Report (Coverage,
// KLUniform, MeanConfidence, ClassFractions, Samples) from classifier outputs.
func ClassMetrics(out *Outputs) Report {
	n, _ := out.Probabilities.Dims()
	counts := make([]int, NumClasses)
	confidence := 0.0
	for i, c := range out.Predictions() {
		counts[c]++
		confidence += out.Probabilities.At(i, c)
	}
	r := Report{Samples: n, MeanConfidence: confidence / float64(n), ClassFractions: make([]float64, NumClasses)}
	for c, k := range counts {
		p := float64(k) / float64(n)
		r.ClassFractions[c] = p
		if p >= CoverageThreshold {
			r.Coverage++
		}
		if p > 0 { // 0·ln 0 = 0
			r.KLUniform += p * math.Log(p*NumClasses)
		}
	}
	return r
}

// reference returns the outputs and fitted features of ds, computing them on
// first use.
func (ex *Extractor) reference(ds *data.Dataset) (*referenceStats, error) {
	ex.mu.Lock()
	ref := ex.refs[ds]
	ex.mu.Unlock()
	if ref != nil {
		return ref, nil
	}
	if err := checkImageSize(ds); err != nil {
		return nil, err
	}
	out, err := ex.Run(toUnitRange(ds.Images, ds.Scale), ds.N)
	if err != nil {
		return nil, err
	}
	g, err := FitGaussian(out.Features)
	if err != nil {
		return nil, err
	}
	ref = &referenceStats{outputs: out, gaussian: g}
	ex.mu.Lock()
	ex.refs[ds] = ref
	ex.mu.Unlock()
	return ref, nil
}
