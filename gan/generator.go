package gan

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
)

// Checkpoint is one saved checkpoint of a run: the step it was taken at and
// the path of its files without the .json/.bin suffix.
type Checkpoint struct {
	Step int
	Base string
}

// ListCheckpoints lists the checkpoints in outDir/checkpoints by step, oldest
// first. It reads only each checkpoint's JSON metadata.
func ListCheckpoints(outDir string) ([]Checkpoint, error) {
	dir := filepath.Join(outDir, "checkpoints")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("%w in %s: %w", ErrNoCheckpoint, dir, err)
	}
	var list []Checkpoint
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasPrefix(name, "checkpoint-") || !strings.HasSuffix(name, checkpoint.JsonNameSuffix) {
			continue
		}
		path := filepath.Join(dir, name)
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		var meta struct {
			Params []struct {
				Key   string
				Value any
			}
		}
		if err := json.Unmarshal(b, &meta); err != nil {
			return nil, fmt.Errorf("reading checkpoint %s: %w", path, err)
		}
		for _, p := range meta.Params {
			if step, ok := p.Value.(float64); ok && p.Key == paramStep {
				list = append(list, Checkpoint{Step: int(step), Base: strings.TrimSuffix(path, checkpoint.JsonNameSuffix)})
			}
		}
	}
	slices.SortStableFunc(list, func(a, b Checkpoint) int { return a.Step - b.Step })
	return list, nil
}

// FindCheckpoint returns the checkpoint of outDir taken at step, or the
// latest one when step is 0. Its error wraps [ErrNoCheckpoint] and lists the
// steps there are.
func FindCheckpoint(outDir string, step int) (Checkpoint, error) {
	list, err := ListCheckpoints(outDir)
	if err != nil {
		return Checkpoint{}, err
	}
	if len(list) == 0 {
		return Checkpoint{}, fmt.Errorf("%w in %s", ErrNoCheckpoint, filepath.Join(outDir, "checkpoints"))
	}
	if step == 0 {
		return list[len(list)-1], nil
	}
	for _, c := range list {
		if c.Step == step {
			return c, nil
		}
	}
	steps := make([]string, len(list))
	for i, c := range list {
		steps[i] = fmt.Sprint(c.Step)
	}
	return Checkpoint{}, fmt.Errorf("%w at step %d in %s (there are checkpoints at steps %s)",
		ErrNoCheckpoint, step, filepath.Join(outDir, "checkpoints"), strings.Join(steps, ", "))
}

// Generator is a trained generator loaded from a checkpoint, in inference
// mode: it draws images without any of the training state.
type Generator struct {
	cfg     Config
	arch    Architecture
	step    int
	backend compute.Backend
	store   *model.Store
	scope   string      // of the variables it draws with (see generatorScopeFor)
	exec    *model.Exec // draws images
	measure *model.Exec // measures the batch-norm statistics (Config.PreciseBN)
}

// LoadGenerator loads the generator of the checkpoint c of a run trained with cfg.
func LoadGenerator(backend compute.Backend, cfg Config, c Checkpoint) (*Generator, error) {
	meta, err := os.ReadFile(c.Base + checkpoint.JsonNameSuffix)
	if err != nil {
		return nil, err
	}
	values, err := os.ReadFile(c.Base + checkpoint.BinDataSuffix)
	if err != nil {
		return nil, err
	}
	store := model.NewStore()
	if _, err := checkpoint.Build(store).FromEmbed(string(meta), values).Immediate().Done(); err != nil {
		return nil, fmt.Errorf("loading checkpoint %s: %w", c.Base, err)
	}
	g, err := NewGenerator(backend, cfg, store, c.Step)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", c.Base, err)
	}
	return g, nil
}

