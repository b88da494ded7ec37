package gan

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph ops read as math.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"

	"github.com/ganbook/ganbook/gan/blocks"
	"github.com/ganbook/ganbook/internal/fsutil"
)

// TrainerVersion names the trainer's numerics: it changes whenever the same
// Config would train differently (another update rule, other random draws),
// so that results recorded by older code are not taken for current ones
// (the notebooks' run cache keys on it). Version 2: Adam on the host, latent
// noise drawn on the host, the MLP's G step in two halves. Version 3: the go
// backend's float32 matmuls and sigmoids by internal/gemm and internal/vecmath
// (other rounding). Version 4: the DCGAN's discriminator applies
// Config.DropoutD, which it ignored before.
const TrainerVersion = "4"

// Scopes of the two networks' variables: each optimiser updates only its own.
const (
	GeneratorScope     = "/gen"
	DiscriminatorScope = "/disc"
)

// Checkpoint parameters that hold the trainer's own position.
const (
	paramStep        = "ganbook_step"
	paramSourceEpoch = "ganbook_source_epoch"
	paramSourceIndex = "ganbook_source_index"
	paramNoiseState  = "ganbook_noise_state"
	// paramEMAStep is the step up to which the checkpoint's moving average
	// of the generator ([Config.EMA]) is taken.
	paramEMAStep = "ganbook_ema_step"
)

// BatchSource yields batches of real images for the discriminator. It must be
// deterministic for its seed and restorable, so that a resumed run sees the same
// batches as an uninterrupted one.
type BatchSource interface {
	// Next fills dst, [batch·28·28] float32 in the architecture's pixel range.
	Next(dst []float32)
	// Position is where the next batch starts: the epoch and the index in it.
	Position() (epoch, index int)
	// Seek restores a position returned by Position.
	Seek(epoch, index int) error
}

// StepMetrics are the numbers one D+G iteration reports.
type StepMetrics struct {
	Step         int     `json:"step"` // 1-based: the number of iterations done
	DLoss        float64 `json:"d_loss"`
	GLoss        float64 `json:"g_loss"`
	DReal        float64 `json:"d_real"` // mean D(x) over the real batch
	DFake        float64 `json:"d_fake"` // mean D(G(z)) over the D step's fake batch
	ImagesPerSec float64 `json:"images_per_sec"`
}

// Options are the trainer's settings that are not hyperparameters.
type Options struct {
	// OutDir receives checkpoints (OutDir/checkpoints) and sample grids (OutDir/samples).
	// Empty disables both (notebooks may keep everything in memory).
	OutDir string
	// Resume continues from OutDir's latest checkpoint; it is an error if there is none.
	Resume bool
	// KeepCheckpoints is how many checkpoints to keep (default 3).
	KeepCheckpoints int

	// adamInGraph builds the in-graph Adam update on any backend: a test
	// seam, set only by tests, which compare it with the host update.
	adamInGraph bool
}

// Errors of NewTrainer about its output directory, for errors.Is.
var (
	// ErrCheckpointsExist: a fresh run's output directory already holds checkpoints.
	ErrCheckpointsExist = errors.New("already holds checkpoints")
	// ErrNoCheckpoint: a resumed run's output directory holds no checkpoint.
	ErrNoCheckpoint = errors.New("no checkpoint found")
)

// Trainer alternates one discriminator step and one generator step.
type Trainer struct {
	cfg     Config
	arch    Architecture
	backend compute.Backend
	store   *model.Store
	source  BatchSource
	opts    Options

	discriminatorLoss func(realLogits, fakeLogits *Node) *Node
	generatorLoss     func(fakeLogits *Node) *Node
	dStep, gStep      *model.Exec
	generate          *model.Exec // the generator's raw weights
	generateAveraged  *model.Exec // their moving average (Config.EMA), once a step has been taken
	adamD, adamG      *adam
	emaG              *movingAverage // nil without Config.EMA
	samplerGen        *Generator     // with Config.PreciseBN: the sampling generator, its statistics measured
	noise             *latentNoise
	// realInput and latentInput hold the steps' inputs, written in place each
	// step: with the go backend's shared buffers the graphs read them where
	// they are, so a step neither allocates nor copies its inputs.
	realInput, latentInput *tensors.Tensor
	// generatorLatent is the G step's latent batch, drawn while the D step's
	// graph runs (see discriminatorStep).
	generatorLatent *tensors.Tensor
	fixedNoise      *tensors.Tensor
	ckpt            *checkpoint.Handler
	step            int
	totalSteps      int
	cond            *conditioning // nil for an unconditional model
}

