package gan

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Loss names accepted by [Config.Loss].
const (
	// LossNonSaturating trains G to minimise −log D(G(z)): strong gradients while D wins.
	LossNonSaturating = "nonsaturating"
	// LossMinimax trains G to minimise log(1 − D(G(z))), the original minimax objective,
	// whose gradient vanishes when D confidently rejects the fakes.
	LossMinimax = "minimax"
	// LossHinge trains D with the hinge loss and G to raise D's logit on its fakes.
	LossHinge = "hinge"
)

// Model names accepted by [Config.Model].
const (
	ModelMLP   = "mlp"
	ModelDCGAN = "dcgan"
)

// Dataset names accepted by [Config.Dataset].
const (
	DatasetMNIST   = "mnist"
	DatasetFashion = "fashion"
)

// Config holds every hyperparameter of a training run. The CLI, the notebooks and
// the tracker all use this one struct; its JSON form is what a run records.
type Config struct {
	Model   string `json:"model"`   // "mlp", "dcgan", or class-conditional "cmlp", "cdcgan"
	Dataset string `json:"dataset"` // "mnist" or "fashion"
	Loss    string `json:"loss"`    // "nonsaturating", "minimax" or "hinge" (which ignores RealLabel)

	// Exactly one of Steps and Epochs is positive: the run length.
	Steps  int `json:"steps,omitempty"`
	Epochs int `json:"epochs,omitempty"`

	Batch     int     `json:"batch"`
	LatentDim int     `json:"latent_dim"`
	LRD       float64 `json:"lr_d"`
	LRG       float64 `json:"lr_g"`
	Beta1     float64 `json:"beta1"`
	Beta2     float64 `json:"beta2"`
	// RealLabel is the target D is trained to give real images: 1 is plain BCE,
	// 0.9 is one-sided label smoothing (Salimans et al. 2016), which keeps D from
	// becoming over-confident and G from collapsing onto a few modes.
	RealLabel float64 `json:"real_label"`
	// DropoutD is the dropout rate after each hidden layer of the
	// discriminator while it trains (0 = none). A noisier
	// D is slower to latch onto the few digits G draws best, so G keeps being
	// pushed towards the others.
	DropoutD float64 `json:"dropout_d"`
	// NormD is the normalisation in the discriminator's hidden layers:
	// "batch" (batch norm) or "none". Empty is the architecture's own: batch
	// norm after the DCGAN discriminators' second convolution, none in the
	// MLPs' (which have no batch norm to give).
	NormD string `json:"norm_d,omitempty"`
	// EMA is the decay of an exponential moving average of the generator's
	// weights kept during training (0: none). Where it is set, sample grids,
	// evaluation and sampling use the averaged generator: its samples are
	// those of the last ~1/(1−EMA) steps' weights averaged, which smooths the
	// step-to-step oscillation of the adversarial game (Yazıcı et al. 2019).
	EMA float64 `json:"ema,omitempty"`
	// PreciseBN is how many latent vectors (rounded up to whole batches of
	// 500) the generator's batch-norm statistics are measured over before it
	// draws samples or is saved (0: the running averages training leaves).
	// Those averages follow the last few batches of 32 with a momentum of 0.1
	// and are noisy; the mean over many batches of the statistics of the
	// generator's current weights (PyTorch's swa_utils.update_bn, Wu &
	// Johnson 2021's PreciseBN) is what its inference should use. Training
	// itself, which uses batch statistics, is unchanged.
	PreciseBN int   `json:"precise_bn,omitempty"`
	Seed      int64 `json:"seed"`

	SampleEvery     int `json:"sample_every"`     // steps between sample grids; 0 = only at the end
	CheckpointEvery int `json:"checkpoint_every"` // steps between checkpoints; 0 = only at the end
	SampleGrid      int `json:"sample_grid"`      // the sample grid is SampleGrid × SampleGrid images
}

// DefaultConfig returns the default recipe: the MLP GAN on MNIST with the
// non-saturating loss, one-sided label smoothing and dropout in D, sized to draw
// every digit class in about five minutes on two cores with the pure-Go backend
// (seed 1 covers 10/10; four of seeds 1–5 do: tutorial 08).
func DefaultConfig() Config {
	return Config{
		Model:           ModelMLP,
		Dataset:         DatasetMNIST,
		Loss:            LossNonSaturating,
		Steps:           12500,
		Batch:           128,
		LatentDim:       100,
		LRD:             2e-4,
		LRG:             2e-4,
		Beta1:           0.5,
		Beta2:           0.999,
		RealLabel:       0.9,
		DropoutD:        0.3,
		Seed:            1,
		SampleEvery:     500,
		CheckpointEvery: 1000,
		SampleGrid:      8,
	}
}

// Models lists the model names [Config.Model] accepts.
func Models() []string { return []string{ModelMLP, ModelDCGAN, ModelCMLP, ModelCDCGAN} }

// Losses lists the loss names [Config.Loss] accepts.
func Losses() []string { return []string{LossNonSaturating, LossMinimax, LossHinge} }

// Normalisations accepted by [Config.NormD].
const (
	NormBatch = "batch"
	NormNone  = "none"
)

// Datasets lists the dataset names [Config.Dataset] accepts.
func Datasets() []string { return []string{DatasetMNIST, DatasetFashion} }

// FieldError is a validation error that names the offending setting by its
// JSON name (a front end such as the CLI maps it to its own name for it).
type FieldError struct {
	Field  string // e.g. "lr_d"
	Reason string // may name other fields, by their JSON names
}

