package outergrad

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/gan/blocks"
)

// GeneratorGradientNorms builds, on gan's MLP GAN initialised from seed, two generator losses
// for a batch of n real images ([n·784] pixels) and n fakes, and returns the norm of each one's
// gradient with respect to all the generator's parameters:
//
//   - misWired: the non-saturating loss −log D computed on D's output for the *real* images — the
//     loss structure of code that feeds the discriminator only real images — whose gradient must
//     be exactly zero, since the generator does not reach it;
//   - correct: the same loss on D's output for the fakes G(z), as gan.GeneratorLoss is used.
//
// The fakes are computed in both cases, so that the generator's variables are in the graph.
func GeneratorGradientNorms(backend compute.Backend, real []float32, seed int64) (misWired, correct float64, err error) {
	n := len(real) / In
	arch, err := gan.NewArchitecture(gan.ModelMLP)
	if err != nil {
		return 0, 0, err
	}
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, seed)
	for _, scope := range []string{gan.GeneratorScope, gan.DiscriminatorScope} {
		blocks.SetInit(store.Scope(scope), arch.Init)
	}
	if err := store.SetRNGStateFromSeed(seed); err != nil {
		return 0, 0, err
	}
	exec, err := model.NewExec(backend, store, func(s *model.Scope, realImgs *graph.Node) []*graph.Node {
		g, st := realImgs.Graph(), s.Store()
		gen, disc := st.Scope(gan.GeneratorScope), st.Scope(gan.DiscriminatorScope)
		z := st.RandomNormal(g, shapes.Make(dtypes.Float32, n, gan.DefaultConfig().LatentDim))
		fake := arch.Generator(gen, z, gan.Frozen)
		realLogits := arch.Discriminator(disc, realImgs, gan.Frozen)
		fakeLogits := arch.Discriminator(disc, fake, gan.Frozen)
		var params []*graph.Node
		for v := range gen.IterVariables() {
			if v.Trainable && v.InUseByGraph(g) {
				params = append(params, v.NodeValue(g))
			}
		}
		norm := func(loss *graph.Node) *graph.Node {
			grads := graph.Gradient(loss, params...)
			total := graph.ReduceAllSum(graph.Square(grads[0]))
			for _, gr := range grads[1:] {
				total = graph.Add(total, graph.ReduceAllSum(graph.Square(gr)))
			}
			return graph.Sqrt(total)
		}
		misWiredLoss, _ := gan.GeneratorLoss(gan.LossNonSaturating, realLogits)
		correctLoss, _ := gan.GeneratorLoss(gan.LossNonSaturating, fakeLogits)
		return []*graph.Node{norm(misWiredLoss), norm(correctLoss)}
	})
	if err != nil {
		return 0, 0, err
	}
	out, err := exec.Call(tensors.FromFlatDataAndDimensions(real, n, gan.ImageSize, gan.ImageSize, 1))
	if err != nil {
		return 0, 0, err
	}
	return float64(tensors.ToScalar[float32](out[0])), float64(tensors.ToScalar[float32](out[1])), nil
}