// NewTrainer builds the models and the two training graphs. totalSteps is the run
// length (see [Config.TotalSteps]).
func NewTrainer(backend compute.Backend, cfg Config, source BatchSource, totalSteps int, opts Options) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	arch, err := NewArchitecture(cfg.Model)
	if err != nil {
		return nil, err
	}
	discriminatorLoss, generatorLoss, err := LossFuncs(cfg.Loss, cfg.RealLabel)
	if err != nil {
		return nil, err
	}
	if opts.KeepCheckpoints <= 0 {
		opts.KeepCheckpoints = 3
	}
	t := &Trainer{
		cfg: cfg, arch: arch, discriminatorLoss: discriminatorLoss, generatorLoss: generatorLoss, backend: backend, source: source, opts: opts, totalSteps: totalSteps,
		store: model.NewStore(),
		noise: newLatentNoise(cfg.Seed),
	}
	if t.realInput, err = tensors.FromShapeForBackend(backend, 0, shapes.Make(dtypes.Float32, cfg.Batch, ImageSize, ImageSize, 1)); err != nil {
		return nil, err
	}
	if t.latentInput, err = tensors.FromShapeForBackend(backend, 0, shapes.Make(dtypes.Float32, cfg.Batch, cfg.LatentDim)); err != nil {
		return nil, err
	}
	if t.generatorLatent, err = tensors.FromShapeForBackend(backend, 0, shapes.Make(dtypes.Float32, cfg.Batch, cfg.LatentDim)); err != nil {
		return nil, err
	}
	t.store.SetParam(model.ParamInitialSeed, cfg.Seed)
	t.store.SetParam(ParamDropoutD, cfg.DropoutD)
	t.store.SetParam(ParamNormD, cfg.NormD)
	if err := t.store.SetRNGStateFromSeed(cfg.Seed); err != nil {
		return nil, err
	}
	for _, scope := range []string{GeneratorScope, DiscriminatorScope} {
		blocks.SetInit(t.store.Scope(scope), arch.Init)
	}
	t.fixedNoise = fixedNoise(cfg.Seed, cfg.SampleGrid*cfg.SampleGrid, cfg.LatentDim)
	if err := t.setUpConditioning(); err != nil {
		return nil, err
	}
	if err := t.buildExecs(); err != nil {
		return nil, err
	}
	if opts.OutDir != "" {
		if err := t.openCheckpoints(); err != nil {
			return nil, err
		}
	} else if opts.Resume {
		return nil, errors.New("Options.Resume needs Options.OutDir, the directory that holds the checkpoints")
	}
	return t, nil
}

// fixedNoise is the sample grid's latent batch (see [SampleGridLatents]).
func fixedNoise(seed int64, n, latent int) *tensors.Tensor {
	return tensors.FromFlatDataAndDimensions(SampleGridLatents(seed, n, latent), n, latent)
}

// SampleGridLatents returns the n latent vectors of size latent that a run
// with this seed draws its sample grids from (the first n of its grid): the
// same for every grid of the run, from a stream of their own, so that they do
// not depend on training. A generator loaded later draws the run's last grid
// again from them.
func SampleGridLatents(seed int64, n, latent int) []float32 {
	// A different PCG sequence from latentNoise's.
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9a0b00c))
	z := make([]float32, n*latent)
	for i := range z {
		z[i] = float32(rng.NormFloat64())
	}
	return z
}

