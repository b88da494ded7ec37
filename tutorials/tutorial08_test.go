package tutorials

import (
	"fmt"
	"path/filepath"
	"slices"
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
	dcgan := gan.DCGANConfig()
	numbers["dcganBatch"] = func() float64 { return float64(dcgan.Batch) }
	numbers["dcganSteps"] = func() float64 { return float64(dcgan.Steps) }
	numbers["dcganLRD"] = func() float64 { return dcgan.LRD }
	numbers["dcganDropout"] = func() float64 { return dcgan.DropoutD }
	if dcgan.NormD != gan.NormNone {
		t.Errorf("the tutorial says the DCGAN's recipe has no batch norm in D; DCGANConfig().NormD = %q", dcgan.NormD)
	}
	// The recipe's five seeds (measured/dcgan-default/seed<N>.txt, `ganbook eval` at the last
	// step): the FID's mean and 95 % interval, every seed at 10 of 10, and the interval above
	// the MLP default's FID (measured/default-run.txt at its last step).
	last := fmt.Sprintf("step %d:", dcgan.Steps)
	var fids []float64
	for seed := 1; seed <= 5; seed++ {
		path := filepath.Join("measured", "dcgan-default", fmt.Sprintf("seed%d.txt", seed))
		fid, err := recordedValue(path, last, "FID")
		if err != nil {
			t.Fatal(err)
		}
		coverage, err := recordedValue(path, last, "coverage")
		if err != nil {
			t.Fatal(err)
		}
		if coverage != 10 {
			t.Errorf("%s: %g of 10 digits covered; the tutorial says every seed covers all ten", path, coverage)
		}
		fids = append(fids, fid)
	}
	fidMean, fidHalf := tInterval95(t, fids)
	numbers["dcganDefault_fid_mean"] = func() float64 { return fidMean }
	numbers["dcganDefault_fid_hw"] = func() float64 { return fidHalf }
	numbers["dcganDefault_fid_min"] = func() float64 { return slices.Min(fids) }
	numbers["dcganDefault_fid_max"] = func() float64 { return slices.Max(fids) }
	mlpFID, err := recordedValue(filepath.Join("measured", "default-run.txt"), fmt.Sprintf("step %d:", cfg.Steps), "FID")
	if err != nil {
		t.Fatal(err)
	}
	numbers["mlpDefault_fid"] = func() float64 { return mlpFID }
	// The recipe's run time: its steps at the slower of the two idle 1,000-step timings.
	var slowest float64
	for _, round := range []string{"round 1 after:", "round 2 after:"} {
		wall, err := recordedValue(filepath.Join("measured", "dcgan-default", "speed.txt"), round, "wall")
		if err != nil {
			t.Fatal(err)
		}
		slowest = max(slowest, wall)
	}
	numbers["dcganMinutes"] = func() float64 { return float64(dcgan.Steps) / 1000 * slowest / 60 }
	if fidMean-fidHalf <= mlpFID {
		t.Errorf("the DCGAN recipe's FID %.3f ± %.3f reaches down to the MLP default's %.2f; the tutorial says it lies above", fidMean, fidHalf, mlpFID)
	}
	checkTutorial(t, tutorial{file: "08-quality-vs-pytorch.md", numbers: numbers})
}
