package quality

import (
	"fmt"
	"os"
	"sync"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph ops read as math.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"gonum.org/v1/gonum/mat"

	"github.com/ganbook/ganbook/gan/data"
)

// chunk is how many images one call of the inference graph takes; the last
// chunk of a set is padded, so the graph is compiled once.
const chunk = 500

// Extractor is a trained classifier used as a feature extractor: its
// penultimate layer gives the features of the Fréchet distance, its softmax
// the predicted classes. It is safe for concurrent use.
type Extractor struct {
	id           string
	sha256       string
	dataset      string
	testAccuracy float64
	training     TrainOptions
	file         []byte

	mu    sync.Mutex // serialises the graph calls and guards refs
	exec  *model.Exec
	store *model.Store
	refs  map[*data.Dataset]*referenceStats
}

// LoadExtractor returns the classifier committed for dataset ("mnist" or
// "fashion"), after checking its weights against their sha256 constant.
func LoadExtractor(backend compute.Backend, dataset string) (*Extractor, error) {
	w, ok := committed[dataset]
	if !ok {
		return nil, fmt.Errorf("quality: no classifier for dataset %q (have mnist, fashion)", dataset)
	}
	b, err := weightsFS.ReadFile(w.file)
	if err != nil {
		return nil, fmt.Errorf("quality: reading the committed %s weights: %w", dataset, err)
	}
	if got := sha256Hex(b); got != w.sha256 {
		return nil, fmt.Errorf("quality: committed weights %s have sha256 %s, want %s (a corrupt checkout, or weights changed without updating the constant)",
			w.file, got, w.sha256)
	}
	ex, err := newExtractor(backend, b)
	if err != nil {
		return nil, fmt.Errorf("quality: %s: %w", w.file, err)
	}
	if ex.dataset != dataset {
		return nil, fmt.Errorf("quality: %s holds a %s classifier, want %s", w.file, ex.dataset, dataset)
	}
	return ex, nil
}

// LoadExtractorFile returns the classifier in a weights file written from
// [Extractor.WeightsFile] (e.g. by `ganbook classifier train`).
func LoadExtractorFile(backend compute.Backend, path string) (*Extractor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("quality: %w", err)
	}
	ex, err := newExtractor(backend, b)
	if err != nil {
		return nil, fmt.Errorf("quality: %s: %w", path, err)
	}
	return ex, nil
}

func newExtractor(backend compute.Backend, file []byte) (*Extractor, error) {
	w, err := decodeWeights(file)
	if err != nil {
		return nil, err
	}
	store, err := newStoreFromWeights(w)
	if err != nil {
		return nil, err
	}
	sha := sha256Hex(file)
	ex := &Extractor{
		id: extractorID(w.Dataset, sha), sha256: sha, dataset: w.Dataset,
		testAccuracy: w.TestAccuracy, training: w.Training, file: file,
		store: store, refs: map[*data.Dataset]*referenceStats{},
	}
	ex.exec, err = model.NewExec(backend, store, func(s *model.Scope, images *Node) (features, probabilities *Node) {
		features, logits := classifier(s.Store().Scope(modelScope), images, false)
		return features, Softmax(logits)
	})
	if err != nil {
		return nil, err
	}
	// A variable missing from the file would be created and randomly
	// initialised by the first call: run one, and refuse if any appeared.
	if _, err := ex.exec.Call(tensors.FromShape(inputShape(chunk))); err != nil {
		return nil, err
	}
	if got, want := store.NumVariables(), len(w.Variables); got != want {
		return nil, fmt.Errorf("weights file has %d variables, the %s network uses %d", want, Architecture, got)
	}
	return ex, nil
}

// ID names the extractor and its weights, e.g. "mnist-cnn-v1-0123456789ab"
// (dataset, architecture, first 12 hex digits of the weights' sha256): metrics
// are comparable only between reports with the same id.
func (ex *Extractor) ID() string { return ex.id }

