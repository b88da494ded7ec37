package tutorials

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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
	numbers["dcganLRG"] = func() float64 { return dcgan.LRG }
	numbers["dcganDropout"] = func() float64 { return dcgan.DropoutD }
	numbers["dcganPreciseBN"] = func() float64 { return float64(dcgan.PreciseBN) }
	if dcgan.NormD != gan.NormNone {
		t.Errorf("the tutorial says the DCGAN's recipe has no batch norm in D; DCGANConfig().NormD = %q", dcgan.NormD)
	}
	// The recipe's five seeds (measured/dcgan-default/seed<N>.txt): `ganbook eval` of the last
	// step as the recipe draws (G's batch-norm statistics measured), then with --precise-bn 0
	// (the running averages); and the first recipe's five seeds
	// (measured/dcgan-search/recipe1-seed<N>.txt).
	last := fmt.Sprintf("step %d:", dcgan.Steps)
	fiveSeeds := func(record, line string) (fids []float64, full int) {
		t.Helper()
		for seed := 1; seed <= 5; seed++ {
			path := filepath.Join("measured", fmt.Sprintf(record, seed))
			fid, err := recordedValue(path, line, "FID")
			if err != nil {
				t.Fatal(err)
			}
			coverage, err := recordedValue(path, line, "coverage")
			if err != nil {
				t.Fatal(err)
			}
			fids = append(fids, fid)
			if coverage == 10 {
				full++
			}
		}
		return fids, full
	}
	fids, full := fiveSeeds("dcgan-default/seed%d.txt", last+"@1")
	running, runningFull := fiveSeeds("dcgan-default/seed%d.txt", last+"@2")
	recipe1, recipe1Full := fiveSeeds("dcgan-search/recipe1-seed%d.txt", last)
	if full != 5 || recipe1Full != 5 {
		t.Errorf("%d of the recipe's seeds and %d of the first recipe's cover every digit; the tutorial says all five of each", full, recipe1Full)
	}
	fidMean, fidHalf := tInterval95(t, fids)
	numbers["dcganDefault_fid_mean"] = func() float64 { return fidMean }
	numbers["dcganDefault_fid_hw"] = func() float64 { return fidHalf }
	numbers["dcganDefault_fid_min"] = func() float64 { return slices.Min(fids) }
	numbers["dcganDefault_fid_max"] = func() float64 { return slices.Max(fids) }
	recipe1Mean, recipe1Half := tInterval95(t, recipe1)
	numbers["dcganRecipe1_fid_mean"] = func() float64 { return recipe1Mean }
	numbers["dcganRecipe1_fid_hw"] = func() float64 { return recipe1Half }
	runningMean, runningHalf := tInterval95(t, running)
	numbers["dcganRunning_fid_mean"] = func() float64 { return runningMean }
	numbers["dcganRunning_fid_hw"] = func() float64 { return runningHalf }
	numbers["dcganRunning_full"] = func() float64 { return float64(runningFull) }
	// Each change over the same five seeds: the FID it takes away, seed by seed.
	gain := func(before, after []float64) (mean, half float64, lower int) {
		d := make([]float64, len(before))
		for i := range before {
			d[i] = before[i] - after[i]
			if d[i] > 0 {
				lower++
			}
		}
		mean, half = tInterval95(t, d)
		return mean, half, lower
	}
	// G's learning rate alone (both with the running averages), the measured statistics alone,
	// and the two together.
	lrGain, lrHalf, lrLower := gain(recipe1, running)
	numbers["lrGain_mean"] = func() float64 { return lrGain }
	numbers["lrGain_hw"] = func() float64 { return lrHalf }
	numbers["lrGain_lower"] = func() float64 { return float64(lrLower) }
	bnGain, bnHalf, bnLower := gain(running, fids)
	bothGain, bothHalf, bothLower := gain(recipe1, fids)
	numbers["bothGain_mean"] = func() float64 { return bothGain }
	numbers["bothGain_hw"] = func() float64 { return bothHalf }
	numbers["bothGain_lower"] = func() float64 { return float64(bothLower) }
	// The tutorial: over five seeds none of the three gains is clear of zero at 95 %.
	for _, g := range []struct {
		name       string
		mean, half float64
	}{{"G's learning rate", lrGain, lrHalf}, {"measured statistics", bnGain, bnHalf}, {"both", bothGain, bothHalf}} {
		if g.mean-g.half > 0 {
			t.Errorf("%s: gain %.3f ± %.3f is clear of zero; the tutorial says it is not", g.name, g.mean, g.half)
		}
	}
	numbers["bnGain_mean"] = func() float64 { return bnGain }
	numbers["bnGain_hw"] = func() float64 { return bnHalf }
	numbers["bnGain_lower"] = func() float64 { return float64(bnLower) }
	mlpFID, err := recordedValue(filepath.Join("measured", "default-run.txt"), fmt.Sprintf("step %d:", cfg.Steps), "FID")
	if err != nil {
		t.Fatal(err)
	}
	// The MLP default over five seeds on each backend (measured/mlp-default).
	goSeeds := mlpDefaultSeeds(t, "go", "Go Backend", "Intel(R) Xeon(R)")
	if goSeeds.fids[0] != mlpFID {
		t.Errorf("seed 1 of the five-seed records ends at FID %.2f, the default run's record at %.2f: the same command should give the same run", goSeeds.fids[0], mlpFID)
	}
	mlpMean, mlpHalf := tInterval95(t, goSeeds.fids)
	numbers["mlpSeeds_fid_mean"] = func() float64 { return mlpMean }
	numbers["mlpSeeds_fid_hw"] = func() float64 { return mlpHalf }
	numbers["mlpSeeds_fid_min"] = func() float64 { return slices.Min(goSeeds.fids) }
	numbers["mlpSeeds_fid_max"] = func() float64 { return slices.Max(goSeeds.fids) }
	numbers["mlpSeeds_full"] = func() float64 { return float64(goSeeds.full) }
	if spread := slices.Max(goSeeds.fids) - slices.Min(goSeeds.fids); spread <= 1 {
		t.Errorf("the MLP's five FIDs span %.2f; the tutorial says a change of seed moves them by more than a point", spread)
	}
	seed2Zeros := onlyClassUnder5(t, "go-seed2.txt", 0, cfg.Steps)
	numbers["mlpSeed2_zeros"] = func() float64 { return seed2Zeros }
	// The same recipe trained on XLA's CPU plugin, five seeds: its mean FID within 1.2× of the
	// go backend's (#14), the intervals overlapping, and as many seeds covering every digit.
	xlaSeeds := mlpDefaultSeeds(t, "xla:cpu", "xla", "AMD EPYC")
	xlaMean, xlaHalf := tInterval95(t, xlaSeeds.fids)
	numbers["xlaSeeds_fid_mean"] = func() float64 { return xlaMean }
	numbers["xlaSeeds_fid_hw"] = func() float64 { return xlaHalf }
	numbers["xlaToGo_ratio"] = func() float64 { return xlaMean / mlpMean }
	numbers["xlaSeeds_full"] = func() float64 { return float64(xlaSeeds.full) }
	if ratio := xlaMean / mlpMean; ratio > 1.2 {
		t.Errorf("XLA's mean FID %.2f is %.2f× the go backend's %.2f; the tutorial says within 1.2×", xlaMean, ratio, mlpMean)
	}
	if xlaMean+xlaHalf < mlpMean-mlpHalf || mlpMean+mlpHalf < xlaMean-xlaHalf {
		t.Errorf("XLA %.3f ± %.3f and go %.3f ± %.3f: the tutorial says the intervals overlap", xlaMean, xlaHalf, mlpMean, mlpHalf)
	}
	if xlaSeeds.full != goSeeds.full {
		t.Errorf("%d XLA seeds and %d go seeds cover every digit; the tutorial says as many on both", xlaSeeds.full, goSeeds.full)
	}
	xlaSeed1Fours := onlyClassUnder5(t, "xla-seed1.txt", 4, cfg.Steps)
	numbers["xlaSeed1_fours"] = func() float64 { return xlaSeed1Fours }
	// The goal the search set itself: the DCGAN's mean FID over five seeds below the MLP
	// default's. Whether the two 95 % intervals are apart is what the tutorial says it is.
	if fidMean >= mlpMean {
		t.Errorf("the DCGAN's mean FID %.3f is not below the MLP's %.3f; the tutorial says it is", fidMean, mlpMean)
	}
	numbers["dcganBelowMLP"] = func() float64 { return mlpMean - fidMean }
	if apart := fidMean+fidHalf < mlpMean-mlpHalf; apart != dcganApartFromMLP {
		t.Errorf("DCGAN %.3f ± %.3f and MLP %.3f ± %.3f: apart = %v, the tutorial says %v", fidMean, fidHalf, mlpMean, mlpHalf, apart, dcganApartFromMLP)
	}
	if goSeeds.full >= 5 {
		t.Errorf("the MLP covers every digit in %d of 5 seeds; the tutorial says in fewer than the DCGAN's 5", goSeeds.full)
	}
	// The recipe's run time: the slowest of the five seeds' whole training commands.
	var slowest float64
	for seed := 1; seed <= 5; seed++ {
		wall, err := recordedValue(filepath.Join("measured", "dcgan-default", fmt.Sprintf("seed%d.txt", seed)), "# wall time of the training command:", "first")
		if err != nil {
			t.Fatal(err)
		}
		slowest = max(slowest, wall)
	}
	numbers["dcganMinutes"] = func() float64 { return slowest / 60 }
	checkTutorial(t, tutorial{file: "08-quality-vs-pytorch.md", numbers: numbers})
}