// inHalves is f(x) for an architecture that treats every example on its own,
// computed as f on each half of the batch, concatenated: the same values, but
// two independent chains of ops. The go backend runs element-wise ops on one
// core each; the G step is otherwise one chain from z to the loss and back,
// and the two halves keep both cores busy (bench_test.go: the MLP GAN's
// iteration takes about 10 % less). With batch norm the halves would change
// the batch statistics, so other architectures get f(x).
func inHalves(arch Architecture, x *Node, f func(*Node) *Node) *Node {
	n := x.Shape().Dimensions[0]
	if !arch.BatchIndependent || n < 2 {
		return f(x)
	}
	h := n / 2
	return Concatenate([]*Node{f(Slice(x, AxisRange(0, h))), f(Slice(x, AxisRange(h, n)))}, 0)
}

// dStepOutputs is how many of the D step's outputs come before its gradients.
const dStepOutputs = 3

func (t *Trainer) buildExecs() error {
	cfg, arch := t.cfg, t.arch
	t.adamD = newAdam(t.store.Scope(DiscriminatorScope), cfg.LRD, cfg, t.backend, t.opts.adamInGraph)
	t.adamG = newAdam(t.store.Scope(GeneratorScope), cfg.LRG, cfg, t.backend, t.opts.adamInGraph)
	if cfg.EMA > 0 {
		t.emaG = &movingAverage{decay: cfg.EMA, onHost: t.adamG.onHost}
	}
	if arch.Classes > 0 {
		return t.buildConditionalExecs()
	}
	var err error
	// D step: real batch against a detached fake batch from fresh noise.
	t.dStep, err = model.NewExec(t.backend, t.store, func(s *model.Scope, real, z *Node) []*Node {
		store := s.Store()
		fake := StopGradient(arch.Generator(store.Scope(GeneratorScope), z, Frozen))
		disc := store.Scope(DiscriminatorScope)
		realLogits := arch.Discriminator(disc, real, Training)
		fakeLogits := arch.Discriminator(disc, fake, Training)
		dLoss := t.discriminatorLoss(realLogits, fakeLogits)
		grads := t.adamD.gradientsGraph(dLoss)
		return append([]*Node{dLoss, ReduceAllMean(Sigmoid(realLogits)), ReduceAllMean(Sigmoid(fakeLogits))}, grads...)
	})
	if err != nil {
		return err
	}
	// G step: fresh noise through G and D; only G's variables move.
	t.gStep, err = model.NewExec(t.backend, t.store, func(s *model.Scope, z *Node) []*Node {
		store := s.Store()
		gen := store.Scope(GeneratorScope)
		disc := store.Scope(DiscriminatorScope)
		fakeLogits := inHalves(arch, z, func(z *Node) *Node {
			return arch.Discriminator(disc, arch.Generator(gen, z, Training), Frozen)
		})
		gLoss := t.generatorLoss(fakeLogits)
		return append([]*Node{gLoss}, t.generatorUpdateGraph(gLoss)...)
	})
	if err != nil {
		return err
	}
	return t.buildGenerateExecs()
}

// buildGenerateExecs builds the graphs that draw with G's raw weights and
// with their moving average.
func (t *Trainer) buildGenerateExecs() (err error) {
	if t.generate, err = generatorExec(t.backend, t.store, t.arch, GeneratorScope, Inference); err != nil {
		return err
	}
	t.generateAveraged, err = generatorExec(t.backend, t.store, t.arch, GeneratorEMAScope, Inference)
	return err
}

// generatorExec is arch's generator on the variables of scope in store, in
// phase: z (and, for a conditional model, one-hot classes) in, images out.
func generatorExec(backend compute.Backend, store *model.Store, arch Architecture, scope string, phase Phase) (*model.Exec, error) {
	if arch.Classes > 0 {
		return model.NewExec(backend, store, func(s *model.Scope, z, classes *Node) *Node {
			return arch.CondGenerator(s.Store().Scope(scope), z, classes, phase)
		})
	}
	return model.NewExec(backend, store, func(s *model.Scope, z *Node) *Node {
		return arch.Generator(s.Store().Scope(scope), z, phase)
	})
}

