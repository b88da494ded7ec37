package main

import (
	"bytes"
	"encoding/binary"
	"image/gif"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ganbook/ganbook/gan"
)

// sampleRun is a short recorded training run for the sample tests: 20 steps,
// checkpoints at steps 10 and 20, sample grids every 5 steps.
type sampleRun struct {
	dir, db, id, out string
	cfg              gan.Config
}

func trainSampleRun(t *testing.T) sampleRun {
	t.Helper()
	dir := t.TempDir()
	r := sampleRun{dir: dir, db: filepath.Join(dir, "runs.db"), out: filepath.Join(dir, "run")}
	res := runGanbook(t, dir, nil, "train", "--db", r.db, "--out", r.out, "--steps", "20", "--checkpoint-every", "10", "--sample-every", "5")
	if res.exitCode != 0 {
		t.Fatalf("train: exit %d\n%s", res.exitCode, res.stderr)
	}
	m := regexp.MustCompile(`run: ([0-9a-f]{32})`).FindStringSubmatch(res.stdout)
	if m == nil {
		t.Fatalf("train printed no run id:\n%s", res.stdout)
	}
	r.id = m[1][:8]
	r.cfg = gan.DefaultConfig()
	r.cfg.Steps, r.cfg.CheckpointEvery, r.cfg.SampleEvery = 20, 10, 5
	return r
}

func (r sampleRun) sample(t *testing.T, args ...string) result {
	t.Helper()
	return runGanbook(t, r.dir, nil, append([]string{"sample", r.id, "--db", r.db}, args...)...)
}

// nullSource serves zeros: the trainer built by directGenerate trains no step.
type nullSource struct{}

func (nullSource) Next([]float32)          {}
func (nullSource) Position() (int, int)    { return 0, 0 }
func (nullSource) Seek(epoch, i int) error { return nil }
func (r sampleRun) latent(seed uint64, n int) []float32 {
	return gan.LatentVectors(seed, n, r.cfg.LatentDim)
}

