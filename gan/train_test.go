package gan

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"image/png"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// syntheticSource yields deterministic pseudo-random "images" of n examples, so
// trainer tests need no dataset. It walks the examples in order, batch after batch.
type syntheticSource struct {
	images     []float32
	n, pos, ep int
	batchSize  int
	poison     bool // every pixel NaN, to make the loss diverge
}

func newSyntheticSource(n, batch int, seed uint64) *syntheticSource {
	rng := rand.New(rand.NewPCG(seed, 1))
	img := make([]float32, n*ImageSize*ImageSize)
	for i := range img {
		img[i] = rng.Float32()
	}
	return &syntheticSource{images: img, n: n, batchSize: batch}
}

func (s *syntheticSource) Next(dst []float32) {
	const px = ImageSize * ImageSize
	for b := 0; b < s.batchSize; b++ {
		if s.pos == s.n {
			s.pos, s.ep = 0, s.ep+1
		}
		copy(dst[b*px:(b+1)*px], s.images[s.pos*px:(s.pos+1)*px])
		s.pos++
	}
	if s.poison {
		for i := range dst {
			dst[i] = float32(math.NaN())
		}
	}
}
func (s *syntheticSource) Position() (int, int) { return s.ep, s.pos }
func (s *syntheticSource) Seek(epoch, index int) error {
	if index < 0 || index > s.n {
		return errors.New("index out of range")
	}
	s.ep, s.pos = epoch, index
	return nil
}

func smallConfig() Config {
	cfg := DefaultConfig()
	cfg.Batch = 8
	cfg.Steps = 6
	cfg.SampleEvery = 0
	cfg.CheckpointEvery = 3
	cfg.SampleGrid = 2
	return cfg
}