// dcganApartFromMLP is whether tutorial 08 says the DCGAN default's five-seed FID interval
// lies below the MLP default's, apart from it.
const dcganApartFromMLP = false

// seedRecords are the last-step evaluations of one recipe's five seeds.
type seedRecords struct {
	fids []float64
	full int // seeds whose samples cover all ten digits
}

// mlpDefaultSeeds reads measured/mlp-default/<backend>-seed<N>.txt for N = 1 to 5:
// `GOMLX_BACKEND=<backend> ganbook train --seed N` with no other flags, then `ganbook eval`
// of the last step on the go backend. A record whose command or run is not the default recipe
// with that seed on that backend (engine: the name the run's first line gives it), or whose
// first line does not name the CPU the tutorial says the records come from, fails the test.
func mlpDefaultSeeds(t *testing.T, backend, engine, cpu string) seedRecords {
	t.Helper()
	cfg := gan.DefaultConfig()
	last := fmt.Sprintf("step %d:", cfg.Steps)
	var r seedRecords
	for seed := 1; seed <= 5; seed++ {
		path := filepath.Join("measured", "mlp-default", fmt.Sprintf("%s-seed%d.txt", strings.Split(backend, ":")[0], seed))
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		command := fmt.Sprintf("GOMLX_BACKEND=%s ganbook train --seed %d, then GOMLX_BACKEND=go ganbook eval of the last step", backend, seed)
		run := fmt.Sprintf("training %s on %s (60000 images), %s loss, %d steps of batch %d, backend %s,",
			cfg.Model, cfg.Dataset, cfg.Loss, cfg.Steps, cfg.Batch, engine)
		for _, want := range []string{command, run} {
			if !strings.Contains(string(data), want) {
				t.Errorf("%s does not record %q", path, want)
			}
		}
		if first, _, _ := strings.Cut(string(data), "\n"); !strings.Contains(first, cpu) {
			t.Errorf("%s: its first line %q does not name the %s the tutorial says it was recorded on", path, first, cpu)
		}
		fid, err := recordedValue(path, last, "FID")
		if err != nil {
			t.Fatal(err)
		}
		coverage, err := recordedValue(path, last, "coverage")
		if err != nil {
			t.Fatal(err)
		}
		r.fids = append(r.fids, fid)
		if coverage == 10 {
			r.full++
		}
	}
	return r
}

