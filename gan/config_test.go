package gan

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestDefaultConfigIsValid(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestConfigValidateNamesTheField(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
		field  string // the JSON name
	}{
		{"zero batch", func(c *Config) { c.Batch = 0 }, "batch"},
		{"negative batch", func(c *Config) { c.Batch = -4 }, "batch"},
		{"zero lr-d", func(c *Config) { c.LRD = 0 }, "lr_d"},
		{"negative lr-g", func(c *Config) { c.LRG = -1e-3 }, "lr_g"},
		{"unknown model", func(c *Config) { c.Model = "nope" }, "model"},
		{"unknown loss", func(c *Config) { c.Loss = "wasserstein" }, "loss"},
		{"unknown dataset", func(c *Config) { c.Dataset = "cifar" }, "dataset"},
		{"steps and epochs", func(c *Config) { c.Steps, c.Epochs = 10, 2 }, "steps"},
		{"neither steps nor epochs", func(c *Config) { c.Steps, c.Epochs = 0, 0 }, "steps"},
		{"beta1 one", func(c *Config) { c.Beta1 = 1 }, "beta1"},
		{"real label zero", func(c *Config) { c.RealLabel = 0 }, "real_label"},
		{"dropout one", func(c *Config) { c.DropoutD = 1 }, "dropout_d"},
		{"negative dropout", func(c *Config) { c.DropoutD = -0.1 }, "dropout_d"},
		{"ema one", func(c *Config) { c.EMA = 1 }, "ema"},
		{"negative ema", func(c *Config) { c.EMA = -0.5 }, "ema"},
		{"NaN ema", func(c *Config) { c.EMA = math.NaN() }, "ema"},
		{"negative precise_bn", func(c *Config) { c.Model, c.PreciseBN = ModelDCGAN, -1 }, "precise_bn"},
		{"precise_bn without batch norm in G", func(c *Config) { c.PreciseBN = 500 }, "precise_bn"},
		{"precise_bn in the cmlp", func(c *Config) { c.Model, c.PreciseBN = ModelCMLP, 500 }, "precise_bn"},
		{"unknown normalisation", func(c *Config) { c.Model, c.NormD = ModelDCGAN, "layer" }, "norm_d"},
		{"batch norm in the MLP discriminator", func(c *Config) { c.NormD = NormBatch }, "norm_d"},
		{"batch norm in the cmlp discriminator", func(c *Config) { c.Model, c.NormD = ModelCMLP, NormBatch }, "norm_d"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tc.modify(&cfg)
			err := cfg.Validate()
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate() = %v, want a *FieldError", err)
			}
			if fe.Field != tc.field || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("error %q names %s, want %s", err, fe.Field, tc.field)
			}
			if strings.Contains(err.Error(), "--") {
				t.Errorf("error %q names a CLI flag; gan names config fields", err)
			}
			if !slices.Contains(ParamNames(), fe.Field) {
				t.Errorf("%q is not a JSON name of Config", fe.Field)
			}
		})
	}
}

// Every normalisation each model accepts validates.
func TestNormDValues(t *testing.T) {
	for _, tc := range []struct {
		model string
		norms []string
	}{
		{ModelMLP, []string{"", NormNone}},
		{ModelCMLP, []string{"", NormNone}},
		{ModelDCGAN, []string{"", NormBatch, NormNone}},
		{ModelCDCGAN, []string{"", NormBatch, NormNone}},
	} {
		for _, norm := range tc.norms {
			cfg := DefaultConfig()
			cfg.Model, cfg.NormD = tc.model, norm
			if err := cfg.Validate(); err != nil {
				t.Errorf("model %s, norm_d %q: %v", tc.model, norm, err)
			}
		}
	}
}

