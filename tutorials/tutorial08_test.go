package tutorials

import (
	"testing"

	"github.com/ganbook/ganbook/gan"
)

// Tutorial 08 quotes benchmark records (checked by checkMeasured); the
// recipe it describes is checked against gan.DefaultConfig.
func TestTutorial08NumbersAndRecords(t *testing.T) {
	cfg := gan.DefaultConfig()
	checkTutorial(t, tutorial{
		file: "08-quality-vs-pytorch.md",
		numbers: map[string]func() float64{
			"lr":        func() float64 { return cfg.LRG },
			"beta1":     func() float64 { return cfg.Beta1 },
			"realLabel": func() float64 { return cfg.RealLabel },
			"dropout":   func() float64 { return cfg.DropoutD },
			"batch":     func() float64 { return float64(cfg.Batch) },
			"steps":     func() float64 { return float64(cfg.Steps) },
		},
	})
}