// variablesIn returns the variables of store in scope or below it.
func variablesIn(store *model.Store, scope string) []*model.Variable {
	var vars []*model.Variable
	for v := range store.IterVariables() {
		if s := v.Scope(); s == scope || strings.HasPrefix(s, scope+"/") {
			vars = append(vars, v)
		}
	}
	return vars
}

// generatorUpdateGraph builds G's gradients for loss and, where they run in
// the graph, G's update and its moving average's; it returns what the G
// step must output for the host update.
func (t *Trainer) generatorUpdateGraph(loss *Node) []*Node {
	grads := t.adamG.gradientsGraph(loss)
	if t.emaG != nil {
		t.emaG.graph(loss.Graph(), t.store.Scope(GeneratorScope), t.adamG.stepVar)
	}
	return grads
}

// samplingScope is the scope of the generator that draws the run's samples:
// the moving average of G's weights where the run keeps one and has taken a
// step (before that the average is empty), the raw weights otherwise.
func (t *Trainer) samplingScope() string {
	if t.emaG != nil && t.step > 0 {
		return GeneratorEMAScope
	}
	return GeneratorScope
}

// generator is the graph of [Trainer.samplingScope]'s generator, with its
// batch-norm statistics measured where the run asks for it
// ([Config.PreciseBN]; see [Trainer.sampler]).
func (t *Trainer) generator() (*model.Exec, error) {
	if t.cfg.PreciseBN > 0 {
		g, err := t.sampler()
		if err != nil {
			return nil, err
		}
		return g.exec, nil
	}
	if t.samplingScope() == GeneratorEMAScope {
		return t.generateAveraged, nil
	}
	return t.generate, nil
}

func (t *Trainer) openCheckpoints() error {
	dir := filepath.Join(t.opts.OutDir, "checkpoints")
	if !t.opts.Resume {
		if entries, _ := os.ReadDir(dir); len(entries) > 0 {
			return fmt.Errorf("%s %w", dir, ErrCheckpointsExist)
		}
	}
	handler, err := checkpoint.Build(t.store).Dir(dir).Keep(t.opts.KeepCheckpoints).Done()
	if err != nil {
		return fmt.Errorf("opening checkpoints in %s: %w", dir, err)
	}
	t.ckpt = handler
	if !t.opts.Resume {
		return nil
	}
	step, ok := intParam(t.store, paramStep)
	if !ok {
		return fmt.Errorf("%w in %s", ErrNoCheckpoint, dir)
	}
	epoch, _ := intParam(t.store, paramSourceEpoch)
	index, _ := intParam(t.store, paramSourceIndex)
	if err := t.source.Seek(epoch, index); err != nil {
		return fmt.Errorf("resume: restoring the data position: %w", err)
	}
	if _, found := t.store.GetParam(model.JoinPath("/", paramEMAStep)); t.cfg.EMA > 0 && !found {
		return fmt.Errorf("resume: the checkpoint in %s has no moving average of the generator, which the run's ema %g needs (was it trained without --ema?)", dir, t.cfg.EMA)
	}
	noiseState, _ := t.store.GetParam(model.JoinPath("/", paramNoiseState))
	if s, ok := noiseState.(string); !ok {
		return fmt.Errorf("resume: the checkpoint in %s has no latent noise state (written by an older ganbook?)", dir)
	} else if err := t.noise.restore(s); err != nil {
		return fmt.Errorf("resume: restoring the latent noise: %w", err)
	}
	t.step = step
	return nil
}

// intParam reads an integer store parameter; checkpoints round-trip numbers
// through JSON, so it accepts any numeric type.
func intParam(store *model.Store, key string) (int, bool) {
	v, found := store.GetParam(model.JoinPath("/", key))
	if !found {
		v, found = store.GetParam(key)
	}
	if !found {
		return 0, false
	}
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	case float64:
		return int(x), true
	}
	return 0, false
}

// Config returns the run's hyperparameters.
func (t *Trainer) Config() Config { return t.cfg }

// Step is the number of D+G iterations done so far (including before a resume).
func (t *Trainer) Step() int { return t.step }

// TotalSteps is the run length.
func (t *Trainer) TotalSteps() int { return t.totalSteps }

