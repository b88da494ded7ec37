package ringgan

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/gan/blocks"
)

// Config is one ring-GAN training run.
type Config struct {
	Ring Ring
	// Loss is gan.LossNonSaturating or gan.LossMinimax (the saturating loss).
	Loss     string
	Steps    int // D+G iterations
	Batch    int
	NoiseDim int // size of the generator's Gaussian input
	Hidden   int // width of both hidden layers of both networks
	LRD, LRG float64
	Beta1    float64
	Beta2    float64
	Seed     int64
	// SnapshotEvery takes a snapshot every that many steps (and always at steps 0 and Steps);
	// 0 means only at 0 and Steps.
	SnapshotEvery int
	// Samples is how many generated points a snapshot holds (from a fixed noise batch).
	Samples int
	// Grid is the resolution of the discriminator's surface in a snapshot (Grid × Grid points
	// over [−Extent, Extent]²); 0 skips the surface.
	Grid   int
	Extent float64
	// KeepParams stores both networks' parameters in every snapshot (Snapshot.Params).
	KeepParams bool
}

// DefaultConfig is the run of notebook 05.
func DefaultConfig() Config {
	return Config{
		Ring: DefaultRing(), Loss: gan.LossNonSaturating,
		Steps: 3000, Batch: 64, NoiseDim: 2, Hidden: 128,
		LRD: 1e-3, LRG: 1e-3, Beta1: 0.5, Beta2: 0.999, Seed: 1,
		SnapshotEvery: 500, Samples: 2000, Grid: 60, Extent: 3,
	}
}

// Snapshot is the state of a run at one step.
type Snapshot struct {
	Step int
	// Fake holds Config.Samples generated points [n·2], always from the same noise.
	Fake []float32
	// Surface holds sigmoid(D) on the grid, [Grid·Grid], row r (y increasing) after row r−1:
	// the point (x_c, y_r) is at index r·Grid + c, with x_c = −Extent + (c+½)·2·Extent/Grid.
	Surface  []float32
	Grid     int
	Extent   float64
	Coverage Coverage
	// DFake is the mean of sigmoid(D) over Fake: how real D finds the generator's samples.
	DFake float64
	// DFakeSamples holds sigmoid(D) at each point of Fake, [n]: the per-sample weights of the
	// two generator losses, D for the saturating one and 1 − D for the non-saturating one.
	DFakeSamples []float32
	// GradNormNonSat and GradNormSat are the norms of the gradients, with respect to all the
	// generator's parameters, of the non-saturating and of the saturating generator loss on the
	// fixed noise batch of Fake, against the current D. GradIdentityResidual is
	// |∇L_ns + ∇L_sat − ∇(−mean logit)|, zero up to rounding because L_ns + L_sat = −mean logit:
	// a check of the autodiff that produced the two norms.
	GradNormNonSat, GradNormSat, GradIdentityResidual float64
	// DLoss and GLoss are the losses of the step's D and G updates (NaN at step 0).
	DLoss, GLoss float64
	// Params holds the generator's and then the discriminator's parameters, flattened in the
	// order of ParamDims, when Config.KeepParams is set.
	Params []float32
}

// leakySlope is the LeakyReLU slope of both networks, as in gan's MLP.
const leakySlope = 0.2

func mlp(scope *model.Scope, x *graph.Node, hidden, out int) *graph.Node {
	for i := range 2 {
		x = blocks.LeakyReLU(blocks.Dense(scope.At("fc%d", i), x, hidden), leakySlope)
	}
	return blocks.Dense(scope.At("out"), x, out)
}

// Generator maps noise [n, NoiseDim] to points [n, 2]: two hidden layers, linear output.
func Generator(scope *model.Scope, z *graph.Node, hidden int) *graph.Node {
	return mlp(scope, z, hidden, 2)
}

// Discriminator maps points [n, 2] to logits [n, 1].
func Discriminator(scope *model.Scope, x *graph.Node, hidden int) *graph.Node {
	return mlp(scope, x, hidden, 1)
}

func (c Config) validate() error {
	if err := c.Ring.Validate(); err != nil {
		return err
	}
	if c.Steps < 0 || c.Batch < 1 || c.NoiseDim < 1 || c.Hidden < 1 || c.Samples < 1 || c.Grid < 0 || c.SnapshotEvery < 0 {
		return fmt.Errorf("ringgan: invalid sizes in %+v", c)
	}
	if !(c.LRD > 0 && c.LRG > 0) || c.Grid > 0 && !(c.Extent > 0) {
		return fmt.Errorf("ringgan: learning rates and Extent must be positive")
	}
	return nil
}

