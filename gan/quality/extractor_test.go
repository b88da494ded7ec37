package quality_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"github.com/gomlx/compute"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/gan/data"
	"github.com/ganbook/ganbook/gan/quality"
)

const pixels = quality.ImageSize * quality.ImageSize

var (
	backendOnce sync.Once
	backend     compute.Backend
	backendErr  error
)

func testBackend(t testing.TB) compute.Backend {
	t.Helper()
	backendOnce.Do(func() {
		backend, backendErr = gan.NewBackend(os.Stderr)
	})
	if backendErr != nil {
		t.Fatal(backendErr)
	}
	return backend
}

// fixture is a dataset's committed extractor and its splits, loaded once.
type fixture struct {
	ex          *quality.Extractor
	train, test *data.Dataset
}

var (
	fixtureMu sync.Mutex
	fixtures  = map[string]*fixture{}
)

func loadFixture(t testing.TB, dataset string) *fixture {
	t.Helper()
	fixtureMu.Lock()
	defer fixtureMu.Unlock()
	if f := fixtures[dataset]; f != nil {
		return f
	}
	ex, err := quality.LoadExtractor(testBackend(t), dataset)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{ex: ex}
	for _, s := range []struct {
		split data.Split
		dst   **data.Dataset
	}{{data.Train, &f.train}, {data.Test, &f.test}} {
		ds, err := data.Load(dataset, s.split, data.Options{NoDownload: true})
		if errors.Is(err, data.ErrNotFound) && os.Getenv("CI") != "true" {
			// make deps installs it; in CI its absence fails below.
			t.Skip(err)
		}
		if err != nil {
			t.Fatal(err)
		}
		*s.dst = ds
	}
	fixtures[dataset] = f
	return f
}

// subset returns images [from, to) of ds as a dataset of its own.
func subset(ds *data.Dataset, from, to int) *data.Dataset {
	s := *ds
	s.N = to - from
	s.Images = ds.Images[from*pixels : to*pixels]
	s.Labels = ds.Labels[from:to]
	return &s
}

func TestClassifierAccuracy(t *testing.T) {
	tests := []struct {
		dataset string
		min     float64 // issue 6: ≥ 99 % on MNIST; Fashion-MNIST is harder
	}{
		{"mnist", 0.99},
		{"fashion", 0.90}, // 91.22 % when trained
	}
	for _, tc := range tests {
		t.Run(tc.dataset, func(t *testing.T) {
			f := loadFixture(t, tc.dataset)
			acc, err := f.ex.Accuracy(f.test)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: test accuracy %.2f%% (%d test images; %.2f%% recorded when trained)",
				f.ex.ID(), 100*acc, f.test.N, 100*f.ex.TestAccuracy())
			if acc < tc.min {
				t.Errorf("test accuracy %.4f, want ≥ %.2f", acc, tc.min)
			}
			// Another backend or CPU may round differently, flipping a few borderline images.
			if math.Abs(acc-f.ex.TestAccuracy()) > 0.002 {
				t.Errorf("test accuracy %.4f differs from the %.4f recorded in the weights file", acc, f.ex.TestAccuracy())
			}
		})
	}
}

// classesGenerator is a "generator" collapsed onto some classes: it draws
// the test images of the first k labels in turn (label 0, 1, …, k−1, 0, …),
// in [-1, 1] like a tanh generator, whatever z is.
func classesGenerator(ds *data.Dataset, labels []uint8, latentDim int) quality.GenerateFunc {
	images := make([][][]float32, len(labels))
	for i, l := range ds.Labels {
		for k, want := range labels {
			if l == want {
				images[k] = append(images[k], ds.Image(i))
			}
		}
	}
	next := 0
	return func(z []float32) ([]float32, error) {
		n := len(z) / latentDim
		out := make([]float32, 0, n*pixels)
		for range n {
			class := images[next%len(labels)]
			for _, p := range class[(next/len(labels))%len(class)] {
				out = append(out, 2*p-1)
			}
			next++
		}
		return out, nil
	}
}

// datasetGenerator draws the images of ds in order, in [-1, 1].
func datasetGenerator(ds *data.Dataset, latentDim int) quality.GenerateFunc {
	next := 0
	return func(z []float32) ([]float32, error) {
		n := len(z) / latentDim
		out := make([]float32, n*pixels)
		for i, p := range ds.Images[next*pixels : (next+n)*pixels] {
			out[i] = 2*p - 1
		}
		next += n
		return out, nil
	}
}

func uniformNoise(n int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 2))
	x := make([]float32, n*pixels)
	for i := range x {
		x[i] = rng.Float32()
	}
	return x
}