// Store exposes the model's variables (for tests and notebooks).
func (t *Trainer) Store() *model.Store { return t.store }

// TrainStep runs one D step then one G step.
func (t *Trainer) TrainStep() (StepMetrics, error) {
	start := time.Now()
	if err := t.realInput.MutableFlatData(func(flat any) { t.nextRealBatch(flat.([]float32)) }); err != nil {
		return StepMetrics{}, fmt.Errorf("step %d: real batch: %w", t.step+1, err)
	}
	dOut, err := t.discriminatorStep(t.realInput)
	if err != nil {
		return StepMetrics{}, fmt.Errorf("step %d: %w", t.step+1, err)
	}
	gOut, err := t.generatorStep()
	if err != nil {
		return StepMetrics{}, fmt.Errorf("step %d: %w", t.step+1, err)
	}
	t.step++
	m := StepMetrics{
		Step:         t.step,
		DLoss:        scalar(dOut[0]),
		DReal:        scalar(dOut[1]),
		DFake:        scalar(dOut[2]),
		GLoss:        scalar(gOut[0]),
		ImagesPerSec: float64(t.cfg.Batch) / time.Since(start).Seconds(),
	}
	for _, l := range []struct {
		name  string
		value float64
	}{{"discriminator loss", m.DLoss}, {"generator loss", m.GLoss}} {
		if math.IsNaN(l.value) || math.IsInf(l.value, 0) {
			return m, &DivergedError{Step: t.step, Loss: l.name, Value: l.value}
		}
	}
	return m, nil
}

// discriminatorStep runs the D step's graph and D's update; it returns the D
// loss, mean D(x) and mean D(G(z)).
//
// The G step's latent batch is the noise generator's next draw after the D
// step's: it is drawn on another goroutine while the D step's graph runs,
// where it would otherwise hold up the step with a core idle (0.12 ms of an
// MLP step of about 10). The draws keep their order, so the values and the
// generator's state after the step (what checkpoints keep) are unchanged.
func (t *Trainer) discriminatorStep(real *tensors.Tensor) ([]*tensors.Tensor, error) {
	inputs := t.dStepInputs(real)
	drawn := make(chan struct{})
	go func() {
		defer close(drawn)
		t.drawLatent(t.generatorLatent)
	}()
	out, err := t.dStep.Call(inputs...)
	<-drawn
	if err != nil {
		return nil, fmt.Errorf("discriminator step: %w", err)
	}
	if err := t.applyAdam(t.adamD, out[dStepOutputs:]); err != nil {
		return nil, fmt.Errorf("discriminator update: %w", err)
	}
	return out[:dStepOutputs], nil
}

// drawLatent draws a fresh latent batch z ~ N(0, 1) on the host (the go
// backend's in-graph Box–Muller costs a cosine and a logarithm per value)
// into z (a step's input, written in place), which it returns.
func (t *Trainer) drawLatent(z *tensors.Tensor) *tensors.Tensor {
	z.MustMutableFlatData(func(flat any) { t.noise.fill(flat.([]float32)) })
	return z
}

// generatorStep runs the G step's graph and G's update; it returns the G loss.
func (t *Trainer) generatorStep() ([]*tensors.Tensor, error) {
	out, err := t.gStep.Call(t.gStepInputs(t.generatorLatent)...)
	if err != nil {
		return nil, fmt.Errorf("generator step: %w", err)
	}
	if err := t.applyAdam(t.adamG, out[1:]); err != nil {
		return nil, fmt.Errorf("generator update: %w", err)
	}
	if t.emaG != nil {
		if err := t.emaG.applyHost(t.adamG.share); err != nil {
			return nil, fmt.Errorf("generator moving average: %w", err)
		}
	}
	return out[:1], nil
}

// applyAdam applies a host-side update from grads (none when the update ran in
// the graph) and releases their buffers.
func (t *Trainer) applyAdam(o *adam, grads []*tensors.Tensor) error {
	if len(grads) == 0 {
		return nil
	}
	defer func() {
		for _, g := range grads {
			g.FinalizeAll()
		}
	}()
	return o.applyHost(grads)
}

