package quality

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// weightsFormat names the layout of a weights file; a reader refuses others.
const weightsFormat = "ganbook-classifier-weights/1"

// weightsFile is what a weights file holds, gob-encoded. Variables are sorted
// by path, so the same weights always encode to the same bytes (a gob map
// would not) and the sha256 of the file identifies the weights.
type weightsFile struct {
	Format       string
	Dataset      string // "mnist" or "fashion"
	Architecture string // [Architecture]
	// TestAccuracy is the accuracy on the dataset's test split measured when
	// the file was written.
	TestAccuracy float64
	Training     TrainOptions // how the weights were trained (Progress is not stored)
	Variables    []weightsVariable
}

type weightsVariable struct {
	Path       string // full path in the model store, under modelScope
	Dimensions []int
	// Data holds the float32 values, little-endian: 4 bytes each, where gob
	// would spend up to 9 on a float.
	Data []byte
}

func (v weightsVariable) values() []float32 {
	out := make([]float32, len(v.Data)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(v.Data[4*i:]))
	}
	return out
}

func float32Bytes(values []float32) []byte {
	b := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

// encodeWeights collects the classifier's variables (those under modelScope)
// from store.
func encodeWeights(store *model.Store, meta weightsFile) ([]byte, error) {
	meta.Format = weightsFormat
	meta.Training.Progress = nil
	meta.Variables = nil
	for v := range store.IterVariables() {
		if !strings.HasPrefix(v.Path(), modelScope+"/") {
			continue
		}
		t, err := v.Value()
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", v.Path(), err)
		}
		if t.DType() != dtypes.Float32 {
			return nil, fmt.Errorf("variable %s is %s, want float32", v.Path(), t.DType())
		}
		values, err := tensors.CopyFlatData[float32](t)
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", v.Path(), err)
		}
		meta.Variables = append(meta.Variables, weightsVariable{
			Path: v.Path(), Dimensions: slices.Clone(t.Shape().Dimensions), Data: float32Bytes(values),
		})
	}
	if len(meta.Variables) == 0 {
		return nil, fmt.Errorf("no variables under %s to save", modelScope)
	}
	slices.SortFunc(meta.Variables, func(a, b weightsVariable) int { return strings.Compare(a.Path, b.Path) })
	return encodeWeightsFile(&meta)
}

func encodeWeightsFile(w *weightsFile) ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(w); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeWeights parses a weights file and checks that it is for this
// architecture.
func decodeWeights(b []byte) (*weightsFile, error) {
	var w weightsFile
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&w); err != nil {
		return nil, fmt.Errorf("not a classifier weights file: %w", err)
	}
	if w.Format != weightsFormat {
		return nil, fmt.Errorf("weights file format %q, want %q", w.Format, weightsFormat)
	}
	if w.Architecture != Architecture {
		return nil, fmt.Errorf("weights are for architecture %q, this is %q", w.Architecture, Architecture)
	}
	for _, v := range w.Variables {
		size := 1
		for _, d := range v.Dimensions {
			size *= d
		}
		if 4*size != len(v.Data) {
			return nil, fmt.Errorf("weights file: variable %s has %d bytes for dimensions %v (float32)", v.Path, len(v.Data), v.Dimensions)
		}
	}
	return &w, nil
}

// newStoreFromWeights returns a store holding the file's variables.
func newStoreFromWeights(w *weightsFile) (*model.Store, error) {
	store := model.NewStore()
	for _, v := range w.Variables {
		t := tensors.FromFlatDataAndDimensions(v.values(), v.Dimensions...)
		if _, err := store.CreateVariable(v.Path, t); err != nil {
			return nil, err
		}
	}
	return store, nil
}

// sha256Hex is the hex SHA-256 of b.
func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// extractorID names weights: dataset, architecture and the first 12 hex
// digits of the weights file's SHA-256, e.g. "mnist-cnn-v1-0123456789ab".
func extractorID(dataset string, sha string) string {
	return fmt.Sprintf("%s-%s-%s", dataset, Architecture, sha[:12])
}