func (e *FieldError) Error() string { return fmt.Sprintf("invalid %s: %s", e.Field, e.Reason) }

// Validate reports every invalid setting, each as a [*FieldError] naming its
// field, joined with errors.Join. It does no work beyond checking values.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	oneOf := func(field, value string, valid []string) {
		if !slices.Contains(valid, value) {
			bad(field, "%q is not one of %s", value, strings.Join(valid, ", "))
		}
	}
	oneOf("model", c.Model, Models())
	oneOf("dataset", c.Dataset, Datasets())
	oneOf("loss", c.Loss, Losses())
	switch {
	case c.Steps > 0 && c.Epochs > 0:
		bad("steps", "steps and epochs are both set (%d and %d); give one", c.Steps, c.Epochs)
	case c.Steps < 0:
		bad("steps", "must be positive, got %d", c.Steps)
	case c.Epochs < 0:
		bad("epochs", "must be positive, got %d", c.Epochs)
	case c.Steps == 0 && c.Epochs == 0:
		bad("steps", "one of steps or epochs must be positive")
	}
	if c.Batch <= 0 {
		bad("batch", "must be positive, got %d", c.Batch)
	}
	if c.LatentDim <= 0 {
		bad("latent_dim", "must be positive, got %d", c.LatentDim)
	}
	if !(c.LRD > 0) {
		bad("lr_d", "must be positive, got %g", c.LRD)
	}
	if !(c.LRG > 0) {
		bad("lr_g", "must be positive, got %g", c.LRG)
	}
	if !(c.Beta1 >= 0 && c.Beta1 < 1) {
		bad("beta1", "must be in [0, 1), got %g", c.Beta1)
	}
	if !(c.Beta2 >= 0 && c.Beta2 < 1) {
		bad("beta2", "must be in [0, 1), got %g", c.Beta2)
	}
	if !(c.RealLabel > 0 && c.RealLabel <= 1) {
		bad("real_label", "must be in (0, 1], got %g", c.RealLabel)
	}
	if !(c.DropoutD >= 0 && c.DropoutD < 1) {
		bad("dropout_d", "must be in [0, 1), got %g", c.DropoutD)
	}
	switch {
	case c.NormD != "" && c.NormD != NormBatch && c.NormD != NormNone:
		bad("norm_d", "%q is not one of %s, %s", c.NormD, NormBatch, NormNone)
	case c.NormD == NormBatch && (c.Model == ModelMLP || c.Model == ModelCMLP):
		bad("norm_d", "the %s discriminator has no normalisation layer; give %s (or nothing)", c.Model, NormNone)
	}
	if !validEMADecay(c.EMA) {
		bad("ema", "must be in [0, 1), got %g", c.EMA)
	}
	switch {
	case c.PreciseBN < 0:
		bad("precise_bn", "must not be negative, got %d", c.PreciseBN)
	case c.PreciseBN > 0 && (c.Model == ModelMLP || c.Model == ModelCMLP):
		bad("precise_bn", "the %s generator has no normalisation layer whose statistics could be measured; give 0", c.Model)
	}
	if c.SampleEvery < 0 {
		bad("sample_every", "must not be negative, got %d", c.SampleEvery)
	}
	if c.CheckpointEvery < 0 {
		bad("checkpoint_every", "must not be negative, got %d", c.CheckpointEvery)
	}
	if c.SampleGrid <= 0 || c.SampleGrid > 32 {
		bad("sample_grid", "must be in 1..32, got %d", c.SampleGrid)
	}
	return errors.Join(errs...)
}

// Params flattens the config into named values by JSON name, the form an
// experiment tracker records: runs from the CLI and from a notebook then
// compare key by key. Both run-length settings stay present, so that filters on
// either work. A setting added after runs were recorded (see
// unsetWhenEmpty) is left out while empty, as in the run's JSON record, so
// that runs from before it existed compare equal.
func (c Config) Params() map[string]any {
	v := reflect.ValueOf(c)
	params := make(map[string]any, v.NumField())
	for _, f := range reflect.VisibleFields(v.Type()) {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		value := v.FieldByIndex(f.Index)
		if unsetWhenEmpty[name] && value.IsZero() {
			continue
		}
		params[name] = value.Interface()
	}
	return params
}

// ParamNames are the JSON names of every setting, those [Config.Params]
// leaves out while empty included.
func ParamNames() []string {
	var names []string
	for _, f := range reflect.VisibleFields(reflect.TypeFor[Config]()) {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		names = append(names, name)
	}
	return names
}

// unsetWhenEmpty are the settings whose empty value means "as before the
// setting existed", left out of [Config.Params] then.
var unsetWhenEmpty = map[string]bool{"norm_d": true, "ema": true, "precise_bn": true}

// ConfigFromJSON reads a configuration as a run recorded it. A setting the
// record lacks takes the value that reproduces what ganbook did before the
// setting existed (DropoutD: 0, no dropout), not today's default.
func ConfigFromJSON(b []byte) (Config, error) {
	cfg := DefaultConfig()
	cfg.DropoutD = 0
	if err := json.Unmarshal(b, &cfg); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// TotalSteps is the run length in D+G iterations, given the training set size.
func (c Config) TotalSteps(trainSize int) int {
	if c.Steps > 0 {
		return c.Steps
	}
	perEpoch := max(1, trainSize/c.Batch) // the last partial batch is dropped
	return c.Epochs * perEpoch
}