// DivergedError reports a NaN or Inf loss; training cannot continue from it.
type DivergedError struct {
	Step  int
	Loss  string
	Value float64
}

func (e *DivergedError) Error() string {
	return fmt.Sprintf("step %d: %s is %v: training diverged (try a lower learning rate)", e.Step, e.Loss, e.Value)
}

func scalar(t *tensors.Tensor) float64 {
	switch v := t.Value().(type) {
	case float32:
		return float64(v)
	case float64:
		return v
	}
	panic(fmt.Sprintf("expected a float scalar, got %s", t.Shape()))
}

// Generate draws images for the given latent batch z ([n·latent] float32) with the
// generator in inference mode; it returns [n·28·28] pixels in [Low, High].
func (t *Trainer) Generate(z []float32) ([]float32, error) {
	n := len(z) / t.cfg.LatentDim
	exec, err := t.generator()
	if err != nil {
		return nil, err
	}
	out, err := exec.Call(t.generateInputs(tensors.FromFlatDataAndDimensions(z, n, t.cfg.LatentDim))...)
	if err != nil {
		return nil, err
	}
	return tensors.CopyFlatData[float32](out[0])
}

// SampleGrid renders the fixed noise batch as a PNG grid.
func (t *Trainer) SampleGrid() ([]byte, error) {
	exec, err := t.generator()
	if err != nil {
		return nil, err
	}
	out, err := exec.Call(t.generateInputs(t.fixedNoise)...)
	if err != nil {
		return nil, fmt.Errorf("generating samples: %w", err)
	}
	pixels, err := tensors.CopyFlatData[float32](out[0])
	if err != nil {
		return nil, err
	}
	return GridPNG(pixels, t.cfg.SampleGrid, ImageSize, t.arch.Low, t.arch.High, 2)
}

// SaveSampleGrid writes the current sample grid to OutDir/samples/step-NNNNNN.png
// and returns its path and bytes.
func (t *Trainer) SaveSampleGrid() (string, []byte, error) {
	png, err := t.SampleGrid()
	if err != nil {
		return "", nil, err
	}
	if t.opts.OutDir == "" {
		return "", png, nil
	}
	dir := filepath.Join(t.opts.OutDir, "samples")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, err
	}
	path := filepath.Join(dir, fmt.Sprintf("step-%06d.png", t.step))
	if err := fsutil.WriteFileAtomic(path, png, 0o644); err != nil {
		return "", nil, err
	}
	return path, png, nil
}

// SaveCheckpoint writes all variables (both networks, both optimisers' moments,
// the random state) and the data position, so that a resumed run continues bitwise.
func (t *Trainer) SaveCheckpoint() error {
	if t.ckpt == nil {
		return errors.New("no output directory: checkpoints are disabled")
	}
	epoch, index := t.source.Position()
	t.store.SetParam(paramStep, int64(t.step))
	t.store.SetParam(paramSourceEpoch, int64(epoch))
	t.store.SetParam(paramSourceIndex, int64(index))
	noiseState, err := t.noise.state()
	if err != nil {
		return err
	}
	t.store.SetParam(paramNoiseState, noiseState)
	if t.emaG != nil {
		t.store.SetParam(paramEMAStep, int64(t.step))
	}
	if err := t.ckpt.Save(); err != nil {
		return fmt.Errorf("saving checkpoint at step %d: %w", t.step, err)
	}
	return nil
}

// Hooks let the caller observe a run: the CLI draws a progress bar and records the
// run in the tracker; a notebook plots. Each may be nil.
type Hooks struct {
	OnStep   func(StepMetrics)
	OnSample func(step int, path string, png []byte)
	// OnSlowStep is called once when a step has run longer than
	// RunOptions.StepWarning, on another goroutine while the step goes on.
	OnSlowStep func(step int, elapsed time.Duration)
	// OnStepTimeout is called once when a step has run longer than
	// RunOptions.StepTimeout, on another goroutine while the step goes on. A
	// step cannot be interrupted: a step that is hung (the go backend's
	// worker pool has been seen to deadlock) never returns, and only the
	// caller can act, e.g. a command ends its process. A step that ends after
	// all makes Run return ErrStepTimeout.
	OnStepTimeout func(step int, elapsed time.Duration)
}

