package pretrained

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes/float16"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/ganbook/ganbook/gan"
)

// magic opens every generator file: the format's name and version.
const magic = "ganbook-generator-f16 v1\n"

// header is the JSON line after the magic; the float16 values of the
// variables follow in its order, little-endian.
type header struct {
	Config    json.RawMessage `json:"config"`
	Step      int             `json:"step"`
	Variables []variable      `json:"variables"`
}

type variable struct {
	Path string `json:"path"` // the variable's scope and name, e.g. /gen/fc0/weights
	Dims []int  `json:"dims"`
}

//go:embed cmlp-mnist.f16
var cmlpMNIST []byte

// ConditionalMNIST is a class-conditional MLP GAN (gan.ModelCMLP) trained on
// MNIST for 20,000 steps: its record, with the per-class accuracy and FID, is
// tutorials/measured/conditional-run.txt.
func ConditionalMNIST(backend compute.Backend) (*gan.Generator, error) {
	return Decode(backend, cmlpMNIST)
}

//go:embed dcgan-mnist.f16
var dcganMNIST []byte

// DCGANMNIST is the DCGAN (gan.ModelDCGAN) trained with its default recipe
// (gan.DCGANConfig) and seed 1: `ganbook train --model dcgan`. Its record is
// tutorials/measured/dcgan-default/seed1.txt, ending with `ganbook eval` of
// this step (10 of 10 classes).
func DCGANMNIST(backend compute.Backend) (*gan.Generator, error) {
	return Decode(backend, dcganMNIST)
}

//go:embed dcgan-mnist-progress.gif
var dcganMNISTProgress []byte

// DCGANMNISTProgressCells is the side, in images, of the frames of
// [DCGANMNISTProgress]: the top-left corner of the run's 8 × 8 sample grid.
const DCGANMNISTProgressCells = 4

// DCGANMNISTProgress is the training of [DCGANMNIST] as an animated GIF: its
// sample grid every SampleEvery steps up to the generator's step, each frame
// the top-left DCGANMNISTProgressCells × DCGANMNISTProgressCells images of
// the grid, drawn as [gan.GridPNG] draws them (pixels doubled, 2-pixel
// borders).
func DCGANMNISTProgress() []byte { return slices.Clone(dcganMNISTProgress) }

// Encode writes the variables g draws with (its moving average of G's
// weights where it has one) in float16, with its configuration and step.
func Encode(w io.Writer, g *gan.Generator) error {
	cfg, err := json.Marshal(g.Config())
	if err != nil {
		return err
	}
	h := header{Config: cfg, Step: g.Step()}
	var values []float32
	var vars []*model.Variable
	for v := range g.Store().IterVariables() {
		if scope := g.Scope(); v.Scope() == scope || strings.HasPrefix(v.Scope(), scope+"/") {
			vars = append(vars, v)
		}
	}
	slices.SortFunc(vars, func(a, b *model.Variable) int { return strings.Compare(a.Path(), b.Path()) })
	for _, v := range vars {
		t, err := v.Value()
		if err != nil {
			return err
		}
		flat, err := tensors.CopyFlatData[float32](t)
		if err != nil {
			return fmt.Errorf("variable %s: %w", v.Path(), err)
		}
		h.Variables = append(h.Variables, variable{Path: v.Path(), Dims: t.Shape().Dimensions})
		values = append(values, flat...)
	}
	line, err := json.Marshal(h)
	if err != nil {
		return err
	}
	half := make([]float16.Float16, len(values))
	for i, v := range values {
		half[i].SetFloat32(v)
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(magic)
	bw.Write(line)
	bw.WriteByte('\n')
	if err := binary.Write(bw, binary.LittleEndian, half); err != nil {
		return err
	}
	return bw.Flush()
}

// Decode reads a generator Encode wrote.
func Decode(backend compute.Backend, file []byte) (*gan.Generator, error) {
	rest, ok := bytes.CutPrefix(file, []byte(magic))
	if !ok {
		return nil, fmt.Errorf("pretrained: not a ganbook generator file (want %q first)", strings.TrimSpace(magic))
	}
	line, data, ok := bytes.Cut(rest, []byte("\n"))
	if !ok {
		return nil, fmt.Errorf("pretrained: truncated header")
	}
	var h header
	if err := json.Unmarshal(line, &h); err != nil {
		return nil, fmt.Errorf("pretrained: header: %w", err)
	}
	cfg, err := gan.ConfigFromJSON(h.Config)
	if err != nil {
		return nil, fmt.Errorf("pretrained: config: %w", err)
	}
	store := model.NewStore()
	for _, v := range h.Variables {
		n := 1
		for _, d := range v.Dims {
			n *= d
		}
		if len(data) < 2*n {
			return nil, fmt.Errorf("pretrained: variable %s: %d bytes left, need %d", v.Path, len(data), 2*n)
		}
		values := make([]float32, n)
		for i := range values {
			values[i] = float16.Float16(binary.LittleEndian.Uint16(data[2*i:])).Float32()
		}
		data = data[2*n:]
		if _, err := store.CreateVariable(v.Path, tensors.FromFlatDataAndDimensions(values, v.Dims...)); err != nil {
			return nil, fmt.Errorf("pretrained: variable %s: %w", v.Path, err)
		}
	}
	if len(data) != 0 {
		return nil, fmt.Errorf("pretrained: %d bytes after the last variable", len(data))
	}
	return gan.NewGenerator(backend, cfg, store, h.Step)
}
