package gan

import (
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// preciseBNBatch is the batch size of [Config.PreciseBN]'s measurement: the
// statistics of each batch are those of 500 images, and their mean over the
// batches is the generator's.
const preciseBNBatch = 500

// preciseBNBatches is how many batches cfg's measurement takes.
func preciseBNBatches(cfg Config) int {
	return (cfg.PreciseBN + preciseBNBatch - 1) / preciseBNBatch
}

// PreciseBNLatents returns the latent vectors (batches·500 of size latent)
// that a run with this seed measures its generator's batch-norm statistics
// over: the same at every measurement, from a stream of their own, so that
// the statistics depend on the generator's weights alone.
func PreciseBNLatents(seed int64, batches, latent int) []float32 {
	rng := rand.New(rand.NewPCG(uint64(seed), 0xb47c4))
	z := make([]float32, batches*preciseBNBatch*latent)
	for i := range z {
		z[i] = float32(rng.NormFloat64())
	}
	return z
}

// measureBatchNorm sets the running statistics of g's batch norms, in its
// own store, to their mean over [Config.PreciseBN]'s batches of latent
// vectors (the batch statistics of each, as G computes them in training).
func (g *Generator) measureBatchNorm() error {
	if g.measure == nil {
		var err error
		if g.measure, err = generatorExec(g.backend, g.store, g.arch, g.scope, Calibration); err != nil {
			return err
		}
	}
	var stats []*model.Variable
	for _, v := range variablesIn(g.store, g.scope) {
		if name := v.Name(); name == "running_mean" || name == "running_var" {
			stats = append(stats, v)
		}
	}
	if len(stats) == 0 {
		return fmt.Errorf("precise_bn: the %s generator has no batch norm", g.cfg.Model)
	}
	batches, latent := preciseBNBatches(g.cfg), g.cfg.LatentDim
	z := PreciseBNLatents(g.cfg.Seed, batches, latent)
	sums := make([][]float64, len(stats))
	for b := range batches {
		batch := tensors.FromFlatDataAndDimensions(z[b*preciseBNBatch*latent:(b+1)*preciseBNBatch*latent], preciseBNBatch, latent)
		inputs := []any{batch}
		if g.arch.Classes > 0 {
			inputs = append(inputs, cyclingOneHot(preciseBNBatch, g.arch.Classes))
		}
		out, err := g.measure.Call(inputs...)
		if err != nil {
			return fmt.Errorf("measuring the generator's batch-norm statistics: %w", err)
		}
		for _, o := range out {
			o.FinalizeAll()
		}
		// Each call leaves its batch's statistics in the variables.
		for i, v := range stats {
			values, err := tensors.CopyFlatData[float32](v.MustValue())
			if err != nil {
				return fmt.Errorf("precise_bn: %s: %w", v.Path(), err)
			}
			if sums[i] == nil {
				sums[i] = make([]float64, len(values))
			}
			for j, x := range values {
				sums[i][j] += float64(x)
			}
		}
	}
	for i, v := range stats {
		mean := make([]float32, len(sums[i]))
		for j, s := range sums[i] {
			mean[j] = float32(s / float64(batches))
		}
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(mean, v.Shape().Dimensions...)); err != nil {
			return fmt.Errorf("precise_bn: %s: %w", v.Path(), err)
		}
	}
	return nil
}

// sampler returns the generator that draws the run's samples where the run
// measures its batch-norm statistics ([Config.PreciseBN]): a copy of
// [Trainer.samplingScope]'s variables in a store of its own, their
// statistics measured there, so that training's running averages (and what
// checkpoints save) stay as training leaves them. It is refreshed once per
// step.
func (t *Trainer) sampler() (*Generator, error) {
	scope := t.samplingScope()
	if t.samplerGen != nil && t.samplerGen.scope == scope && t.samplerGen.step == t.step {
		return t.samplerGen, nil
	}
	vars := variablesIn(t.store, scope)
	if len(vars) == 0 {
		// No graph has used the variables yet: before the first step they do
		// not exist, after a resume they are still in the checkpoint. A call
		// of the scope's own generator creates or loads them.
		exec := t.generate
		if scope == GeneratorEMAScope {
			exec = t.generateAveraged
		}
		out, err := exec.Call(t.generateInputs(tensors.FromShape(t.fixedNoise.Shape()))...)
		if err != nil {
			return nil, err
		}
		for _, o := range out {
			o.FinalizeAll()
		}
		if vars = variablesIn(t.store, scope); len(vars) == 0 {
			return nil, fmt.Errorf("no generator variables in %s", scope)
		}
	}
	if t.samplerGen == nil || t.samplerGen.scope != scope {
		store := model.NewStore()
		for _, v := range vars {
			value, err := v.MustValue().LocalClone()
			if err == nil {
				_, err = store.CreateVariable(v.Path(), value)
			}
			if err != nil {
				return nil, fmt.Errorf("copying %s: %w", v.Path(), err)
			}
		}
		cfg := t.cfg
		if scope == GeneratorScope {
			cfg.EMA = 0 // before the first step a run with a moving average draws with G's weights
		}
		g, err := NewGenerator(t.backend, cfg, store, t.step) // measures the statistics
		if err != nil {
			return nil, err
		}
		t.samplerGen = g
		return g, nil
	}
	for _, v := range vars {
		value, err := v.MustValue().LocalClone()
		if err == nil {
			err = t.samplerGen.store.GetVariable(v.Path()).SetValue(value)
		}
		if err != nil {
			return nil, fmt.Errorf("copying %s: %w", v.Path(), err)
		}
	}
	t.samplerGen.step = t.step
	if err := t.samplerGen.measureBatchNorm(); err != nil {
		return nil, err
	}
	return t.samplerGen, nil
}