// RunOptions control [Trainer.Run].
type RunOptions struct {
	Hooks Hooks
	// StepWarning is how long one step may take before OnSlowStep is called (default 2 min).
	StepWarning time.Duration
	// StepTimeout is how long one step may take before OnStepTimeout is
	// called and the run ends with ErrStepTimeout (default 15 min): the go
	// backend's worker pool has been seen to deadlock, and a hang must not
	// pass for slowness.
	StepTimeout time.Duration
}

// ErrStepTimeout is returned by Run when a step that ran longer than
// RunOptions.StepTimeout has ended.
var ErrStepTimeout = errors.New("training step timed out")

// Run trains until TotalSteps, rendering samples every SampleEvery steps and saving
// checkpoints every CheckpointEvery steps (and both at the end). It stops early,
// after a checkpoint, when ctx is cancelled.
func (t *Trainer) Run(ctx context.Context, ro RunOptions) (last StepMetrics, err error) {
	if ro.StepWarning <= 0 {
		ro.StepWarning = 2 * time.Minute
	}
	if ro.StepTimeout <= 0 {
		ro.StepTimeout = 15 * time.Minute
	}
	for t.step < t.totalSteps {
		if ctx.Err() != nil {
			break
		}
		step := t.step + 1
		warn := watchdog(ro.StepWarning, func() {
			if ro.Hooks.OnSlowStep != nil {
				ro.Hooks.OnSlowStep(step, ro.StepWarning)
			}
		})
		abort := watchdog(ro.StepTimeout, func() {
			if ro.Hooks.OnStepTimeout != nil {
				ro.Hooks.OnStepTimeout(step, ro.StepTimeout)
			}
		})
		m, err := t.TrainStep()
		warn.stop()
		if abort.stop() {
			return last, fmt.Errorf("%w: step %d ran for over %s; the go backend's worker pool may be deadlocked (GOMLX_BACKEND=go:parallelism=-1 avoids it)",
				ErrStepTimeout, step, ro.StepTimeout)
		}
		if err != nil {
			return m, err
		}
		last = m
		if ro.Hooks.OnStep != nil {
			ro.Hooks.OnStep(last)
		}
		if t.cfg.SampleEvery > 0 && t.step%t.cfg.SampleEvery == 0 && t.step < t.totalSteps {
			if err := t.sample(ro.Hooks); err != nil {
				return last, err
			}
		}
		if t.ckpt != nil && t.cfg.CheckpointEvery > 0 && t.step%t.cfg.CheckpointEvery == 0 && t.step < t.totalSteps {
			if err := t.SaveCheckpoint(); err != nil {
				return last, err
			}
		}
	}
	if err := t.sample(ro.Hooks); err != nil {
		return last, err
	}
	if t.ckpt != nil {
		if err := t.SaveCheckpoint(); err != nil {
			return last, err
		}
	}
	return last, ctx.Err()
}

// stepWatchdog calls a function once when a step runs too long. It runs
// on the timer's goroutine only when it fires, and stop waits for it, so
// that no goroutine outlives the step.
type stepWatchdog struct {
	timer *time.Timer
	done  chan struct{} // closed when the function has returned
}

func watchdog(after time.Duration, fire func()) *stepWatchdog {
	w := &stepWatchdog{done: make(chan struct{})}
	w.timer = time.AfterFunc(after, func() {
		defer close(w.done)
		fire()
	})
	return w
}

// stop disarms the watchdog, or waits for its function to return; it
// reports whether the watchdog fired.
func (w *stepWatchdog) stop() (fired bool) {
	if w.timer.Stop() {
		return false
	}
	<-w.done
	return true
}

func (t *Trainer) sample(h Hooks) error {
	path, png, err := t.SaveSampleGrid()
	if err != nil {
		return err
	}
	if h.OnSample != nil {
		h.OnSample(t.step, path, png)
	}
	return nil
}