// directGenerate draws images for z with the run's latest checkpoint loaded
// the way `--resume` loads it (not through gan.LoadGenerator), mapped to [0, 1].
func (r sampleRun) directGenerate(t *testing.T, z []float32) []float32 {
	t.Helper()
	backend, err := gan.NewBackend(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := gan.NewTrainer(backend, r.cfg, nullSource{}, r.cfg.Steps, gan.Options{OutDir: r.out, Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Step() != 20 {
		t.Fatalf("the trainer resumed at step %d, want 20", tr.Step())
	}
	pixels, err := tr.Generate(z)
	if err != nil {
		t.Fatal(err)
	}
	return pixels // the MLP draws in [0, 1] already
}

// readNPY parses a float32 [n, 28, 28] .npy file by the format's spec.
func readNPY(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 10 || string(b[:8]) != "\x93NUMPY\x01\x00" {
		t.Fatalf("%s: not an .npy v1.0 file", path)
	}
	hlen := int(binary.LittleEndian.Uint16(b[8:10]))
	if (10+hlen)%64 != 0 {
		t.Errorf("%s: data starts at %d, not 64-byte aligned", path, 10+hlen)
	}
	header := string(b[10 : 10+hlen])
	m := regexp.MustCompile(`^\{'descr': '<f4', 'fortran_order': False, 'shape': \((\d+), 28, 28\), \} *\n$`).FindStringSubmatch(header)
	if m == nil {
		t.Fatalf("%s: header %q", path, header)
	}
	n, _ := strconv.Atoi(m[1])
	data := b[10+hlen:]
	if len(data) != n*784*4 {
		t.Fatalf("%s: %d data bytes for shape (%d, 28, 28)", path, len(data), n)
	}
	out := make([]float32, n*784)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return out
}

func toUint8(v float32) uint8 { return uint8(math.Round(math.Max(0, math.Min(1, float64(v))) * 255)) }

func assertClose(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > tol {
			t.Fatalf("%s: value %d = %g, want %g", what, i, got[i], want[i])
		}
	}
}

func TestSampleFormats(t *testing.T) {
	r := trainSampleRun(t)
	const n, seed = 5, 7
	want := r.directGenerate(t, r.latent(seed, n))
	out := t.TempDir()
	tests := []struct {
		format string
		check  func(t *testing.T, path string)
	}{
		{"npy", func(t *testing.T, path string) {
			assertClose(t, "npy", readNPY(t, path), want, 1e-6)
		}},
		{"idx", func(t *testing.T, path string) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(b) != 16+n*784 {
				t.Fatalf("%d bytes, want 16 + %d·784", len(b), n)
			}
			for i, w := range []uint32{0x803, n, 28, 28} {
				if got := binary.BigEndian.Uint32(b[4*i:]); got != w {
					t.Errorf("header word %d = %#x, want %#x", i, got, w)
				}
			}
			for i, v := range b[16:] {
				if d := int(v) - int(toUint8(want[i])); d < -1 || d > 1 {
					t.Fatalf("pixel %d = %d, the generator drew %g (%d)", i, v, want[i], toUint8(want[i]))
				}
			}
		}},
		{"png", func(t *testing.T, path string) {
			for k := range n {
				f, err := os.Open(filepath.Join(path, "sample-000"+strconv.Itoa(k)+".png"))
				if err != nil {
					t.Fatal(err)
				}
				img, err := png.Decode(f)
				f.Close()
				if err != nil {
					t.Fatal(err)
				}
				if img.Bounds().Dx() != 28 || img.Bounds().Dy() != 28 {
					t.Fatalf("image %d is %v, want 28×28", k, img.Bounds())
				}
				for y := range 28 {
					for x := range 28 {
						g, _, _, _ := img.At(x, y).RGBA()
						w := toUint8(want[k*784+y*28+x])
						if d := int(g>>8) - int(w); d < -1 || d > 1 {
							t.Fatalf("image %d pixel (%d,%d) = %d, want %d", k, x, y, g>>8, w)
						}
					}
				}
			}
			if entries, _ := os.ReadDir(path); len(entries) != n {
				t.Errorf("%d files in %s, want %d", len(entries), path, n)
			}
		}},
		{"grid", func(t *testing.T, path string) {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			img, err := png.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			// 5 images: 2 rows of 3 cells of 56 pixels plus 2-pixel borders.
			if img.Bounds().Dx() != 3*58+2 || img.Bounds().Dy() != 2*58+2 {
				t.Errorf("grid is %v, want 176×118", img.Bounds())
			}
			// The first image's top-left pixel, scaled ×2, after the border.
			g, _, _, _ := img.At(2, 2).RGBA()
			if d := int(g>>8) - int(toUint8(want[0])); d < -1 || d > 1 {
				t.Errorf("grid pixel (2,2) = %d, want %d", g>>8, toUint8(want[0]))
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			path := filepath.Join(out, "s."+tc.format)
			res := r.sample(t, "--n", strconv.Itoa(n), "--seed", strconv.Itoa(seed), "--format", tc.format, "--out", path)
			if res.exitCode != 0 {
				t.Fatalf("exit %d\n%s", res.exitCode, res.stderr)
			}
			if !strings.Contains(res.stdout, "at step 20") {
				t.Errorf("stdout does not name the checkpoint's step:\n%s", res.stdout)
			}
			tc.check(t, path)
		})
	}
	t.Run("step 10", func(t *testing.T) {
		path := filepath.Join(out, "step10.npy")
		res := r.sample(t, "--n", strconv.Itoa(n), "--seed", strconv.Itoa(seed), "--format", "npy", "--step", "10", "--out", path)
		if res.exitCode != 0 || !strings.Contains(res.stdout, "at step 10") {
			t.Fatalf("exit %d\n%s%s", res.exitCode, res.stdout, res.stderr)
		}
		got, same := readNPY(t, path), true
		for i := range got {
			same = same && got[i] == want[i]
		}
		if same {
			t.Error("--step 10 drew the same images as step 20")
		}
	})
}

// The paths start and end at the two seeds' own samples, and the spherical
// path differs from the straight one in between.
func TestSampleInterpolate(t *testing.T) {
	r := trainSampleRun(t)
	out := t.TempDir()
	draw := func(args ...string) []float32 {
		path := filepath.Join(out, strconv.Itoa(len(args))+strings.Join(args, "")+".npy")
		res := r.sample(t, append(args, "--format", "npy", "--out", path)...)
		if res.exitCode != 0 {
			t.Fatalf("sample %v: exit %d\n%s", args, res.exitCode, res.stderr)
		}
		return readNPY(t, path)
	}
	const steps = 6
	strip := draw("--interpolate", "--seed", "3", "--to-seed", "4", "--n", strconv.Itoa(steps))
	if len(strip) != 2*steps*784 {
		t.Fatalf("%d images, want %d (linear and spherical rows)", len(strip)/784, 2*steps)
	}
	from, to := draw("--seed", "3", "--n", "1"), draw("--seed", "4", "--n", "1")
	image := func(k int) []float32 { return strip[k*784 : (k+1)*784] }
	for row, name := range []string{"linear", "spherical"} {
		assertClose(t, name+" start", image(row*steps), from, 1e-5)
		assertClose(t, name+" end", image(row*steps+steps-1), to, 1e-5)
	}
	var diff float64
	for i, v := range image(steps / 2) {
		diff = math.Max(diff, math.Abs(float64(v-image(steps + steps/2)[i])))
	}
	if diff < 1e-3 {
		t.Errorf("the linear and spherical midpoints draw the same image (max difference %g)", diff)
	}
	// The strip as a PNG: two rows of six.
	path := filepath.Join(out, "strip.png")
	if res := r.sample(t, "--interpolate", "--n", "6", "--out", path); res.exitCode != 0 {
		t.Fatalf("exit %d\n%s", res.exitCode, res.stderr)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil || cfg.Width != 6*58+2 || cfg.Height != 2*58+2 {
		t.Errorf("strip is %dx%d (%v), want %dx%d", cfg.Width, cfg.Height, err, 6*58+2, 2*58+2)
	}
}

func TestSampleProgressGIF(t *testing.T) {
	r := trainSampleRun(t)
	path := filepath.Join(t.TempDir(), "progress.gif")
	res := r.sample(t, "--progress", path)
	if res.exitCode != 0 {
		t.Fatalf("exit %d\n%s", res.exitCode, res.stderr)
	}
	grids, err := filepath.Glob(filepath.Join(r.out, "samples", "step-*.png"))
	if err != nil || len(grids) != 4 {
		t.Fatalf("the run saved %d grids (%v), want 4 (steps 5, 10, 15, 20)", len(grids), err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	anim, err := gif.DecodeAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(anim.Image) != len(grids) {
		t.Fatalf("%d frames, want one per sample grid (%d)", len(anim.Image), len(grids))
	}
	// Frame k is grid k in step order, pixel for pixel.
	for k, name := range grids {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		frame := anim.Image[k]
		if frame.Bounds() != img.Bounds() {
			t.Fatalf("frame %d is %v, grid %v", k, frame.Bounds(), img.Bounds())
		}
		for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
			for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
				a, _, _, _ := frame.At(x, y).RGBA()
				b, _, _, _ := img.At(x, y).RGBA()
				if a>>8 != b>>8 {
					t.Fatalf("frame %d pixel (%d,%d) = %d, grid %s has %d", k, x, y, a>>8, filepath.Base(name), b>>8)
				}
			}
		}
	}
}

func TestSampleRefusesBadInput(t *testing.T) {
	r := trainSampleRun(t)
	notADir := filepath.Join(r.dir, "file")
	if err := os.WriteFile(notADir, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	noGrids := filepath.Join(r.dir, "empty")
	tests := []struct {
		name string
		args []string
		want []string // substrings of stderr
	}{
		{"unknown run", []string{"sample", "deadbeef", "--db", r.db}, []string{"deadbeef"}},
		{"no checkpoint at step", []string{"--step", "7"}, []string{"no checkpoint found at step 7", "10, 20"}},
		{"zero n", []string{"--n", "0"}, []string{"--n", "positive"}},
		{"negative n", []string{"--n", "-3"}, []string{"--n", "positive"}},
		{"class on an unconditional model", []string{"--class", "7"}, []string{"--class", "mlp"}},
		{"unwritable output", []string{"--out", filepath.Join(notADir, "s.png")}, []string{"--out", "not a directory"}},
		{"unwritable gif", []string{"--progress", filepath.Join(notADir, "p.gif")}, []string{"--progress", "not a directory"}},
		{"unknown format", []string{"--format", "jpeg"}, []string{"--format", "jpeg", "npy"}},
		{"interpolate one image", []string{"--interpolate", "--n", "1"}, []string{"--interpolate", "--n"}},
		{"unknown path", []string{"--interpolate", "--path", "cubic"}, []string{"--path", "cubic"}},
		{"precise-bn on a generator without batch norm", []string{"--precise-bn", "500"}, []string{"--precise-bn", "mlp"}},
		{"missing db", []string{"sample", r.id, "--db", noGrids + ".db"}, []string{"--db"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var res result
			if tc.args[0] == "sample" {
				res = runGanbook(t, r.dir, nil, tc.args...)
			} else {
				res = r.sample(t, tc.args...)
			}
			if res.exitCode == 0 {
				t.Fatalf("exit 0, want failure\nstdout:\n%s\nstderr:\n%s", res.stdout, res.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.stderr, w) {
					t.Errorf("stderr does not mention %q:\n%s", w, res.stderr)
				}
			}
			if strings.Contains(res.stderr, "panic") || strings.Contains(res.stderr, "goroutine ") {
				t.Errorf("stderr shows a panic, not a clear error:\n%s", res.stderr)
			}
		})
	}
}

// `--class 7` on a conditional model draws what its generator draws for class
// 7 from the same latents; a class out of range is refused.
func TestSampleClass(t *testing.T) {
	dir := t.TempDir()
	r := sampleRun{dir: dir, db: filepath.Join(dir, "runs.db"), out: filepath.Join(dir, "run")}
	res := runGanbook(t, dir, nil, "train", "--model", "cmlp", "--db", r.db, "--out", r.out, "--steps", "20", "--checkpoint-every", "10")
	if res.exitCode != 0 {
		t.Fatalf("train: exit %d\n%s", res.exitCode, res.stderr)
	}
	r.id = regexp.MustCompile(`run: ([0-9a-f]{8})`).FindStringSubmatch(res.stdout)[1]
	r.cfg = gan.DefaultConfig()
	r.cfg.Model, r.cfg.Steps, r.cfg.CheckpointEvery = "cmlp", 20, 10

	backend, err := gan.NewBackend(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := gan.LoadTrainingSet(r.cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	source, err := gan.NewSamplerSource(ds, r.cfg)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := gan.NewTrainer(backend, r.cfg, source, 20, gan.Options{OutDir: r.out, Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	const n = 4
	z := r.latent(3, n)
	sevens, err := tr.GenerateClasses(z, []uint8{7, 7, 7, 7})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "sevens.npy")
	if res := r.sample(t, "--class", "7", "--n", "4", "--seed", "3", "--format", "npy", "--out", path); res.exitCode != 0 {
		t.Fatalf("exit %d\n%s", res.exitCode, res.stderr)
	}
	assertClose(t, "--class 7", readNPY(t, path), sevens, 1e-6)
	twos, err := tr.GenerateClasses(z, []uint8{2, 2, 2, 2})
	if err != nil {
		t.Fatal(err)
	}
	same := true
	for i := range twos {
		same = same && twos[i] == sevens[i]
	}
	if same {
		t.Fatal("classes 2 and 7 draw the same images: the check proves nothing")
	}
	for _, bad := range []string{"10", "-1"} {
		res := r.sample(t, "--class", bad)
		if res.exitCode == 0 || !strings.Contains(res.stderr, "--class") {
			t.Errorf("--class %s: exit %d, stderr %q; want a failure naming --class", bad, res.exitCode, res.stderr)
		}
	}

	// eval-classes prints one row per class, each the share of that class's
	// samples the classifier labels as asked (after 20 steps, far from the goal).
	ev := runGanbook(t, dir, nil, "eval-classes", r.id, "--db", r.db, "--samples", "50")
	if ev.exitCode != 0 {
		t.Fatalf("eval-classes: exit %d\n%s", ev.exitCode, ev.stderr)
	}
	rows := regexp.MustCompile(`(?m)^\s*(\d)\s+([0-9.]+)%\s+([0-9.]+)`).FindAllStringSubmatch(ev.stdout, -1)
	if len(rows) != 10 || !strings.Contains(ev.stdout, "step 20") {
		t.Errorf("eval-classes printed %d class rows, want 10 at step 20:\n%s", len(rows), ev.stdout)
	}
	for c, row := range rows {
		if row[1] != strconv.Itoa(c) {
			t.Errorf("row %d is class %s", c, row[1])
		}
	}
}

func TestEvalClassesRefusesAnUnconditionalRun(t *testing.T) {
	r := trainSampleRun(t)
	res := runGanbook(t, r.dir, nil, "eval-classes", r.id, "--db", r.db)
	if res.exitCode == 0 || !strings.Contains(res.stderr, "unconditional") || !strings.Contains(res.stderr, "cmlp") {
		t.Errorf("eval-classes on an mlp run: exit %d, stderr %q; want a failure naming the conditional models", res.exitCode, res.stderr)
	}
}
