package quality

import (
	"io"
	"testing"

	"github.com/ganbook/ganbook/gan"
)

// TestWeightsMustCoverTheNetwork: a file that lacks a variable must be
// refused, not silently completed with random weights.
func TestWeightsMustCoverTheNetwork(t *testing.T) {
	backend, err := gan.NewBackend(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	b, err := weightsFS.ReadFile(committed["mnist"].file)
	if err != nil {
		t.Fatal(err)
	}
	w, err := decodeWeights(b)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(w *weightsFile)
	}{
		{"a variable missing", func(w *weightsFile) { w.Variables = w.Variables[1:] }},
		{"another architecture", func(w *weightsFile) { w.Architecture = "cnn-v0" }},
		{"another format", func(w *weightsFile) { w.Format = "ganbook-classifier-weights/0" }},
		{"values and dimensions disagree", func(w *weightsFile) { w.Variables[0].Data = w.Variables[0].Data[4:] }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := *w
			c.Variables = append([]weightsVariable(nil), w.Variables...)
			c.Variables[0].Data = append([]byte(nil), w.Variables[0].Data...)
			tc.change(&c)
			b, err := encodeWeightsFile(&c)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := newExtractor(backend, b); err == nil {
				t.Error("newExtractor accepted the file")
			}
		})
	}
}

// TestCommittedWeights checks every committed weights file against its sha256
// constant and the size limit, and that no file in weights/ goes unlisted.
func TestCommittedWeights(t *testing.T) {
	entries, err := weightsFS.ReadDir("weights")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for dataset, w := range committed {
		listed[w.file] = true
		b, err := weightsFS.ReadFile(w.file)
		if err != nil {
			t.Fatalf("%s: %v", dataset, err)
		}
		if got := sha256Hex(b); got != w.sha256 {
			t.Errorf("%s: sha256 %s, constant %s", w.file, got, w.sha256)
		}
		if len(b) > 5<<20 {
			t.Errorf("%s: %d bytes, over the 5 MB limit for committed weights", w.file, len(b))
		}
		meta, err := decodeWeights(b)
		if err != nil {
			t.Fatalf("%s: %v", w.file, err)
		}
		if meta.Dataset != dataset {
			t.Errorf("%s holds a %s classifier, listed for %s", w.file, meta.Dataset, dataset)
		}
		if d, m := DefaultTrainOptions(), meta.Training; m.Epochs != d.Epochs || m.Batch != d.Batch || m.LearningRate != d.LearningRate || m.Seed != d.Seed {
			t.Errorf("%s was trained with %+v, not DefaultTrainOptions %+v", w.file, meta.Training, DefaultTrainOptions())
		}
	}
	for _, e := range entries {
		if !listed["weights/"+e.Name()] {
			t.Errorf("weights/%s is embedded but not listed in committed", e.Name())
		}
	}
	for _, dataset := range []string{"mnist", "fashion"} {
		if _, ok := committed[dataset]; !ok {
			t.Errorf("no committed classifier for %s", dataset)
		}
	}
}