// TestSanity checks the metrics on image sets whose answers are known: real
// digits against real digits score a small FID and full coverage; noise and
// a generator stuck on one class do not.
func TestSanity(t *testing.T) {
	for _, dataset := range []string{"mnist", "fashion"} {
		t.Run(dataset, func(t *testing.T) {
			f := loadFixture(t, dataset)
			firstHalf, secondHalf := subset(f.test, 0, 5000), subset(f.test, 5000, 10000)
			symmetric := quality.SampleOptions{Samples: 5000, LatentDim: 8, Range: data.SymmetricRange}
			type result struct {
				name string
				r    quality.Report
			}
			var results []result
			eval := func(name string, images []float32, n int, ref *data.Dataset) quality.Report {
				t.Helper()
				r, err := quality.Evaluate(f.ex, images, n, ref)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				results = append(results, result{name, r})
				t.Logf("%-32s %s", name, r)
				return r
			}
			evalGen := func(name string, gen quality.GenerateFunc, opts quality.SampleOptions, ref *data.Dataset) quality.Report {
				t.Helper()
				r, err := quality.EvaluateGenerator(f.ex, gen, opts, ref)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				results = append(results, result{name, r})
				t.Logf("%-32s %s", name, r)
				return r
			}

			self := eval("test half 1 vs itself", firstHalf.Images, firstHalf.N, firstHalf)
			halves := eval("test half 1 vs test half 2", firstHalf.Images, firstHalf.N, secondHalf)
			halvesSwapped := eval("test half 2 vs test half 1", secondHalf.Images, secondHalf.N, firstHalf)
			train := evalGen("train images as a [-1,1] generator", datasetGenerator(f.train, symmetric.LatentDim), symmetric, f.test)
			noise := eval("uniform noise vs test", uniformNoise(2000, 1), 2000, f.test)
			one := evalGen("one-class generator vs test", classesGenerator(f.test, []uint8{7}, symmetric.LatentDim),
				quality.SampleOptions{Samples: 1000, LatentDim: symmetric.LatentDim, Range: data.SymmetricRange}, f.test)
			// Real images of fewer classes: coverage counts them, FID falls as classes are added.
			var collapsed []quality.Report
			for _, labels := range [][]uint8{{3, 8}, {3, 8, 1, 6, 0}, {3, 8, 1, 6, 0, 2, 4, 5}} {
				r := evalGen(fmt.Sprintf("%d-class generator vs test", len(labels)), classesGenerator(f.test, labels, symmetric.LatentDim),
					quality.SampleOptions{Samples: 2000, LatentDim: symmetric.LatentDim, Range: data.SymmetricRange}, f.test)
				if r.Coverage != len(labels) {
					t.Errorf("%d-class generator: coverage %d (class fractions %v)", len(labels), r.Coverage, r.ClassFractions)
				}
				collapsed = append(collapsed, r)
			}
			previous := one.FID
			for _, r := range append(collapsed, train) {
				if !(r.FID < previous) {
					t.Errorf("FID does not fall as classes are added: %g after %g (%s)", r.FID, previous, r)
				}
				previous = r.FID
			}

			if self.FID > 1e-6 {
				t.Errorf("FID of a set against itself = %g, want ≈ 0", self.FID)
			}
			if math.Abs(halves.FID-halvesSwapped.FID) > 1e-9*max(1, halves.FID) {
				t.Errorf("FID not symmetric: %g vs %g", halves.FID, halvesSwapped.FID)
			}
			// Real against real must be small next to noise and to a collapsed
			// generator: the whole point of the metric.
			for _, real := range []quality.Report{halves, train} {
				if !(real.FID > 0) || real.FID > noise.FID/20 || real.FID > one.FID/10 {
					t.Errorf("real-vs-real FID %g is not small next to noise %g and one class %g", real.FID, noise.FID, one.FID)
				}
				if real.Coverage != 10 {
					t.Errorf("real images cover %d classes, want 10", real.Coverage)
				}
				if real.KLUniform > 0.01 {
					t.Errorf("real images: KL from uniform %g, want ≈ 0", real.KLUniform)
				}
			}
			if one.Coverage != 1 {
				t.Errorf("one-class generator: coverage %d, want 1 (class fractions %v)", one.Coverage, one.ClassFractions)
			}
			if one.ClassFractions[7] < 0.9 || one.KLUniform < 0.8*math.Log(10) {
				t.Errorf("one-class generator: class 7 gets %.3f of samples, KL %.3f; want ≈ 1 and ≈ ln 10",
					one.ClassFractions[7], one.KLUniform)
			}
			for _, res := range results {
				if res.r.ExtractorID != f.ex.ID() {
					t.Errorf("%s: extractor id %q, want %q", res.name, res.r.ExtractorID, f.ex.ID())
				}
			}
			if train.Samples != symmetric.Samples {
				t.Errorf("generator report over %d samples, want %d", train.Samples, symmetric.Samples)
			}
		})
	}
}

func TestEvaluateRefusesBadInput(t *testing.T) {
	f := loadFixture(t, "mnist")
	fashion := &data.Dataset{Name: "fashion", N: 10, Height: 28, Width: 28, Images: make([]float32, 10*pixels), Labels: make([]uint8, 10)}
	symmetricPixels := make([]float32, 4*pixels)
	for i := range symmetricPixels {
		symmetricPixels[i] = -1
	}
	tests := []struct {
		name   string
		images []float32
		n      int
		ref    *data.Dataset
	}{
		{"pixels in [-1,1], not rescaled", symmetricPixels, 4, f.test},
		{"NaN pixels", append(make([]float32, 4*pixels-1), float32(math.NaN())), 4, f.test},
		{"wrong pixel count", make([]float32, 3*pixels), 4, f.test},
		{"one sample", make([]float32, pixels), 1, f.test},
		{"reference of another dataset", make([]float32, 4*pixels), 4, fashion},
		{"no reference", make([]float32, 4*pixels), 4, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if r, err := quality.Evaluate(f.ex, tc.images, tc.n, tc.ref); err == nil {
				t.Errorf("Evaluate = %v, want an error", r)
			}
		})
	}
}
