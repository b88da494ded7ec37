package pretrained

import (
	"bufio"
	"bytes"
	"context"
	"image"
	"image/gif"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/gan/data"
	"github.com/ganbook/ganbook/gan/quality"
	"github.com/ganbook/ganbook/internal/gifanim"
)

func testBackend(t testing.TB) compute.Backend {
	t.Helper()
	b, err := gobackend.New("parallelism=-1")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// zeroSource serves blank labelled images: the round trip needs trained-looking
// weights, not good ones.
type zeroSource struct{}

func (zeroSource) Next([]float32)                     {}
func (zeroSource) NextLabeled(_ []float32, l []uint8) { clear(l) }
func (zeroSource) Position() (int, int)               { return 0, 0 }
func (zeroSource) Seek(int, int) error                { return nil }

// Encode then Decode draws what the checkpoint draws, up to float16 rounding
// of the weights: also for a generator that draws with a moving average of
// its weights and measured batch-norm statistics.
func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		model     string
		ema       float64
		preciseBN int
	}{{gan.ModelCMLP, 0, 0}, {gan.ModelCDCGAN, 0.9, 500}} {
		t.Run(tc.model, func(t *testing.T) { checkRoundTrip(t, tc.model, tc.ema, tc.preciseBN) })
	}
}

func checkRoundTrip(t *testing.T, model string, ema float64, preciseBN int) {
	backend := testBackend(t)
	cfg := gan.DefaultConfigFor(model)
	cfg.Batch, cfg.Steps, cfg.SampleEvery, cfg.SampleGrid, cfg.EMA, cfg.PreciseBN = 8, 2, 0, 2, ema, preciseBN
	dir := t.TempDir()
	tr, err := gan.NewTrainer(backend, cfg, zeroSource{}, 2, gan.Options{OutDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Run(context.Background(), gan.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	c, err := gan.FindCheckpoint(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	g, err := gan.LoadGenerator(backend, cfg, c)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Encode(&buf, g); err != nil {
		t.Fatal(err)
	}
	back, err := Decode(backend, buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if back.Step() != 2 || back.Config() != cfg || back.Classes() != gan.NumClasses {
		t.Fatalf("decoded step %d, config %+v, %d classes", back.Step(), back.Config(), back.Classes())
	}
	z := gan.LatentVectors(1, 4, cfg.LatentDim)
	labels := []uint8{0, 3, 7, 9}
	want, err := g.GenerateClasses(z, labels)
	if err != nil {
		t.Fatal(err)
	}
	got, err := back.GenerateClasses(z, labels)
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for i := range got {
		worst = math.Max(worst, math.Abs(float64(got[i]-want[i])))
	}
	if worst > 2e-2 || worst == 0 {
		t.Errorf("largest pixel difference after the float16 round trip %g, want in (0, 0.02]", worst)
	}
	for _, bad := range [][]byte{nil, []byte("not a generator"), buf.Bytes()[:buf.Len()-2], append(buf.Bytes(), 0, 0)} {
		if _, err := Decode(backend, bad); err == nil {
			t.Errorf("Decode accepted a %d-byte corrupt file", len(bad))
		}
	}
}

// recordRow matches a line of the per-class table `ganbook eval-classes` prints.
var recordRow = regexp.MustCompile(`^\s*(\d)\s+([0-9.]+)%\s+([0-9.]+)`)

// The run's record (tutorials/measured/conditional-run.txt) has every class
// at 95 % or more, and the committed conditional generator reproduces it: on
// the same 1,000 latent vectors per class as `ganbook eval-classes`, the
// classifier labels each class as asked at least 95 % of the time, and
// within 1.5 points of the record (the float16 weights, and another CPU's
// float32 rounding, may move a few samples; on the recording machine none moved).
func TestConditionalMNISTDrawsEveryDigitOnDemand(t *testing.T) {
	record, err := os.ReadFile(filepath.Join("..", "..", "tutorials", "measured", "conditional-run.txt"))
	if err != nil {
		t.Fatal(err)
	}
	recorded := map[int]float64{}
	sc := bufio.NewScanner(bytes.NewReader(record))
	for sc.Scan() {
		if m := recordRow.FindStringSubmatch(sc.Text()); m != nil {
			c, _ := strconv.Atoi(m[1])
			acc, _ := strconv.ParseFloat(m[2], 64)
			recorded[c] = acc / 100
		}
	}
	if len(recorded) != gan.NumClasses {
		t.Fatalf("the record has %d per-class rows, want %d", len(recorded), gan.NumClasses)
	}
	backend := testBackend(t)
	g, err := ConditionalMNIST(backend)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := quality.LoadExtractor(backend, gan.DatasetMNIST)
	if err != nil {
		t.Fatal(err)
	}
	const n = 1000
	z := gan.LatentVectors(1, n, g.LatentDim()) // evalSampleSeed of cmd/ganbook
	low, high := g.Range()
	for c := range gan.NumClasses {
		labels := bytes.Repeat([]byte{byte(c)}, n)
		pixels, err := g.GenerateClasses(z, labels)
		if err != nil {
			t.Fatal(err)
		}
		out, err := ex.Run(quality.ToUnitRange(pixels, data.Range{Min: float32(low), Max: float32(high)}), n)
		if err != nil {
			t.Fatal(err)
		}
		hits := 0
		for _, p := range out.Predictions() {
			if p == c {
				hits++
			}
		}
		acc := float64(hits) / n
		if recorded[c] < 0.95 {
			t.Errorf("class %d: the record says %.2f%%, under the 95%% goal", c, 100*recorded[c])
		}
		t.Logf("class %d: %.1f%% labelled as asked (record %.2f%%)", c, 100*acc, 100*recorded[c])
		if acc < 0.95 || math.Abs(acc-recorded[c]) > 0.015 {
			t.Errorf("class %d: the classifier labels %.1f%% of the samples %d; the record says %.2f%%", c, 100*acc, c, 100*recorded[c])
		}
	}
}

// Export writes a run's checkpoint as the committed generator file:
//
//	GANBOOK_EXPORT_CHECKPOINTS=RUN_OUT_DIR GANBOOK_EXPORT_CONFIG="$(config JSON)" \
//	  go test ./gan/pretrained -run TestExport
func TestExport(t *testing.T) {
	dir, cfgJSON := os.Getenv("GANBOOK_EXPORT_CHECKPOINTS"), os.Getenv("GANBOOK_EXPORT_CONFIG")
	if dir == "" || cfgJSON == "" {
		t.Skip("set GANBOOK_EXPORT_CHECKPOINTS and GANBOOK_EXPORT_CONFIG to export a generator")
	}
	cfg, err := gan.ConfigFromJSON([]byte(cfgJSON))
	if err != nil {
		t.Fatal(err)
	}
	c, err := gan.FindCheckpoint(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	g, err := gan.LoadGenerator(testBackend(t), cfg, c)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Encode(&buf, g); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg.Model+"-"+cfg.Dataset+".f16", buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// ExportProgress writes a run's sample grids, cropped to their top-left
// DCGANMNISTProgressCells² images, as the committed progress animation:
//
//	GANBOOK_EXPORT_SAMPLES=RUN_OUT_DIR/samples go test ./gan/pretrained -run TestExportProgress
func TestExportProgress(t *testing.T) {
	dir := os.Getenv("GANBOOK_EXPORT_SAMPLES")
	if dir == "" {
		t.Skip("set GANBOOK_EXPORT_SAMPLES to export a progress animation")
	}
	names, err := filepath.Glob(filepath.Join(dir, "step-*.png"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no sample grids in %s (%v)", dir, err)
	}
	slices.Sort(names) // step-NNNNNN.png: zero-padded, so name order is step order
	side := DCGANMNISTProgressCells*(2*gan.ImageSize+2) + 2
	var frames []image.Image
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		sub, ok := img.(interface {
			SubImage(image.Rectangle) image.Image
		})
		if !ok {
			t.Fatalf("%s: a %T cannot be cropped", name, img)
		}
		frames = append(frames, sub.SubImage(image.Rect(0, 0, side, side)))
	}
	var buf bytes.Buffer
	if err := gifanim.Encode(&buf, frames, 25); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("dcgan-mnist-progress.gif", buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// qualityLine matches the last report of a run's record: its step, FID,
// coverage and class histogram follow.
var qualityLine = regexp.MustCompile(`^step (\d+): FID ([0-9.]+)\s+coverage (\d+)/10`)

// dcganRecord is the record of the run the committed DCGAN comes from: the
// DCGAN default recipe's seed 1, ending with `ganbook eval` at its last step.
var dcganRecord = filepath.Join("..", "..", "tutorials", "measured", "dcgan-default", "seed1.txt")

// The committed DCGAN reproduces its record's first quality report
// (dcganRecord): drawn from the same 10,000 latent vectors as `ganbook eval`,
// the FID is within 0.25 of the recorded one (float16 weights move it a
// little), every digit has at least 5 % of the samples, and each class's
// share is within half a point of the record's. It is the default recipe,
// with the record's seed, at its last step.
func TestDCGANMNISTMatchesItsRecord(t *testing.T) {
	record, err := os.ReadFile(dcganRecord)
	if err != nil {
		t.Fatal(err)
	}
	var step int
	var fid float64
	var shares []float64
	lines := strings.Split(string(record), "\n")
	for i, line := range lines {
		m := qualityLine.FindStringSubmatch(line)
		if m == nil || i+1 == len(lines) {
			continue
		}
		step, _ = strconv.Atoi(m[1])
		fid, _ = strconv.ParseFloat(m[2], 64)
		shares = shares[:0]
		for _, c := range classShare.FindAllStringSubmatch(lines[i+1], -1) {
			v, _ := strconv.ParseFloat(c[1], 64)
			shares = append(shares, v/100)
		}
		break // the first report is `ganbook eval` as the run draws; others load it otherwise
	}
	recipe := gan.DCGANConfig()
	if step != recipe.Steps || len(shares) != gan.NumClasses {
		t.Fatalf("the record's first report: step %d with %d class shares, want step %d with 10", step, len(shares), recipe.Steps)
	}
	backend := testBackend(t)
	g, err := DCGANMNIST(backend)
	if err != nil {
		t.Fatal(err)
	}
	recipe.Seed = 1
	if g.Step() != step || g.Config() != recipe {
		t.Fatalf("committed generator: %+v at step %d, want the DCGAN's default recipe %+v at %d", g.Config(), g.Step(), recipe, step)
	}
	ex, err := quality.LoadExtractor(backend, gan.DatasetMNIST)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := data.Load(gan.DatasetMNIST, data.Test, data.Options{Scale: quality.InputRange})
	if err != nil {
		t.Fatal(err)
	}
	low, high := g.Range()
	r, err := quality.EvaluateGenerator(ex, g.Generate, quality.SampleOptions{
		Samples: 10000, LatentDim: g.LatentDim(), Seed: 1, // evalSampleSeed of cmd/ganbook
		Range: data.Range{Min: float32(low), Max: float32(high)},
	}, ref)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("FID %.3f (record %.2f), coverage %d/10", r.FID, fid, r.Coverage)
	if math.Abs(r.FID-fid) > 0.25 {
		t.Errorf("FID %.3f, the record says %.2f", r.FID, fid)
	}
	for c, share := range r.ClassFractions {
		if share < 0.05 || math.Abs(share-shares[c]) > 0.005 {
			t.Errorf("class %d: %.2f%% of the samples, the record says %.1f%% (want both ≥ 5%%)", c, 100*share, 100*shares[c])
		}
	}
}

// classShare matches one class's share in a record's class histogram.
var classShare = regexp.MustCompile(`\d:([0-9.]+)%`)

// The progress animation is the committed generator's own run: one frame
// per sample grid (every SampleEvery steps up to the generator's step), and
// the last is what the committed generator draws from the run's sample-grid
// latents, up to the float16 rounding of its weights.
func TestDCGANMNISTProgressIsItsRun(t *testing.T) {
	anim, err := gif.DecodeAll(bytes.NewReader(DCGANMNISTProgress()))
	if err != nil {
		t.Fatal(err)
	}
	g, err := DCGANMNIST(testBackend(t))
	if err != nil {
		t.Fatal(err)
	}
	every := g.Config().SampleEvery
	if want := g.Step() / every; len(anim.Image) != want {
		t.Fatalf("%d frames, want %d (steps %d, %d, …, %d)", len(anim.Image), want, every, 2*every, g.Step())
	}
	const grid, k = 8, DCGANMNISTProgressCells
	cfg := g.Config()
	pixels, err := g.Generate(gan.SampleGridLatents(cfg.Seed, grid*grid, cfg.LatentDim))
	if err != nil {
		t.Fatal(err)
	}
	low, high := g.Range()
	last := anim.Image[len(anim.Image)-1]
	worst, differing := 0, 0
	cell := 2*gan.ImageSize + 2
	for row := range k {
		for col := range k {
			img := pixels[(row*grid+col)*gan.ImageSize*gan.ImageSize:]
			for y := range gan.ImageSize {
				for x := range gan.ImageSize {
					v := (float64(img[y*gan.ImageSize+x]) - low) / (high - low)
					want := int(max(0, min(1, v))*255 + 0.5)
					got := int(last.ColorIndexAt(2+col*cell+2*x, 2+row*cell+2*y)) // gray palette: index = level
					d := max(got-want, want-got)
					worst = max(worst, d)
					if d > 0 {
						differing++
					}
				}
			}
		}
	}
	t.Logf("last frame against the committed generator: %d of %d pixels differ, by at most %d grey levels", differing, k*k*gan.ImageSize*gan.ImageSize, worst)
	if worst > 2 {
		t.Errorf("the last frame differs from the committed generator's drawing by up to %d grey levels", worst)
	}
}
