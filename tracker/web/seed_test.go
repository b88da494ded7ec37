package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"maps"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ganbook/ganbook/tracker"
	"github.com/ganbook/ganbook/tracker/sqlite"
)

// scriptName is a run name that must show as text on every page.
const scriptName = "<script>alert(1)</script>"

// seeded is a tracker database with a few realistic GAN runs.
type seeded struct {
	path   string
	writer *tracker.Store // read-write; holds the live run
	reader *tracker.Store // read-only, as `ganbook ui` opens it
	ids    map[string]string
	live   *tracker.Run
	// grids holds the PNG bytes logged, by run name and step.
	grids map[string]map[int64][]byte
}

// Names of the seeded runs.
const (
	runBaseline = "baseline-mlp"
	runDCGAN    = "dcgan-lr1e-4"
	runLive     = "live-run"
)

// seedStore builds the test database: two finished runs, one failed run
// named scriptName with NaN and Inf values and HTML in its strings, and a
// RUNNING run that the test can keep logging to.
func seedStore(t testing.TB) *seeded {
	t.Helper()
	ctx := context.Background()
	s := &seeded{path: filepath.Join(t.TempDir(), "ganbook.db"), ids: map[string]string{}, grids: map[string]map[int64][]byte{}}
	// The finished runs are written through the backend, so that they can
	// carry realistic times (started hours ago, lasting minutes); the live
	// run below goes through the ordinary Run API.
	backend, err := sqlite.Open(s.path, tracker.BackendConfig{})
	if err != nil {
		t.Fatal(err)
	}
	type spec struct {
		name    string
		params  map[string]any
		tags    map[string]string
		steps   int64
		every   int64 // steps between sample grids
		speed   float64
		fid     bool
		ago     time.Duration // start, before now
		perStep time.Duration
		status  tracker.RunStatus
		message string
	}
	specs := []spec{
		{
			name:   runBaseline,
			params: map[string]any{"model": "mlp", "lr_d": 2e-4, "lr_g": 2e-4, "batch_size": 64, "loss": "non-saturating", "seed": 1},
			tags:   map[string]string{"note": "baseline"},
			steps:  300, every: 50, speed: 1, ago: 26 * time.Hour, perStep: 2 * time.Second, status: tracker.StatusFinished,
		},
		{
			name:   runDCGAN,
			params: map[string]any{"model": "dcgan", "lr_d": 1e-4, "lr_g": 2e-4, "batch_size": 64, "loss": "non-saturating", "seed": 2},
			tags:   map[string]string{"note": "slower lr_d"},
			steps:  400, every: 100, speed: 0.6, fid: true, ago: 5 * time.Hour, perStep: 5 * time.Second, status: tracker.StatusFinished,
		},
		{
			name:   scriptName,
			params: map[string]any{"model": "mlp", "lr_d": 5e-3, "lr_g": 2e-4, "batch_size": 64, "loss": "<b>minimax</b>", "seed": 3},
			tags:   map[string]string{"<i>tag</i>": "<img src=x onerror=alert(2)>"},
			steps:  120, every: 60, speed: 2, ago: 3 * time.Hour, perStep: 2 * time.Second,
			status: tracker.StatusFailed, message: "diverged: <b>d_loss is NaN</b>",
		},
	}
	now := time.Now()
	for i, sp := range specs {
		rec := tracker.ReproRecord{
			GitCommit: "0123456789abcdef0123456789abcdef01234567", GoVersion: "go1.26.8", Backend: "go",
			OS: "linux", Arch: "amd64", CPU: "Test CPU", NumCPU: 2, Seed: int64(i + 1),
			Config:      json.RawMessage(`{"model":"mlp","steps":300,"note":"<script>alert(3)</script>"}`),
			Datasets:    []tracker.FileHash{{Path: "train-images-idx3-ubyte.gz", Size: 9912422, SHA256: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"}},
			CommandLine: []string{"ganbook", "train", "--name", sp.name},
		}
		start := now.Add(-sp.ago)
		nr := tracker.NewRun{
			ID: fmt.Sprintf("%016x%016x", rand.Uint64(), rand.Uint64()), Experiment: "mnist", Name: sp.name,
			StartTime: start, HeartbeatTimeout: 30 * time.Second, Record: &rec,
		}
		for _, k := range slices.Sorted(maps.Keys(sp.params)) {
			nr.Params = append(nr.Params, tracker.NewParam(k, tracker.FormatParam(sp.params[k])))
		}
		for k, v := range sp.tags {
			nr.Tags = append(nr.Tags, tracker.Tag{Key: k, Value: v})
		}
		if err := backend.CreateRun(ctx, nr); err != nil {
			t.Fatal(err)
		}
		s.ids[sp.name] = nr.ID
		s.grids[sp.name] = map[int64][]byte{}
		b := tracker.Batch{RunID: nr.ID}
		rng := rand.New(rand.NewPCG(uint64(i), 7))
		for step := int64(0); step <= sp.steps; step++ {
			at := start.Add(time.Duration(step) * sp.perStep)
			for _, m := range ganMetrics(rng, step, sp.speed) {
				b.Metrics = append(b.Metrics, tracker.MetricPoint{Key: m.key, Step: step, Time: at, Value: m.value})
			}
			if sp.name == scriptName && step%40 == 39 {
				// Diverged: the tracker keeps NaN and Inf; charts leave them out.
				b.Metrics = append(b.Metrics,
					tracker.MetricPoint{Key: "d_loss", Step: step, Time: at, Value: math.NaN()},
					tracker.MetricPoint{Key: "g_loss", Step: step, Time: at, Value: math.Inf(1)})
			}
			if sp.fid && step%100 == 0 {
				b.Metrics = append(b.Metrics, tracker.MetricPoint{Key: "fid", Step: step, Time: at, Value: 180*math.Exp(-float64(step)/250) + 12})
			}
			if step%sp.every == 0 {
				png := sampleGrid(float64(step)/float64(sp.steps)*sp.speed, uint64(i))
				b.Images = append(b.Images, tracker.Image{ImageInfo: tracker.ImageInfo{Key: "samples", Step: step, Time: at, Size: len(png)}, PNG: png})
				s.grids[sp.name][step] = png
			}
		}
		end := start.Add(time.Duration(sp.steps) * sp.perStep)
		b.Heartbeat = end
		if err := backend.WriteBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
		if err := backend.EndRun(ctx, nr.ID, sp.status, sp.message, end); err != nil {
			t.Fatal(err)
		}
	}
	if err := backend.Close(); err != nil {
		t.Fatal(err)
	}

	s.writer, err = tracker.Open(s.path, tracker.WithFlushInterval(50*time.Millisecond), tracker.WithHeartbeat(time.Second, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.writer.Close() })

	// The live run: RUNNING until the test ends.
	s.live, err = s.writer.StartRun(ctx, "mnist", runLive,
		map[string]any{"model": "mlp", "lr_d": 2e-4, "lr_g": 2e-4, "batch_size": 128, "loss": "non-saturating", "seed": 4})
	if err != nil {
		t.Fatal(err)
	}
	s.ids[runLive] = s.live.ID()
	s.grids[runLive] = map[int64][]byte{}
	rng := rand.New(rand.NewPCG(9, 9))
	for step := int64(0); step < 50; step++ {
		logGANStep(t, s.live, rng, step, 1)
	}
	s.logGrid(t, s.live, runLive, 0, 0, 9)
	if err := s.live.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	s.reader, err = tracker.Open(s.path, tracker.ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.reader.Close() })
	return s
}

type metricValue struct {
	key   string
	value float64
}

// ganMetrics returns one step of the metrics `ganbook train` logs, with
// curves shaped like a GAN's: D's loss falls, G's rises, D(x) and D(G(z))
// drift apart.
func ganMetrics(rng *rand.Rand, step int64, speed float64) []metricValue {
	s := float64(step) * speed
	noise := func(a float64) float64 { return a * (rng.Float64()*2 - 1) }
	return []metricValue{
		{"d_loss", 0.55 + 0.8*math.Exp(-s/70) + noise(0.06)},
		{"g_loss", 0.75 + 1.4*(1-math.Exp(-s/90)) + noise(0.1)},
		{"d_real", 0.5 + 0.3*(1-math.Exp(-s/60)) + noise(0.03)},
		{"d_fake", 0.5 - 0.28*(1-math.Exp(-s/60)) + noise(0.03)},
		{"images_per_sec", 2100 + noise(80)},
	}
}

// logGANStep logs one step of ganMetrics through the Run API.
func logGANStep(t testing.TB, run *tracker.Run, rng *rand.Rand, step int64, speed float64) {
	values := map[string]float64{}
	for _, m := range ganMetrics(rng, step, speed) {
		values[m.key] = m.value
	}
	if err := run.LogMetrics(step, values); err != nil {
		t.Fatal(err)
	}
}

func (s *seeded) logGrid(t testing.TB, run *tracker.Run, name string, step int64, progress float64, seed uint64) {
	b := sampleGrid(progress, seed)
	if err := run.LogImage("samples", step, b); err != nil {
		t.Fatal(err)
	}
	s.grids[name][step] = b
}

// sampleGrid draws an 8×8 grid of 28×28 digit-like cells: noise early in
// training, clean strokes and rings later (progress from 0 to 1).
func sampleGrid(progress float64, seed uint64) []byte {
	const cell, n, gap = 28, 8, 2
	size := n*cell + (n+1)*gap
	img := image.NewGray(image.Rect(0, 0, size, size))
	rng := rand.New(rand.NewPCG(seed, 42)) // the same "fixed noise" at every step
	noise := rand.New(rand.NewPCG(seed, uint64(progress*1000)))
	p := math.Min(math.Max(progress, 0), 1)
	for gy := 0; gy < n; gy++ {
		for gx := 0; gx < n; gx++ {
			kind := rng.IntN(3)
			r := 6 + rng.Float64()*3
			slant := rng.Float64()*0.6 - 0.3
			x0, y0 := gap+gx*(cell+gap), gap+gy*(cell+gap)
			for y := 0; y < cell; y++ {
				for x := 0; x < cell; x++ {
					dx, dy := float64(x)-13.5, float64(y)-13.5
					var d float64
					switch kind {
					case 0: // a ring, like a 0
						d = math.Abs(math.Hypot(dx*1.2, dy)-r) - 1.6
					case 1: // a slanted stroke, like a 1
						d = math.Abs(dx-slant*dy) - 1.8
						if math.Abs(dy) > 10 {
							d = math.Max(d, math.Abs(dy)-10)
						}
					default: // a bar and a diagonal, like a 7
						top := math.Max(math.Abs(dy+8)-1.6, math.Abs(dx)-7)
						diag := math.Max(math.Abs(dx-7+(dy+8)*0.6)-1.7, math.Abs(dy)-10)
						d = math.Min(top, diag)
					}
					shape := 1 / (1 + math.Exp(2.5*d)) // soft edge
					v := p*shape + (1-p)*noise.Float64()*0.9
					img.SetGray(x0+x, y0+y, color.Gray{Y: uint8(255 * math.Min(math.Max(v, 0), 1))})
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}
	return buf.Bytes()
}
