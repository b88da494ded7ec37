package tutorials

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/ganbook/ganbook/gan"
)

// seedSeries are the benchmark budgets tutorial 08 ran with five seeds per side: the record of
// seed s is measured/<record(s)>.txt, bench/quality-vs-torch's output.
var seedSeries = []struct {
	name   string // prefix of the tutorial's markers
	record string // with %d for the seed
	// overlaps says, per metric, whether the tutorial states that ganbook's and PyTorch's 95 %
	// intervals overlap.
	overlaps map[string]bool
}{
	{"dcgan", "seeds/quality-dcgan-quick-seed%d", map[string]bool{"fid": true, "coverage": true}},
	{"mlp", "seeds/quality-mlp-3000-seed%d", map[string]bool{"fid": true, "coverage": true}},
}

// Tutorial 08 quotes benchmark records (checked by checkMeasured); the recipe it describes is
// checked against gan.DefaultConfig, and the seed groups' statistics are recomputed from the
// per-seed records.
func TestTutorial08NumbersAndRecords(t *testing.T) {
	cfg := gan.DefaultConfig()
	numbers := map[string]func() float64{
		"lr":        func() float64 { return cfg.LRG },
		"beta1":     func() float64 { return cfg.Beta1 },
		"realLabel": func() float64 { return cfg.RealLabel },
		"dropout":   func() float64 { return cfg.DropoutD },
		"batch":     func() float64 { return float64(cfg.Batch) },
		"steps":     func() float64 { return float64(cfg.Steps) },
		"tq":        func() float64 { return tQuantile4 },
	}
	for _, series := range seedSeries {
		type interval struct{ mean, half float64 }
		for metric, overlap := range series.overlaps {
			sides := map[string]interval{}
			largest := map[string]float64{}
			for _, side := range []string{"ganbook", "torch"} {
				var values []float64
				for seed := 1; seed <= 5; seed++ {
					path := filepath.Join("measured", fmt.Sprintf(series.record, seed)+".txt")
					v, err := recordedValue(path, metric, side)
					if err != nil {
						t.Fatal(err)
					}
					values = append(values, v)
					largest[side] = max(largest[side], v)
				}
				mean, half := tInterval95(t, values)
				sides[side] = interval{mean, half}
				numbers[fmt.Sprintf("%s_%s_%s_mean", series.name, metric, side)] = func() float64 { return mean }
				numbers[fmt.Sprintf("%s_%s_%s_hw", series.name, metric, side)] = func() float64 { return half }
			}
			g, p := sides["ganbook"], sides["torch"]
			// The tutorial: PyTorch's FID interval is the wider, and its worst seed the largest FID.
			if metric == "fid" && (p.half <= g.half || largest["torch"] <= largest["ganbook"]) {
				t.Errorf("%s FID: half-widths ganbook %.3f, PyTorch %.3f; largest ganbook %.3f, PyTorch %.3f: the tutorial says PyTorch's are larger",
					series.name, g.half, p.half, largest["ganbook"], largest["torch"])
			}
			apart := g.mean+g.half < p.mean-p.half || p.mean+p.half < g.mean-g.half
			if apart == overlap {
				t.Errorf("%s %s: ganbook %.3f ± %.3f, PyTorch %.3f ± %.3f: overlap = %v, the tutorial says %v",
					series.name, metric, g.mean, g.half, p.mean, p.half, !apart, overlap)
			}
		}
	}
	checkTutorial(t, tutorial{file: "08-quality-vs-pytorch.md", numbers: numbers})
}