// Dataset is the dataset the classifier was trained on.
func (ex *Extractor) Dataset() string { return ex.dataset }

// SHA256 is the hex SHA-256 of the weights file.
func (ex *Extractor) SHA256() string { return ex.sha256 }

// TestAccuracy is the accuracy on the test split recorded in the weights file
// when they were trained ([Extractor.Accuracy] measures it again).
func (ex *Extractor) TestAccuracy() float64 { return ex.testAccuracy }

// TrainOptions are the settings the weights were trained with.
func (ex *Extractor) TrainOptions() TrainOptions { return ex.training }

// WeightsFile returns the weights in the format [LoadExtractorFile] reads.
func (ex *Extractor) WeightsFile() []byte { return append([]byte(nil), ex.file...) }

// Outputs is what the classifier makes of n images.
type Outputs struct {
	// Features is n×FeatureDim: the penultimate layer's activations.
	Features *mat.Dense
	// Probabilities is n×NumClasses: the softmax over the classes.
	Probabilities *mat.Dense
}

// Predictions returns the most probable class of each image.
func (o *Outputs) Predictions() []int {
	n, _ := o.Probabilities.Dims()
	pred := make([]int, n)
	for i := range pred {
		row := o.Probabilities.RawRowView(i)
		for c, p := range row {
			if p > row[pred[i]] {
				pred[i] = c
			}
		}
	}
	return pred
}

// Run feeds n 28×28 images (images holds n·784 pixels in [0, 1], 0 black) to
// the classifier in inference mode. Pixels outside [0, 1] (beyond a rounding
// margin) are refused: they mean the images were not rescaled (see
// [ToUnitRange]).
func (ex *Extractor) Run(images []float32, n int) (*Outputs, error) {
	const pixels = ImageSize * ImageSize
	if n <= 0 || len(images) != n*pixels {
		return nil, fmt.Errorf("quality: %d pixels for %d images of %d×%d", len(images), n, ImageSize, ImageSize)
	}
	if err := checkUnitRange(images); err != nil {
		return nil, err
	}
	out := &Outputs{Features: mat.NewDense(n, FeatureDim, nil), Probabilities: mat.NewDense(n, NumClasses, nil)}
	buf := make([]float32, chunk*pixels)
	ex.mu.Lock()
	defer ex.mu.Unlock()
	for start := 0; start < n; start += chunk {
		m := min(chunk, n-start)
		clear(buf[copy(buf, images[start*pixels:(start+m)*pixels]):])
		res, err := ex.exec.Call(tensors.FromFlatDataAndDimensions(buf, chunk, ImageSize, ImageSize, 1))
		if err != nil {
			return nil, fmt.Errorf("quality: classifier: %w", err)
		}
		for k, dst := range []*mat.Dense{out.Features, out.Probabilities} {
			values, err := tensors.CopyFlatData[float32](res[k])
			if err != nil {
				return nil, err
			}
			_, cols := dst.Dims()
			raw := dst.RawMatrix().Data[start*cols : (start+m)*cols]
			for i := range raw {
				raw[i] = float64(values[i])
			}
		}
	}
	return out, nil
}

// Accuracy is the fraction of ds's images the classifier labels correctly.
// The classifier's outputs on ds are kept for later [Evaluate] calls against
// ds (the same *data.Dataset), and taken from there if such a call came first.
func (ex *Extractor) Accuracy(ds *data.Dataset) (float64, error) {
	if ds == nil || ds.N < 2 {
		return 0, fmt.Errorf("quality: need a dataset of at least 2 images")
	}
	ref, err := ex.reference(ds)
	if err != nil {
		return 0, err
	}
	correct := 0
	for i, p := range ref.outputs.Predictions() {
		if p == int(ds.Labels[i]) {
			correct++
		}
	}
	return float64(correct) / float64(ds.N), nil
}
