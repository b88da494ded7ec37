package gan

import (
	"errors"
	"strings"
	"testing"
)

func TestDefaultConfigIsValid(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestConfigValidateNamesTheFlag(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
		flag   string
	}{
		{"zero batch", func(c *Config) { c.Batch = 0 }, "--batch"},
		{"negative batch", func(c *Config) { c.Batch = -4 }, "--batch"},
		{"zero lr-d", func(c *Config) { c.LRD = 0 }, "--lr-d"},
		{"negative lr-g", func(c *Config) { c.LRG = -1e-3 }, "--lr-g"},
		{"unknown model", func(c *Config) { c.Model = "nope" }, "--model"},
		{"unknown loss", func(c *Config) { c.Loss = "hinge" }, "--loss"},
		{"unknown dataset", func(c *Config) { c.Dataset = "cifar" }, "--dataset"},
		{"steps and epochs", func(c *Config) { c.Steps, c.Epochs = 10, 2 }, "--steps"},
		{"neither steps nor epochs", func(c *Config) { c.Steps, c.Epochs = 0, 0 }, "--steps"},
		{"beta1 one", func(c *Config) { c.Beta1 = 1 }, "--beta1"},
		{"real label zero", func(c *Config) { c.RealLabel = 0 }, "--real-label"},
		{"dropout one", func(c *Config) { c.DropoutD = 1 }, "--dropout-d"},
		{"negative dropout", func(c *Config) { c.DropoutD = -0.1 }, "--dropout-d"},
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
			if fe.Flag != tc.flag || !strings.Contains(err.Error(), tc.flag) {
				t.Errorf("error %q names %s, want %s", err, fe.Flag, tc.flag)
			}
		})
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