// variableDigests hashes every variable's bytes under a scope prefix.
func variableDigests(t *testing.T, store *model.Store, prefix string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	for v := range store.IterVariables() {
		if !strings.HasPrefix(v.Path(), prefix) {
			continue
		}
		value, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		if err := value.ConstBytes(func(b []byte) { out[v.Path()] = sha256.Sum256(b) }); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func countChanged(before, after map[string][32]byte) (changed int) {
	for k, v := range before {
		if after[k] != v {
			changed++
		}
	}
	return changed
}

// Each optimiser must move only its own network: the D step leaves every
// generator variable bitwise unchanged, and the G step every discriminator one.
func TestStepsUpdateOnlyTheirOwnNetwork(t *testing.T) {
	for _, arch := range []string{ModelMLP, ModelDCGAN} {
		t.Run(arch, func(t *testing.T) {
			cfg := smallConfig()
			cfg.Model = arch
			src := newSyntheticSource(64, cfg.Batch, 7)
			tr, err := NewTrainer(testBackend(t), cfg, src, cfg.Steps, Options{})
			if err != nil {
				t.Fatal(err)
			}
			// One full iteration creates every variable (both networks, both optimisers).
			if _, err := tr.TrainStep(); err != nil {
				t.Fatal(err)
			}
			genBefore := variableDigests(t, tr.Store(), GeneratorScope)
			discBefore := variableDigests(t, tr.Store(), DiscriminatorScope)
			if len(genBefore) == 0 || len(discBefore) == 0 {
				t.Fatalf("found %d generator and %d discriminator variables", len(genBefore), len(discBefore))
			}
			real := make([]float32, cfg.Batch*ImageSize*ImageSize)
			src.Next(real)
			if _, err := tr.discriminatorStep(tensors.FromFlatDataAndDimensions(real, cfg.Batch, ImageSize, ImageSize, 1)); err != nil {
				t.Fatal(err)
			}
			genAfterD := variableDigests(t, tr.Store(), GeneratorScope)
			discAfterD := variableDigests(t, tr.Store(), DiscriminatorScope)
			if n := countChanged(genBefore, genAfterD); n != 0 {
				t.Errorf("D step changed %d generator variables", n)
			}
			if n := countChanged(discBefore, discAfterD); n == 0 {
				t.Errorf("D step changed no discriminator variable")
			}
			if _, err := tr.generatorStep(); err != nil {
				t.Fatal(err)
			}
			if n := countChanged(discAfterD, variableDigests(t, tr.Store(), DiscriminatorScope)); n != 0 {
				t.Errorf("G step changed %d discriminator variables", n)
			}
			if n := countChanged(genAfterD, variableDigests(t, tr.Store(), GeneratorScope)); n == 0 {
				t.Errorf("G step changed no generator variable")
			}
		})
	}
}

// NormD "none" takes the batch norm out of both DCGAN discriminators (no
// /disc/bn2 variables, and D's output changes), and leaves the generator as it
// was: the same G variables, drawing the same images before training.
func TestNormDNoneRemovesTheDiscriminatorsBatchNorm(t *testing.T) {
	for _, arch := range []string{ModelDCGAN, ModelCDCGAN} {
		t.Run(arch, func(t *testing.T) {
			vars := map[string][]string{}
			grids := map[string][]byte{}
			for _, norm := range []string{"", NormBatch, NormNone} {
				cfg := smallConfig()
				cfg.Model, cfg.NormD = arch, norm
				var src BatchSource = newSyntheticSource(64, cfg.Batch, 7)
				if arch == ModelCDCGAN {
					src = labeledSource{newSyntheticSource(64, cfg.Batch, 7)}
				}
				tr, err := NewTrainer(testBackend(t), cfg, src, cfg.Steps, Options{})
				if err != nil {
					t.Fatal(err)
				}
				grid, err := tr.SampleGrid()
				if err != nil {
					t.Fatal(err)
				}
				grids[norm] = grid
				if _, err := tr.TrainStep(); err != nil {
					t.Fatal(err)
				}
				for v := range tr.Store().IterVariables() {
					if strings.HasPrefix(v.Path(), DiscriminatorScope+"/bn2/") {
						vars[norm] = append(vars[norm], v.Path())
					}
				}
			}
			if len(vars[""]) == 0 || !slices.Equal(vars[""], vars[NormBatch]) {
				t.Errorf("default and batch: bn2 variables %v and %v, want the same, not none", vars[""], vars[NormBatch])
			}
			if len(vars[NormNone]) != 0 {
				t.Errorf("norm_d none still has %v", vars[NormNone])
			}
			if !bytes.Equal(grids[""], grids[NormNone]) {
				t.Error("norm_d changed the untrained generator's samples")
			}
		})
	}
}

// A run stopped at step 3 and resumed reaches step 6 with bitwise the same
// weights, optimiser state and losses as an uninterrupted run.
func TestResumeIsBitwiseIdentical(t *testing.T) {
	for _, tc := range []struct {
		name, model string
		ema         float64
		preciseBN   int
	}{{"mlp", ModelMLP, 0, 0}, {"dcgan", ModelDCGAN, 0, 0}, {"dcgan-ema", ModelDCGAN, 0.9, 0}, {"dcgan-precise-bn", ModelDCGAN, 0, 500}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := smallConfig()
			cfg.Model, cfg.EMA, cfg.PreciseBN = tc.model, tc.ema, tc.preciseBN
			backend := testBackend(t)
			run := func(dir string, total int, resume bool, src *syntheticSource) (*Trainer, []StepMetrics) {
				tr, err := NewTrainer(backend, cfg, src, total, Options{OutDir: dir, Resume: resume})
				if err != nil {
					t.Fatal(err)
				}
				var steps []StepMetrics
				if _, err := tr.Run(context.Background(), RunOptions{Hooks: Hooks{OnStep: func(m StepMetrics) { steps = append(steps, m) }}}); err != nil {
					t.Fatal(err)
				}
				return tr, steps
			}
			full, fullSteps := run(t.TempDir(), 6, false, newSyntheticSource(20, cfg.Batch, 3))
			dir := t.TempDir()
			_, firstHalf := run(dir, 3, false, newSyntheticSource(20, cfg.Batch, 3))
			resumed, secondHalf := run(dir, 6, true, newSyntheticSource(20, cfg.Batch, 3))

			if len(firstHalf) != 3 || len(secondHalf) != 3 || secondHalf[0].Step != 4 {
				t.Fatalf("got %d steps then %d steps starting at %d; want 3 then 3 from step 4", len(firstHalf), len(secondHalf), secondHalf[0].Step)
			}
			for i, m := range append(firstHalf, secondHalf...) {
				want := fullSteps[i]
				if m.DLoss != want.DLoss || m.GLoss != want.GLoss || m.DReal != want.DReal || m.DFake != want.DFake {
					t.Errorf("step %d: resumed losses %+v, uninterrupted %+v", m.Step, m, want)
				}
			}
			a, b := variableDigests(t, full.Store(), "/"), variableDigests(t, resumed.Store(), "/")
			if len(a) != len(b) {
				t.Fatalf("uninterrupted run has %d variables, resumed %d", len(a), len(b))
			}
			if n := countChanged(a, b); n != 0 {
				for k := range a {
					if a[k] != b[k] {
						t.Errorf("variable %s differs", k)
					}
				}
			}
			if fullSteps[5].DLoss == fullSteps[4].DLoss {
				t.Errorf("losses did not change between steps: the comparison would prove nothing")
			}
		})
	}
}

