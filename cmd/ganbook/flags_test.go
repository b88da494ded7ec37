package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ganbook/ganbook/gan"
)

// Every field of gan.Config is set by the train flag configFlag names.
func TestEveryConfigFieldHasItsFlag(t *testing.T) {
	flags := newTrainCommand().Flags()
	for field := range gan.DefaultConfig().Params() {
		if flags.Lookup(strings.TrimPrefix(configFlag(field), "--")) == nil {
			t.Errorf("config field %s: no train flag %s", field, configFlag(field))
		}
	}
}

func TestConfigErrorsInFlagTerms(t *testing.T) {
	for _, tc := range []struct {
		name   string
		modify func(*gan.Config)
		want   []string // in the CLI's error, hand-written
	}{
		{"lr_d", func(c *gan.Config) { c.LRD = 0 }, []string{"invalid --lr-d: must be positive, got 0"}},
		{"latent_dim", func(c *gan.Config) { c.LatentDim = -1 }, []string{"invalid --latent-dim: must be positive"}},
		{"real_label", func(c *gan.Config) { c.RealLabel = 2 }, []string{"invalid --real-label: must be in (0, 1]"}},
		{"steps and epochs", func(c *gan.Config) { c.Steps, c.Epochs = 5, 1 }, []string{"invalid --steps: --steps and --epochs are both set (5 and 1)"}},
		{"neither", func(c *gan.Config) { c.Steps, c.Epochs = 0, 0 }, []string{"one of --steps or --epochs must be positive"}},
		{"two at once", func(c *gan.Config) { c.Batch, c.SampleGrid = 0, 40 }, []string{"invalid --batch: must be positive", "invalid --sample-grid: must be in 1..32"}},
		{"norm_d", func(c *gan.Config) { c.NormD = gan.NormBatch }, []string{"invalid --norm-d: the mlp discriminator has no normalisation layer; give none"}},
		{"a value that is a field name", func(c *gan.Config) { c.Model = "batch" }, []string{`invalid --model: "batch" is not one of`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := gan.DefaultConfig()
			tc.modify(&cfg)
			err := cfg.Validate()
			if err == nil {
				t.Fatal("Validate() = nil")
			}
			got := inFlagTerms(err).Error()
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("CLI error %q lacks %q", got, w)
				}
			}
		})
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("runs/a/checkpoints %w", gan.ErrCheckpointsExist), "runs/a/checkpoints already holds checkpoints: pass --resume to continue that run, or choose another --out"},
		{fmt.Errorf("%w in runs/a", gan.ErrNoCheckpoint), "--resume: no checkpoint found in runs/a"},
		{errors.New("other"), "other"},
	} {
		if got := inFlagTerms(tc.err); got.Error() != tc.want || !errors.Is(got, tc.err) {
			t.Errorf("inFlagTerms(%q) = %q, want %q wrapping it", tc.err, got, tc.want)
		}
	}
}