// NewGenerator is the generator of cfg's model whose variables are in store
// (under [GeneratorScope], or [GeneratorEMAScope] where cfg keeps a moving
// average), trained for step steps. Where cfg sets [Config.PreciseBN], it
// measures its batch-norm statistics first, in store.
func NewGenerator(backend compute.Backend, cfg Config, store *model.Store, step int) (*Generator, error) {
	arch, err := NewArchitecture(cfg.Model)
	if err != nil {
		return nil, err
	}
	// A generator variable missing from the store would be initialised at
	// random and draw noise that passes for a result.
	scope := generatorScopeFor(cfg)
	hasGenerator := len(variablesIn(store, scope)) > 0
	switch {
	case !hasGenerator && scope == GeneratorEMAScope:
		return nil, fmt.Errorf("no moving average of the generator (%s), which the run's ema %g needs", GeneratorEMAScope, cfg.EMA)
	case !hasGenerator:
		return nil, errors.New("no generator variables")
	}
	exec, err := generatorExec(backend, store, arch, scope, Inference)
	if err != nil {
		return nil, err
	}
	g := &Generator{cfg: cfg, arch: arch, step: step, backend: backend, store: store, scope: scope, exec: exec}
	if cfg.PreciseBN > 0 {
		if err := g.measureBatchNorm(); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// Config is the configuration of the run the generator comes from.
func (g *Generator) Config() Config { return g.cfg }

// Store holds the generator's variables (and, loaded from a checkpoint, the
// rest of the training state).
func (g *Generator) Store() *model.Store { return g.store }

// Scope is the scope of the variables in [Generator.Store] it draws with:
// [GeneratorScope], or [GeneratorEMAScope] for a moving average.
func (g *Generator) Scope() string { return g.scope }

// Step is the training step of the checkpoint the generator came from.
func (g *Generator) Step() int { return g.step }

// LatentDim is the size of one latent vector z.
func (g *Generator) LatentDim() int { return g.cfg.LatentDim }

// Classes is the number of classes a conditional model draws on demand (0:
// an unconditional model).
func (g *Generator) Classes() int { return g.arch.Classes }

// GenerateClasses draws one image per latent vector of z of the class
// labels[i] (a conditional model only).
func (g *Generator) GenerateClasses(z []float32, labels []uint8) ([]float32, error) {
	if g.arch.Classes == 0 {
		return nil, fmt.Errorf("model %s is not class-conditional: it draws no class on demand", g.cfg.Model)
	}
	if len(z) == 0 || len(z)%g.cfg.LatentDim != 0 {
		return nil, fmt.Errorf("generate: %d latent values is not a positive multiple of the latent size %d", len(z), g.cfg.LatentDim)
	}
	return generateClasses(g.exec, g.cfg.LatentDim, g.arch.Classes, z, labels)
}

// Range is the pixel range [low, high] the generator draws in.
func (g *Generator) Range() (low, high float64) { return g.arch.Low, g.arch.High }

// Generate draws one image per latent vector of z ([n·LatentDim]) (a
// conditional model draws the classes in turn: 0, 1, …); it returns
// [n·28·28] pixels in [Range].
func (g *Generator) Generate(z []float32) ([]float32, error) {
	if len(z) == 0 || len(z)%g.cfg.LatentDim != 0 {
		return nil, fmt.Errorf("generate: %d latent values is not a positive multiple of the latent size %d", len(z), g.cfg.LatentDim)
	}
	n := len(z) / g.cfg.LatentDim
	if g.arch.Classes > 0 {
		labels := make([]uint8, n)
		for i := range labels {
			labels[i] = uint8(i % g.arch.Classes)
		}
		return g.GenerateClasses(z, labels)
	}
	out, err := g.exec.Call(tensors.FromFlatDataAndDimensions(z, n, g.cfg.LatentDim))
	if err != nil {
		return nil, err
	}
	return tensors.CopyFlatData[float32](out[0])
}

// LatentVectors draws n latent vectors z ~ N(0, 1) of size dim from seed:
// the same seed gives the same vectors, whatever else runs.
func LatentVectors(seed uint64, n, dim int) []float32 {
	rng := rand.New(rand.NewPCG(seed, 0x73616d706c65)) // "sample": a stream of its own
	z := make([]float32, n*dim)
	for i := range z {
		z[i] = float32(rng.NormFloat64())
	}
	return z
}

// Lerp is the straight line from a to b at t ∈ [0, 1].
func Lerp(a, b []float32, t float64) []float32 {
	out := make([]float32, len(a))
	for i := range a {
		out[i] = float32((1-t)*float64(a[i]) + t*float64(b[i]))
	}
	return out
}

// Slerp is the great-circle path from a to b at t ∈ [0, 1] (Shoemake 1985),
// with the norm interpolated linearly: between two vectors of equal norm every
// point keeps that norm, where the straight line would pass through shorter
// vectors than a Gaussian latent ever draws (White 2016). Parallel vectors
// fall back to [Lerp].
func Slerp(a, b []float32, t float64) []float32 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	na, nb = math.Sqrt(na), math.Sqrt(nb)
	if na == 0 || nb == 0 {
		return Lerp(a, b, t)
	}
	omega := math.Acos(max(-1, min(1, dot/(na*nb))))
	if math.Sin(omega) < 1e-6 {
		return Lerp(a, b, t)
	}
	wa := math.Sin((1-t)*omega) / math.Sin(omega) / na
	wb := math.Sin(t*omega) / math.Sin(omega) / nb
	norm := (1-t)*na + t*nb
	out := make([]float32, len(a))
	for i := range a {
		out[i] = float32(norm * (wa*float64(a[i]) + wb*float64(b[i])))
	}
	return out
}
