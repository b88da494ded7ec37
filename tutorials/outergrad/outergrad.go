package outergrad

import (
	"errors"
	"fmt"
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/gan/blocks"
)

// Layer sizes of the MLP discriminator's first layer (fc0): 784 pixels in, 512 units out.
const (
	In  = gan.ImageSize * gan.ImageSize
	Out = 512
)

// FirstLayer is what one forward and backward pass reports about the discriminator's first
// layer y = xW + b, for a batch of Batch examples (row-major flat slices).
type FirstLayer struct {
	Batch int
	X     []float32 // [Batch·In]: the layer's input, the flattened images
	Delta []float32 // [Batch·Out]: δ = ∂L/∂y, the gradient at the layer's output (before LeakyReLU)
	GradW []float32 // [In·Out]: ∂L/∂W by GoMLX's reverse-mode autodiff
	GradB []float32 // [Out]: ∂L/∂b by autodiff
	Loss  float64
}

// Discriminator runs, on a batch of n real images ([n·784] pixels in [0, 1]), the
// discriminator step of gan's training at initialisation: the MLP generator and discriminator
// of gan.NewArchitecture("mlp") are initialised from seed, n fakes are drawn from the generator
// (detached, as in gan.Trainer), and the loss is gan.DiscriminatorLoss with real label 1. Real
// and fake go through the discriminator as one batch of 2n images, real first, so that its
// first layer is applied once and its gradient sums over all 2n examples.
func Discriminator(backend compute.Backend, real []float32, seed int64) (*FirstLayer, error) {
	if len(real) == 0 || len(real)%In != 0 {
		return nil, fmt.Errorf("outergrad: real must hold n·%d pixels, got %d", In, len(real))
	}
	n := len(real) / In
	_, exec, err := newStep(backend, n, seed)
	if err != nil {
		return nil, err
	}
	out, err := exec.Call(tensors.FromFlatDataAndDimensions(real, n, gan.ImageSize, gan.ImageSize, 1))
	if err != nil {
		return nil, err
	}
	fl := &FirstLayer{Batch: 2 * n}
	for i, dst := range []*[]float32{&fl.X, &fl.Delta, &fl.GradW, &fl.GradB} {
		if *dst, err = tensors.CopyFlatData[float32](out[i]); err != nil {
			return nil, err
		}
	}
	fl.Loss = float64(tensors.ToScalar[float32](out[4]))
	return fl, nil
}

// newStep builds the store and the Exec of Discriminator for n real images; the Exec returns
// x, δ, ∂L/∂W, ∂L/∂b and L.
func newStep(backend compute.Backend, n int, seed int64) (*model.Store, *model.Exec, error) {
	arch, err := gan.NewArchitecture(gan.ModelMLP)
	if err != nil {
		return nil, nil, err
	}
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, seed)
	for _, scope := range []string{gan.GeneratorScope, gan.DiscriminatorScope} {
		blocks.SetInit(store.Scope(scope), arch.Init) // as gan.NewTrainer does
	}
	if err := store.SetRNGStateFromSeed(seed); err != nil {
		return nil, nil, err
	}
	exec, err := model.NewExec(backend, store, func(s *model.Scope, real *graph.Node) []*graph.Node {
		g, st := real.Graph(), s.Store()
		z := st.RandomNormal(g, shapes.Make(dtypes.Float32, n, gan.DefaultConfig().LatentDim))
		fake := graph.StopGradient(arch.Generator(st.Scope(gan.GeneratorScope), z, gan.Frozen))
		imgs := graph.Concatenate([]*graph.Node{real, fake}, 0)
		disc := st.Scope(gan.DiscriminatorScope)
		// The same discriminator as arch.Discriminator, split after its first layer y = xW + b,
		// so that the loss can be differentiated with respect to y: that gradient is δ.
		y := gan.MLPDiscriminatorFirstLayer(disc, imgs)
		logits := gan.MLPDiscriminatorHead(disc, y)
		loss := gan.DiscriminatorLoss(graph.Slice(logits, graph.AxisRange(0, n)), graph.Slice(logits, graph.AxisRange(n, 2*n)), 1)
		w, b := disc.At("fc0").GetVariable("weights"), disc.At("fc0").GetVariable("biases")
		if w == nil || b == nil {
			panic(errors.New("outergrad: the discriminator has no fc0/weights or fc0/biases"))
		}
		grads := graph.Gradient(loss, y, w.NodeValue(g), b.NodeValue(g))
		return []*graph.Node{graph.Reshape(imgs, -1, In), grads[0], grads[1], grads[2], loss}
	})
	return store, exec, err
}

// OuterProductSum forms ∂L/∂W = Σₙ xₙ ⊗ δₙ by hand: for every example n, the outer product of
// its input row xₙ (length in) with its output gradient δₙ (length out), added into an
// [in·out] matrix. It accumulates in float64.
func OuterProductSum(x, delta []float32, batch, in, out int) []float64 {
	grad := make([]float64, in*out)
	for n := range batch {
		xn, dn := x[n*in:(n+1)*in], delta[n*out:(n+1)*out]
		for i, xi := range xn {
			if xi == 0 { // blank pixels contribute nothing: most of an MNIST image
				continue
			}
			row := grad[i*out : (i+1)*out]
			for j, dj := range dn {
				row[j] += float64(xi) * float64(dj)
			}
		}
	}
	return grad
}

// OuterProduct returns the single outer product x ⊗ δ, [len(x)·len(δ)].
func OuterProduct(x, delta []float32) []float64 {
	return OuterProductSum(x, delta, 1, len(x), len(delta))
}

// SumRows returns Σₙ δₙ: for y = xW + b, ∂L/∂b is the sum of the rows of δ.
func SumRows(delta []float32, batch, out int) []float64 {
	s := make([]float64, out)
	for n := range batch {
		for j := range out {
			s[j] += float64(delta[n*out+j])
		}
	}
	return s
}

// MaxAbsDiff returns max |a_i − b_i| and max |b_i|; NaN when the lengths differ or a value is NaN.
func MaxAbsDiff(a []float64, b []float32) (diff, scale float64) {
	if len(a) != len(b) {
		return math.NaN(), math.NaN()
	}
	for i := range a {
		d := math.Abs(a[i] - float64(b[i]))
		if math.IsNaN(d) {
			return math.NaN(), math.NaN()
		}
		diff = max(diff, d)
		scale = max(scale, math.Abs(float64(b[i])))
	}
	return diff, scale
}
