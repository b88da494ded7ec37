package gan

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph ops read as math.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/ganbook/ganbook/gan/blocks"
)

// Class-conditional models (Mirza & Osindero 2014): G draws an image of the
// class it is given, and D judges an image together with its class, so that
// a good image of the wrong class is rejected as fake.
const (
	// ModelCMLP is the MLP GAN with the class's one-hot vector concatenated
	// to G's z and to D's flattened image, and D's logit a projection (below).
	ModelCMLP = "cmlp"
	// ModelCDCGAN is the DCGAN with the one-hot class concatenated to G's z
	// and a projection discriminator (Miyato & Koyama 2018): D's logit is
	// ψ(φ(x)) + ⟨e_y, φ(x)⟩, a learnt class embedding e_y against D's features φ(x).
	ModelCDCGAN = "cdcgan"
)

// NumClasses is the number of classes of both datasets (ten digits, ten garments).
const NumClasses = 10

// conditionalArchitecture returns the conditional architecture named name.
func conditionalArchitecture(name string) (Architecture, bool) {
	switch name {
	case ModelCMLP:
		return Architecture{Name: name, CondGenerator: cmlpGenerator, CondDiscriminator: cmlpDiscriminator,
			Classes: NumClasses, Low: 0, High: 1, Init: blocks.InitHe, BatchIndependent: true}, true
	case ModelCDCGAN:
		return Architecture{Name: name, CondGenerator: cdcganGenerator, CondDiscriminator: cdcganDiscriminator,
			Classes: NumClasses, Low: -1, High: 1, Init: blocks.InitPyTorch}, true
	}
	return Architecture{}, false
}

func cmlpGenerator(scope *model.Scope, z, onehot *Node, phase Phase) *Node {
	return mlpGenerator(scope, Concatenate([]*Node{z, onehot}, 1), phase)
}

func cmlpDiscriminator(scope *model.Scope, images, onehot *Node, phase Phase) *Node {
	rate := 0.0
	if phase != Inference {
		rate = model.GetParamOr(scope, ParamDropoutD, 0.0)
	}
	x := Concatenate([]*Node{Reshape(images, -1, ImageSize*ImageSize), onehot}, 1)
	x = dropout(scope, blocks.LeakyReLU(blocks.Dense(scope.At("fc0"), x, 512), leakySlope), rate)
	for i, width := range []int{256, 128} {
		x = dropout(scope, blocks.LeakyReLU(blocks.Dense(scope.At("fc%d", i+1), x, width), leakySlope), rate)
	}
	return projectionLogit(scope, x, onehot)
}

// projectionLogit is a projection discriminator's output for features φ(x)
// [batch, k] of an image of class y: ψ(φ(x)) + ⟨e_y, φ(x)⟩, with ψ a dense
// layer and e_y the row of a learnt embedding (a dense layer on the one-hot).
// The inner product lets the class decide which features count as real.
func projectionLogit(scope *model.Scope, features, onehot *Node) *Node {
	embedding := blocks.Dense(scope.At("embed"), onehot, features.Shape().Dimensions[1])
	projection := Reshape(ReduceSum(Mul(features, embedding), 1), -1, 1)
	return Add(blocks.Dense(scope.At("out"), features, 1), projection)
}

func cdcganGenerator(scope *model.Scope, z, onehot *Node, phase Phase) *Node {
	return dcganGenerator(scope, Concatenate([]*Node{z, onehot}, 1), phase)
}

func cdcganDiscriminator(scope *model.Scope, images, onehot *Node, phase Phase) *Node {
	x := blocks.LeakyReLU(blocks.Conv2D(scope.At("conv1"), images, 64, 4, 2, 1), leakySlope) // 28 → 14
	x = blocks.Conv2D(scope.At("conv2"), x, 128, 4, 2, 1)                                    // 14 → 7
	x = blocks.LeakyReLU(discriminatorNorm(scope.At("bn2"), x, phase), leakySlope)
	return projectionLogit(scope, Reshape(x, -1, 7*7*128), onehot)
}

// oneHot writes the one-hot rows of labels into dst ([len(labels)·classes]).
func oneHot(dst []float32, labels []uint8, classes int) {
	clear(dst)
	for i, c := range labels {
		dst[i*classes+int(c)] = 1
	}
}

// cyclingOneHot is the one-hot batch of classes 0, 1, …, classes−1, 0, 1, …
// for n examples: a generator asked for n images without a class draws every
// class equally often.
func cyclingOneHot(n, classes int) *tensors.Tensor {
	labels := make([]uint8, n)
	for i := range labels {
		labels[i] = uint8(i % classes)
	}
	dst := make([]float32, n*classes)
	oneHot(dst, labels, classes)
	return tensors.FromFlatDataAndDimensions(dst, n, classes)
}

// LabeledBatchSource is a [BatchSource] that also yields the class of every
// image: conditional models train only from one.
type LabeledBatchSource interface {
	BatchSource
	// NextLabeled fills images as Next does and labels with their classes.
	NextLabeled(images []float32, labels []uint8)
}

func (s samplerSource) NextLabeled(images []float32, labels []uint8) { s.Sampler.Next(images, labels) }

// conditioning is the trainer's state for a conditional model: the real
// batch's classes and the one-hot batches fed to the graphs.
type conditioning struct {
	source     LabeledBatchSource
	realLabels []uint8
	fakeLabels []uint8
	realOneHot []float32
	fakeOneHot []float32
}

