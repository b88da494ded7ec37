package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ganbook/ganbook/gan"
)

// A run trained with --ema and --precise-bn samples and is evaluated with
// its averaged generator and measured statistics; --raw-weights gives G's
// own weights and --precise-bn 0 the running averages instead, as
// gan.LoadGenerator loads them with those settings. eval with either prints
// its measures and stores nothing: the run's metrics stay its generator's.
func TestEMAAndPreciseBNFromTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	db, out := filepath.Join(dir, "runs.db"), filepath.Join(dir, "run")
	res := runGanbook(t, dir, nil, "train", "--model", "dcgan", "--db", db, "--out", out, "--steps", "6", "--batch", "8",
		"--checkpoint-every", "3", "--sample-every", "0", "--ema", "0.9", "--precise-bn", "500")
	if res.exitCode != 0 {
		t.Fatalf("train: exit %d\n%s", res.exitCode, res.stderr)
	}
	m := regexp.MustCompile(`run: ([0-9a-f]{32})`).FindStringSubmatch(res.stdout)
	if m == nil {
		t.Fatalf("train printed no run id:\n%s", res.stdout)
	}
	id := m[1][:8]
	cfg := gan.DCGANConfig()
	cfg.Steps, cfg.Batch, cfg.CheckpointEvery, cfg.SampleEvery, cfg.EMA, cfg.PreciseBN = 6, 8, 3, 0, 0.9, 500
	const n, seed = 3, 5
	z := gan.LatentVectors(seed, n, cfg.LatentDim)
	backend, err := gan.NewBackend(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ckpt, err := gan.FindCheckpoint(out, 0)
	if err != nil {
		t.Fatal(err)
	}
	direct := func(cfg gan.Config) []float32 {
		g, err := gan.LoadGenerator(backend, cfg, ckpt)
		if err != nil {
			t.Fatal(err)
		}
		pixels, err := g.Generate(z)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range pixels {
			pixels[i] = (p + 1) / 2 // the DCGAN draws in [-1, 1]; npy holds [0, 1]
		}
		return pixels
	}
	raw, running := cfg, cfg
	raw.EMA, running.PreciseBN = 0, 0
	wantAveraged, wantRaw, wantRunning := direct(cfg), direct(raw), direct(running)
	for _, tc := range []struct {
		name  string
		flags []string
		want  []float32
	}{{"averaged", nil, wantAveraged}, {"raw", []string{"--raw-weights"}, wantRaw}, {"running", []string{"--precise-bn", "0"}, wantRunning}} {
		path := filepath.Join(dir, tc.name+".npy")
		args := append([]string{"sample", id, "--db", db, "--format", "npy", "--n", "3", "--seed", "5", "--out", path}, tc.flags...)
		if res := runGanbook(t, dir, nil, args...); res.exitCode != 0 {
			t.Fatalf("sample %v: exit %d\n%s", tc.flags, res.exitCode, res.stderr)
		}
		assertClose(t, tc.name, readNPY(t, path), tc.want, 1e-6)
	}
	if slices.Equal(wantAveraged, wantRaw) || slices.Equal(wantAveraged, wantRunning) {
		t.Fatal("the run's generator draws as the raw or the unmeasured one: the comparison proves nothing")
	}

	fid := regexp.MustCompile(`step 6: FID (\d+\.\d+)`)
	var fids []string
	for _, flags := range [][]string{nil, {"--raw-weights"}} {
		res := runGanbook(t, dir, nil, append([]string{"eval", id, "--db", db, "--samples", "200"}, flags...)...)
		if res.exitCode != 0 {
			t.Fatalf("eval %v: exit %d\n%s", flags, res.exitCode, res.stderr)
		}
		f := fid.FindStringSubmatch(res.stdout)
		if f == nil {
			t.Fatalf("eval %v printed no FID:\n%s", flags, res.stdout)
		}
		fids = append(fids, f[1])
	}
	if fids[0] == fids[1] {
		t.Errorf("eval and eval --raw-weights both measured FID %s", fids[0])
	}
	show := runGanbook(t, dir, nil, "show", id, "--db", db, "--json")
	var info struct {
		Metrics map[string]struct {
			Count int     `json:"count"`
			Last  float64 `json:"last"`
		} `json:"metrics"`
	}
	if err := json.Unmarshal([]byte(show.stdout), &info); err != nil {
		t.Fatalf("show --json: %v\n%s", err, show.stdout)
	}
	if got := info.Metrics["fid"]; got.Count != 1 || fmt.Sprintf("%.2f", got.Last) != fids[0] {
		t.Errorf("metric fid: %d points, last %.4f; want eval's alone, %s", got.Count, got.Last, fids[0])
	}
}

// The two settings are refused where they cannot apply, by their flags' names.
func TestEMAAndPreciseBNRefuseBadValues(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--ema", "1"}, []string{"--ema", "[0, 1)"}},
		{[]string{"--ema", "-0.5"}, []string{"--ema"}},
		{[]string{"--precise-bn", "500"}, []string{"--precise-bn", "mlp", "no normalisation layer"}},
		{[]string{"--model", "dcgan", "--precise-bn", "-1"}, []string{"--precise-bn", "negative"}},
	} {
		res := runGanbook(t, dir, nil, append([]string{"train", "--db", filepath.Join(dir, "r.db"), "--out", filepath.Join(dir, "out"), "--steps", "2"}, tc.args...)...)
		if res.exitCode == 0 {
			t.Errorf("train %v: exit 0, want a refusal", tc.args)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(res.stderr, w) {
				t.Errorf("train %v: stderr does not mention %q:\n%s", tc.args, w, res.stderr)
			}
		}
	}
}
