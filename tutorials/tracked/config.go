package tracked

import (
	"os"
	"path/filepath"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/gantrack"
)

// NotebookConfig is the MNIST run of notebook 06, the baseline of notebook 07: gan's default
// MLP recipe cut to 300 steps of 64 images, with a 6 × 6 sample grid every 100 steps.
func NotebookConfig() gan.Config {
	cfg := gan.DefaultConfig()
	cfg.Steps, cfg.Batch, cfg.SampleEvery, cfg.CheckpointEvery, cfg.SampleGrid = 300, 64, 100, 0, 6
	return cfg
}

// Variant is a named change of NotebookConfig that notebook 07 compares.
type Variant struct {
	Name  string
	Apply func(*gan.Config)
}

// Variants are the runs notebook 07 compares: the baseline, a five times larger generator
// learning rate, and the saturating (minimax) generator loss.
func Variants() []Variant {
	return []Variant{
		{"baseline", func(*gan.Config) {}},
		{"lr_g=1e-3", func(c *gan.Config) { c.LRG = 1e-3 }},
		{"minimax", func(c *gan.Config) { c.Loss = gan.LossMinimax }},
	}
}

// Config returns NotebookConfig with the variant applied.
func (v Variant) Config() gan.Config {
	cfg := NotebookConfig()
	v.Apply(&cfg)
	return cfg
}

// ConfigTag identifies a configuration trained by this version of the trainer (gantrack.ConfigHash:
// a hash of gan.TrainerVersion and the configuration's JSON). Every recorded run has it as tag
// "config", so that a notebook finds an earlier run of exactly the configuration it wants with the
// filter tags.config = '…', and never one that older code trained differently.
func ConfigTag(cfg gan.Config) string { return gantrack.ConfigHash(cfg) }

// DBPath is the tracker database that notebooks 06 and 07 share: ganbook-notebooks.db in the
// system's temporary directory ($TMPDIR), so that it is never committed.
func DBPath() string { return filepath.Join(os.TempDir(), "ganbook-notebooks.db") }