func TestTotalSteps(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Steps, cfg.Epochs, cfg.Batch = 0, 2, 100
	if got := cfg.TotalSteps(1050); got != 20 {
		t.Errorf("2 epochs of 1050 images at batch 100 = %d steps, want 20 (the last partial batch is dropped)", got)
	}
	cfg.Steps, cfg.Epochs = 7, 0
	if got := cfg.TotalSteps(1050); got != 7 {
		t.Errorf("TotalSteps = %d, want 7", got)
	}
}

func TestWithDeadlockGuard(t *testing.T) {
	tests := []struct{ in, want string }{
		{"go", "go:parallelism=-1"},
		{"go:ops_sequential", "go:ops_sequential,parallelism=-1"},
		{"go:parallelism=2", "go:parallelism=2"},
		{"xla:cpu", "xla:cpu"},
		{"xla", "xla"},
	}
	for _, tc := range tests {
		if got := withDeadlockGuard(tc.in); got != tc.want {
			t.Errorf("withDeadlockGuard(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// A record written before a setting existed must read back as what ganbook
// did then, not as today's default: dropout_d absent means no dropout.
func TestConfigFromJSON(t *testing.T) {
	for _, tc := range []struct {
		name    string
		json    string
		dropout float64
		steps   int
	}{
		{"record without dropout_d", `{"model":"mlp","steps":5000,"batch":128}`, 0, 5000},
		{"record with dropout_d", `{"model":"mlp","steps":10000,"batch":128,"dropout_d":0.3}`, 0.3, 10000},
	} {
		cfg, err := ConfigFromJSON([]byte(tc.json))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if cfg.DropoutD != tc.dropout || cfg.Steps != tc.steps {
			t.Errorf("%s: dropout %g steps %d, want %g and %d", tc.name, cfg.DropoutD, cfg.Steps, tc.dropout, tc.steps)
		}
	}
	if _, err := ConfigFromJSON([]byte(`{"batch":"many"}`)); err == nil {
		t.Error("a malformed record was accepted")
	}
	// norm_d: an old record has none, and means the architecture's own; a set one is read back.
	for _, tc := range []struct{ json, want string }{
		{`{"model":"dcgan","steps":10}`, ""},
		{`{"model":"dcgan","steps":10,"norm_d":"none"}`, NormNone},
	} {
		cfg, err := ConfigFromJSON([]byte(tc.json))
		if err != nil || cfg.NormD != tc.want {
			t.Errorf("%s: norm_d %q (%v), want %q", tc.json, cfg.NormD, err, tc.want)
		}
	}
	// A new run records the setting even at zero, so the rule above applies only to old records.
	cfg := DefaultConfig()
	cfg.DropoutD = 0
	if _, ok := cfg.Params()["dropout_d"]; !ok {
		t.Error("dropout_d = 0 is not recorded")
	}
}

// Params has every field under its JSON name, both run lengths included;
// an empty omitempty field (norm_d) is left out, as in the JSON record, and
// is there once set.
func TestParams(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Steps, cfg.Epochs, cfg.Batch, cfg.LRD = 0, 3, 2_000_000, 2e-4
	want := map[string]any{
		"model": "mlp", "dataset": "mnist", "loss": "nonsaturating", "steps": 0, "epochs": 3,
		"batch": 2_000_000, "latent_dim": 100, "lr_d": 2e-4, "lr_g": 2e-4, "beta1": 0.5, "beta2": 0.999,
		"real_label": 0.9, "dropout_d": 0.3, "seed": int64(1), "sample_every": 500, "checkpoint_every": 1000, "sample_grid": 8,
	}
	got := cfg.Params()
	if len(got) != len(want) {
		t.Errorf("Params has %d keys, want %d: %v", len(got), len(want), got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("Params()[%q] = %#v, want %#v", k, got[k], v)
		}
	}
	cfg.NormD = NormNone
	if got := cfg.Params()["norm_d"]; got != NormNone {
		t.Errorf(`Params()["norm_d"] = %#v once set, want "none"`, got)
	}
}