// onlyClassUnder5 returns digit's share of the samples at the last step (steps) of
// measured/mlp-default/record, and fails the test unless it is the one digit under the 5 %
// coverage threshold there, as the tutorial says of that seed.
func onlyClassUnder5(t *testing.T, record string, digit, steps int) float64 {
	t.Helper()
	path := filepath.Join("measured", "mlp-default", record)
	shares, err := classShares(path, fmt.Sprintf("step %d:", steps))
	if err != nil {
		t.Fatal(err)
	}
	for c, share := range shares {
		if (share < 5) != (c == digit) {
			t.Errorf("%s: class shares %v; the tutorial says the %ds are the one digit under 5 %%", path, shares, digit)
			break
		}
	}
	return shares[digit]
}

// classShares reads the per-class percentages that `ganbook eval` prints on the line after
// the one starting with step ("  classes  0:4.4%!  1:16.6% …", a "!" marking those under 5 %).
func classShares(path, step string) ([]float64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(string(data), "\n")
	for i := 0; i+1 < len(lines); i++ {
		if !strings.HasPrefix(lines[i], step+" ") {
			continue
		}
		fields := strings.Fields(lines[i+1])
		if len(fields) != 11 || fields[0] != "classes" {
			return nil, fmt.Errorf("%s: the line after %q is not a class histogram: %q", path, step, lines[i+1])
		}
		shares := make([]float64, 10)
		for c, f := range fields[1:] {
			label, share, ok := strings.Cut(strings.TrimSuffix(strings.TrimSuffix(f, "!"), "%"), ":")
			v, err := strconv.ParseFloat(share, 64)
			if !ok || label != strconv.Itoa(c) || err != nil {
				return nil, fmt.Errorf("%s: class %d reads %q", path, c, f)
			}
			shares[c] = v
		}
		return shares, nil
	}
	return nil, fmt.Errorf("%s: no line starts with %q", path, step)
}