func TestNaNLossStopsTheRun(t *testing.T) {
	cfg := smallConfig()
	src := newSyntheticSource(16, cfg.Batch, 1)
	src.poison = true
	tr, err := NewTrainer(testBackend(t), cfg, src, cfg.Steps, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = tr.Run(context.Background(), RunOptions{})
	var diverged *DivergedError
	if !errors.As(err, &diverged) {
		t.Fatalf("Run error = %v, want a *DivergedError", err)
	}
	if diverged.Step != 1 || diverged.Loss != "discriminator loss" || !math.IsNaN(diverged.Value) {
		t.Errorf("got %+v, want step 1, discriminator loss, NaN", diverged)
	}
	if !strings.Contains(err.Error(), "step 1") {
		t.Errorf("error %q does not name the step", err)
	}
}

func TestResumeNeedsACheckpoint(t *testing.T) {
	cfg := smallConfig()
	_, err := NewTrainer(testBackend(t), cfg, newSyntheticSource(16, cfg.Batch, 1), 6, Options{OutDir: t.TempDir(), Resume: true})
	if err == nil || !strings.Contains(err.Error(), "no checkpoint") {
		t.Fatalf("got error %v, want one saying there is no checkpoint", err)
	}
}

func TestOutDirWithCheckpointsNeedsResume(t *testing.T) {
	cfg := smallConfig()
	cfg.Steps = 1
	dir := t.TempDir()
	backend := testBackend(t)
	tr, err := NewTrainer(backend, cfg, newSyntheticSource(16, cfg.Batch, 1), 1, Options{OutDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Run(context.Background(), RunOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = NewTrainer(backend, cfg, newSyntheticSource(16, cfg.Batch, 1), 1, Options{OutDir: dir})
	if !errors.Is(err, ErrCheckpointsExist) || !strings.Contains(err.Error(), dir) || strings.Contains(err.Error(), "--") {
		t.Fatalf("second run into the same output directory: error %v, want ErrCheckpointsExist naming %s and no CLI flag", err, dir)
	}
}

func TestSampleGridIsAPNGOfTheRightSize(t *testing.T) {
	cfg := smallConfig()
	cfg.SampleGrid = 3
	tr, err := NewTrainer(testBackend(t), cfg, newSyntheticSource(16, cfg.Batch, 1), 1, Options{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := tr.SampleGrid()
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	// 3 cells of 28·2 pixels plus 4 borders of 2 pixels.
	if want := 3*56 + 4*2; img.Bounds().Dx() != want || img.Bounds().Dy() != want {
		t.Errorf("grid is %v, want %dx%d", img.Bounds(), want, want)
	}
}

// The G step's latent batch is drawn on another goroutine while the D step's
// graph runs. The draws must keep their order, the D step's batch then the G
// step's, step after step, so that a run's values (and the noise state its
// checkpoints keep) do not depend on when each draw happens.
func TestLatentBatchesKeepTheirDrawOrder(t *testing.T) {
	cfg := smallConfig()
	tr, err := NewTrainer(testBackend(t), cfg, newSyntheticSource(20, cfg.Batch, 3), 3, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := newLatentNoise(cfg.Seed)
	for step := range 3 {
		if _, err := tr.TrainStep(); err != nil {
			t.Fatal(err)
		}
		for _, batch := range []struct {
			name string
			z    *tensors.Tensor
		}{{"D step", tr.latentInput}, {"G step", tr.generatorLatent}} {
			drawn := make([]float32, cfg.Batch*cfg.LatentDim)
			want.fill(drawn)
			if got := tensors.MustCopyFlatData[float32](batch.z); !slices.Equal(got, drawn) {
				t.Fatalf("step %d: the %s's latent batch is not the noise generator's next draw", step+1, batch.name)
			}
		}
	}
}