// Train runs cfg on backend and returns its snapshots in step order; onSnapshot, when not nil,
// sees each one as soon as it is taken (a notebook draws it). Runs with the same Config on the
// go backend are bitwise identical.
func Train(backend compute.Backend, cfg Config, onSnapshot func(Snapshot)) ([]Snapshot, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	generatorLoss, err := gan.GeneratorLossFunc(cfg.Loss)
	if err != nil {
		return nil, fmt.Errorf("ringgan: %w", err)
	}
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, cfg.Seed)
	if err := store.SetRNGStateFromSeed(cfg.Seed); err != nil {
		return nil, err
	}
	adam := func(lr float64) optimizer.Interface {
		return optimizer.Adam().LearningRate(lr).Betas(cfg.Beta1, cfg.Beta2).Epsilon(1e-8).Done()
	}
	optD, optG := adam(cfg.LRD), adam(cfg.LRG)
	noise := shapes.Make(dtypes.Float32, cfg.Batch, cfg.NoiseDim)
	dStep, err := model.NewExec(backend, store, func(s *model.Scope, real *graph.Node) *graph.Node {
		g, st := real.Graph(), s.Store()
		fake := graph.StopGradient(Generator(st.Scope(gan.GeneratorScope), st.RandomNormal(g, noise), cfg.Hidden))
		disc := st.Scope(gan.DiscriminatorScope)
		loss := gan.DiscriminatorLoss(Discriminator(disc, real, cfg.Hidden), Discriminator(disc, fake, cfg.Hidden), 1)
		optD.UpdateGraph(disc, g, loss)
		return loss
	})
	if err != nil {
		return nil, err
	}
	gStep, err := model.NewExec(backend, store, func(s *model.Scope, g *graph.Graph) *graph.Node {
		st := s.Store()
		gen := st.Scope(gan.GeneratorScope)
		logits := Discriminator(st.Scope(gan.DiscriminatorScope), Generator(gen, st.RandomNormal(g, noise), cfg.Hidden), cfg.Hidden)
		loss := generatorLoss(logits)
		optG.UpdateGraph(gen, g, loss)
		return loss
	})
	if err != nil {
		return nil, err
	}
	generate, err := model.NewExec(backend, store, func(s *model.Scope, z *graph.Node) *graph.Node {
		return Generator(s.Store().Scope(gan.GeneratorScope), z, cfg.Hidden)
	})
	if err != nil {
		return nil, err
	}
	judge, err := model.NewExec(backend, store, func(s *model.Scope, x *graph.Node) *graph.Node {
		return graph.Logistic(Discriminator(s.Store().Scope(gan.DiscriminatorScope), x, cfg.Hidden))
	})
	if err != nil {
		return nil, err
	}

	generatorGrads, err := model.NewExec(backend, store, func(s *model.Scope, z *graph.Node) []*graph.Node {
		g, st := z.Graph(), s.Store()
		gen := st.Scope(gan.GeneratorScope)
		logits := Discriminator(st.Scope(gan.DiscriminatorScope), Generator(gen, z, cfg.Hidden), cfg.Hidden)
		var params []*graph.Node
		for v := range gen.IterVariables() {
			if v.Trainable {
				params = append(params, v.NodeValue(g))
			}
		}
		nonSat, errNS := gan.GeneratorLoss(gan.LossNonSaturating, logits)
		sat, errSat := gan.GeneratorLoss(gan.LossMinimax, logits)
		if errNS != nil || errSat != nil {
			panic("ringgan: gan's generator losses are missing") // unreachable: both names are gan's
		}
		gNS, gSat := graph.Gradient(nonSat, params...), graph.Gradient(sat, params...)
		gLogit := graph.Gradient(graph.Neg(graph.ReduceAllMean(logits)), params...)
		norm := func(parts func(i int) *graph.Node) *graph.Node {
			total := graph.ReduceAllSum(graph.Square(parts(0)))
			for i := 1; i < len(params); i++ {
				total = graph.Add(total, graph.ReduceAllSum(graph.Square(parts(i))))
			}
			return graph.Sqrt(total)
		}
		return []*graph.Node{
			norm(func(i int) *graph.Node { return gNS[i] }),
			norm(func(i int) *graph.Node { return gSat[i] }),
			norm(func(i int) *graph.Node { return graph.Sub(graph.Add(gNS[i], gSat[i]), gLogit[i]) }),
		}
	})
	if err != nil {
		return nil, err
	}
	// Real batches and the snapshots' fixed noise come from their own generators, so that
	// neither depends on the other or on training.
	dataRNG := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x41e9))
	noiseRNG := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x2015e))
	fixed := make([]float32, cfg.Samples*cfg.NoiseDim)
	for i := range fixed {
		fixed[i] = float32(noiseRNG.NormFloat64())
	}
	fixedNoise := tensors.FromFlatDataAndDimensions(fixed, cfg.Samples, cfg.NoiseDim)
	var gridPoints *tensors.Tensor
	if cfg.Grid > 0 {
		gridPoints = tensors.FromFlatDataAndDimensions(GridPoints(cfg.Grid, cfg.Extent), cfg.Grid*cfg.Grid, 2)
	}

	var snaps []Snapshot
	snapshot := func(step int, dLoss, gLoss float64) error {
		out, err := generate.Call(fixedNoise)
		if err != nil {
			return err
		}
		s := Snapshot{Step: step, Grid: cfg.Grid, Extent: cfg.Extent, DLoss: dLoss, GLoss: gLoss}
		if s.Fake, err = tensors.CopyFlatData[float32](out[0]); err != nil {
			return err
		}
		out, err = judge.Call(out[0])
		if err != nil {
			return err
		}
		dFake, err := tensors.CopyFlatData[float32](out[0])
		if err != nil {
			return err
		}
		for _, v := range dFake {
			s.DFake += float64(v)
		}
		s.DFake /= float64(len(dFake))
		s.DFakeSamples = dFake
		grads, err := generatorGrads.Call(fixedNoise)
		if err != nil {
			return err
		}
		for i, dst := range []*float64{&s.GradNormNonSat, &s.GradNormSat, &s.GradIdentityResidual} {
			*dst = float64(tensors.ToScalar[float32](grads[i]))
		}
		if gridPoints != nil {
			out, err := judge.Call(gridPoints)
			if err != nil {
				return err
			}
			if s.Surface, err = tensors.CopyFlatData[float32](out[0]); err != nil {
				return err
			}
		}
		if cfg.KeepParams {
			if s.Params, err = params(store); err != nil {
				return err
			}
		}
		s.Coverage = cfg.Ring.Coverage(s.Fake)
		snaps = append(snaps, s)
		if onSnapshot != nil {
			onSnapshot(s)
		}
		return nil
	}
	// Variables are initialised by the first graph that uses them: the step-0 snapshot creates
	// G's and then D's, always in this order, before any training step.
	if err := snapshot(0, math.NaN(), math.NaN()); err != nil {
		return nil, err
	}
	for step := 1; step <= cfg.Steps; step++ {
		real := cfg.Ring.Sample(dataRNG, cfg.Batch)
		dOut, err := dStep.Call(tensors.FromFlatDataAndDimensions(real, cfg.Batch, 2))
		if err != nil {
			return snaps, fmt.Errorf("step %d: discriminator: %w", step, err)
		}
		gOut, err := gStep.Call()
		if err != nil {
			return snaps, fmt.Errorf("step %d: generator: %w", step, err)
		}
		dLoss, gLoss := float64(tensors.ToScalar[float32](dOut[0])), float64(tensors.ToScalar[float32](gOut[0]))
		if math.IsNaN(dLoss) || math.IsNaN(gLoss) || math.IsInf(dLoss, 0) || math.IsInf(gLoss, 0) {
			return snaps, &gan.DivergedError{Step: step, Loss: "ring GAN loss", Value: dLoss + gLoss}
		}
		if step == cfg.Steps || cfg.SnapshotEvery > 0 && step%cfg.SnapshotEvery == 0 {
			if err := snapshot(step, dLoss, gLoss); err != nil {
				return snaps, err
			}
		}
	}
	return snaps, nil
}

// GridPoints returns the Grid × Grid cell centres over [−extent, extent]², [n·2], row by row
// with y increasing, as Snapshot.Surface lays them out.
func GridPoints(n int, extent float64) []float32 {
	pts := make([]float32, 0, 2*n*n)
	cell := 2 * extent / float64(n)
	for r := range n {
		for c := range n {
			pts = append(pts, float32(-extent+(float64(c)+0.5)*cell), float32(-extent+(float64(r)+0.5)*cell))
		}
	}
	return pts
}
