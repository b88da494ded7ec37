package quality

import (
	"fmt"
	"math/rand/v2"

	"github.com/ganbook/ganbook/gan/data"
)

// DefaultSamples is how many generated images a Report is computed over by
// default: FID's bias grows as the sample shrinks, so reports are comparable
// only at the same count.
const DefaultSamples = 10000

// GenerateFunc draws one image per latent vector: z holds n·LatentDim values,
// the result n·28·28 pixels in the generator's range. gan.Trainer.Generate is
// one.
type GenerateFunc func(z []float32) ([]float32, error)

// SampleOptions say how to draw samples from a generator.
type SampleOptions struct {
	// Samples is the number of images (default DefaultSamples).
	Samples int
	// Batch is how many images one call of the generator draws (default 500).
	Batch int
	// LatentDim is the size of z (the run's gan.Config.LatentDim); required.
	LatentDim int
	// Seed fixes the latent vectors, drawn from N(0, 1); 0 is a seed like any other.
	Seed uint64
	// Range is the generator's pixel range, [Low, High] of its
	// gan.Architecture; the zero Range means [0, 1].
	Range data.Range
}

func (o SampleOptions) withDefaults() (SampleOptions, error) {
	if o.Samples == 0 {
		o.Samples = DefaultSamples
	}
	if o.Batch == 0 {
		o.Batch = 500
	}
	if o.Range == (data.Range{}) {
		o.Range = data.UnitRange
	}
	if o.Samples < 2 || o.Batch < 1 || o.LatentDim < 1 {
		return o, fmt.Errorf("quality: need at least 2 samples, a batch and a latent size ≥ 1, got %d, %d, %d", o.Samples, o.Batch, o.LatentDim)
	}
	if !(o.Range.Min < o.Range.Max) {
		return o, fmt.Errorf("quality: invalid generator pixel range %v", o.Range)
	}
	return o, nil
}

// DrawSamples draws opts.Samples images from generate, in batches, from latent
// vectors fixed by opts.Seed, and returns them mapped to the classifier's
// [0, 1] (opts.Samples·784 pixels). The last batch is drawn full and cut, so
// the generator always sees the same batch size.
func DrawSamples(generate GenerateFunc, opts SampleOptions) ([]float32, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	const pixels = ImageSize * ImageSize
	rng := rand.New(rand.NewPCG(opts.Seed, 0x9a11e7)) // the stream constant keeps these draws apart from training's
	out := make([]float32, 0, opts.Samples*pixels)
	z := make([]float32, opts.Batch*opts.LatentDim)
	for len(out) < opts.Samples*pixels {
		for i := range z {
			z[i] = float32(rng.NormFloat64())
		}
		images, err := generate(z)
		if err != nil {
			return nil, fmt.Errorf("quality: generating samples: %w", err)
		}
		if len(images) != opts.Batch*pixels {
			return nil, fmt.Errorf("quality: the generator returned %d pixels for %d latent vectors, want %d", len(images), opts.Batch, opts.Batch*pixels)
		}
		take := min(len(images), opts.Samples*pixels-len(out))
		out = append(out, ToUnitRange(images[:take], opts.Range)...)
	}
	return out, nil
}

// EvaluateGenerator draws samples from a generator (see [DrawSamples]) and
// measures them against reference (see [Evaluate]).
func EvaluateGenerator(ex *Extractor, generate GenerateFunc, opts SampleOptions, reference *data.Dataset) (Report, error) {
	images, err := DrawSamples(generate, opts)
	if err != nil {
		return Report{}, err
	}
	return Evaluate(ex, images, len(images)/(ImageSize*ImageSize), reference)
}
