package quality_test

import (
	"math"
	"os"
	"strings"
	"testing"

	"github.com/gomlx/compute"

	"github.com/ganbook/ganbook/gan/data"
	"github.com/ganbook/ganbook/gan/quality"
	"github.com/ganbook/ganbook/internal/backendtest"
)

// TestBackends… run table-driven over the go backend and XLA on CPU; the
// count of those that ran on XLA is printed at the end.
func TestMain(m *testing.M) { os.Exit(backendtest.Main(m, "gan/quality")) }

// The committed MNIST extractor on each backend: on the first 1000 test images
// its accuracy is within 0.5 points of the full test set's recorded when it
// was trained, and XLA's features and probabilities agree with the go
// backend's to float32 rounding through five layers (1e-5 of the largest
// feature, seen 5e-7; probabilities 1e-5 absolute, seen 3e-7), with the same predicted class for
// all but at most 2 borderline images.
func TestBackendsExtractor(t *testing.T) {
	const n = 1000
	test, err := data.Load("mnist", data.Test, data.Options{NoDownload: true})
	if err != nil {
		t.Fatal(err)
	}
	images := test.Images[:n*pixels]
	outs := map[string]*quality.Outputs{}
	backendtest.Run(t, func(t *testing.T, b compute.Backend) {
		ex, err := quality.LoadExtractor(b, "mnist")
		if err != nil {
			t.Fatal(err)
		}
		out, err := ex.Run(quality.ToUnitRange(images, data.UnitRange), n)
		if err != nil {
			t.Fatal(err)
		}
		correct := 0
		for i, p := range out.Predictions() {
			if p == int(test.Labels[i]) {
				correct++
			}
		}
		acc := float64(correct) / n
		t.Logf("accuracy on the first %d test images %.2f%% (recorded on all: %.2f%%)", n, 100*acc, 100*ex.TestAccuracy())
		if math.Abs(acc-ex.TestAccuracy()) > 0.005 {
			t.Errorf("accuracy %.4f, recorded %.4f", acc, ex.TestAccuracy())
		}
		outs[t.Name()[strings.LastIndex(t.Name(), "/")+1:]] = out
	})
	goOut, xlaOut := outs[backendtest.Go], outs[backendtest.XLACPU]
	if goOut == nil || xlaOut == nil {
		return // a backend skipped or failed: reported above
	}
	maxFeature, featDiff, probDiff := 0.0, 0.0, 0.0
	for i, v := range goOut.Features.RawMatrix().Data {
		maxFeature = math.Max(maxFeature, math.Abs(v))
		featDiff = math.Max(featDiff, math.Abs(v-xlaOut.Features.RawMatrix().Data[i]))
	}
	for i, v := range goOut.Probabilities.RawMatrix().Data {
		probDiff = math.Max(probDiff, math.Abs(v-xlaOut.Probabilities.RawMatrix().Data[i]))
	}
	t.Logf("go vs XLA: features differ by at most %.3g (largest %.3g), probabilities by %.3g", featDiff, maxFeature, probDiff)
	if featDiff > 1e-5*maxFeature || probDiff > 1e-5 {
		t.Errorf("go and XLA outputs differ: features by %.3g (largest %.3g), probabilities by %.3g", featDiff, maxFeature, probDiff)
	}
	differ := 0
	goPred, xlaPred := goOut.Predictions(), xlaOut.Predictions()
	for i := range goPred {
		if goPred[i] != xlaPred[i] {
			differ++
		}
	}
	if differ > 2 {
		t.Errorf("%d of %d predictions differ between go and XLA", differ, n)
	}
}