func (t *Trainer) setUpConditioning() error {
	if t.arch.Classes == 0 {
		return nil
	}
	labeled, ok := t.source.(LabeledBatchSource)
	if !ok {
		return fmt.Errorf("model %s is class-conditional: its batch source must yield labels (a gan.LabeledBatchSource)", t.arch.Name)
	}
	n, k := t.cfg.Batch, t.arch.Classes
	t.cond = &conditioning{source: labeled, realLabels: make([]uint8, n), fakeLabels: make([]uint8, n),
		realOneHot: make([]float32, n*k), fakeOneHot: make([]float32, n*k)}
	return nil
}

// nextRealBatch fills dst with the real batch (and, for a conditional model,
// sets its classes).
func (t *Trainer) nextRealBatch(dst []float32) {
	if t.cond == nil {
		t.source.Next(dst)
		return
	}
	t.cond.source.NextLabeled(dst, t.cond.realLabels)
	oneHot(t.cond.realOneHot, t.cond.realLabels, t.arch.Classes)
}

// drawFakeClasses draws the classes G is asked for, uniformly, from the
// latent noise's generator (whose state checkpoints keep).
func (t *Trainer) drawFakeClasses() *tensors.Tensor {
	for i := range t.cond.fakeLabels {
		t.cond.fakeLabels[i] = uint8(t.noise.rng.IntN(t.arch.Classes))
	}
	oneHot(t.cond.fakeOneHot, t.cond.fakeLabels, t.arch.Classes)
	return tensors.FromFlatDataAndDimensions(t.cond.fakeOneHot, t.cfg.Batch, t.arch.Classes)
}

// dStepInputs are the D step's inputs: the real batch and fresh noise, and
// for a conditional model the real batch's classes and the classes G is asked for.
func (t *Trainer) dStepInputs(real *tensors.Tensor) []any {
	z := t.drawLatent(t.latentInput)
	if t.cond == nil {
		return []any{real, z}
	}
	realClasses := tensors.FromFlatDataAndDimensions(t.cond.realOneHot, t.cfg.Batch, t.arch.Classes)
	return []any{real, z, realClasses, t.drawFakeClasses()}
}

// gStepInputs are the G step's inputs: the latent batch z, drawn by the
// caller (and the classes G is asked for, drawn after it).
func (t *Trainer) gStepInputs(z *tensors.Tensor) []any {
	if t.cond == nil {
		return []any{z}
	}
	return []any{z, t.drawFakeClasses()}
}

// generateInputs are the generate graph's inputs for the latent batch z: a
// conditional model is asked for the classes in turn (see [cyclingOneHot]).
func (t *Trainer) generateInputs(z *tensors.Tensor) []any {
	if t.arch.Classes == 0 {
		return []any{z}
	}
	return []any{z, cyclingOneHot(z.Shape().Dimensions[0], t.arch.Classes)}
}

// buildConditionalExecs builds the D step, G step and generate graphs of a
// conditional model, the counterparts of buildExecs' with the one-hot classes
// as extra inputs.
func (t *Trainer) buildConditionalExecs() error {
	arch := t.arch
	var err error
	t.dStep, err = model.NewExec(t.backend, t.store, func(s *model.Scope, real, z, realClasses, fakeClasses *Node) []*Node {
		store := s.Store()
		fake := StopGradient(arch.CondGenerator(store.Scope(GeneratorScope), z, fakeClasses, Frozen))
		disc := store.Scope(DiscriminatorScope)
		realLogits := arch.CondDiscriminator(disc, real, realClasses, Training)
		fakeLogits := arch.CondDiscriminator(disc, fake, fakeClasses, Training)
		dLoss := t.discriminatorLoss(realLogits, fakeLogits)
		grads := t.adamD.gradientsGraph(dLoss)
		return append([]*Node{dLoss, ReduceAllMean(Sigmoid(realLogits)), ReduceAllMean(Sigmoid(fakeLogits))}, grads...)
	})
	if err != nil {
		return err
	}
	t.gStep, err = model.NewExec(t.backend, t.store, func(s *model.Scope, z, classes *Node) []*Node {
		store := s.Store()
		fake := arch.CondGenerator(store.Scope(GeneratorScope), z, classes, Training)
		fakeLogits := arch.CondDiscriminator(store.Scope(DiscriminatorScope), fake, classes, Frozen)
		gLoss := t.generatorLoss(fakeLogits)
		return append([]*Node{gLoss}, t.generatorUpdateGraph(gLoss)...)
	})
	if err != nil {
		return err
	}
	return t.buildGenerateExecs()
}

// GenerateClasses draws one image per latent vector of z ([n·latent]) of the
// class labels[i] (a conditional model only).
func (t *Trainer) GenerateClasses(z []float32, labels []uint8) ([]float32, error) {
	if t.arch.Classes == 0 {
		return nil, fmt.Errorf("model %s is not class-conditional", t.arch.Name)
	}
	exec, err := t.generator()
	if err != nil {
		return nil, err
	}
	return generateClasses(exec, t.cfg.LatentDim, t.arch.Classes, z, labels)
}

func generateClasses(exec *model.Exec, latent, classes int, z []float32, labels []uint8) ([]float32, error) {
	n := len(z) / latent
	if len(labels) != n {
		return nil, fmt.Errorf("generate: %d classes for %d latent vectors", len(labels), n)
	}
	onehot := make([]float32, n*classes)
	for _, c := range labels {
		if int(c) >= classes {
			return nil, fmt.Errorf("generate: class %d is not in 0..%d", c, classes-1)
		}
	}
	oneHot(onehot, labels, classes)
	out, err := exec.Call(tensors.FromFlatDataAndDimensions(z, n, latent), tensors.FromFlatDataAndDimensions(onehot, n, classes))
	if err != nil {
		return nil, err
	}
	return tensors.CopyFlatData[float32](out[0])
}
