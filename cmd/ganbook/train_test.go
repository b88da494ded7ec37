package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestTrainWritesSamplesAndPrintsLosses(t *testing.T) {
	tests := []struct {
		model string
		steps string
	}{
		{"mlp", "100"},
		{"dcgan", "20"},
	}
	for _, tc := range tests {
		t.Run(tc.model, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "run")
			r := runGanbook(t, t.TempDir(), nil, "train", "--model", tc.model, "--steps", tc.steps, "--out", out, "--sample-every", "10")
			if r.exitCode != 0 {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.exitCode, r.stdout, r.stderr)
			}
			final := regexp.MustCompile(`step ` + tc.steps + `/` + tc.steps + `\s+D loss (\d+\.\d+)\s+G loss (\d+\.\d+)`)
			if !final.MatchString(r.stdout) {
				t.Errorf("stdout does not report the final D and G losses:\n%s", r.stdout)
			}
			m := regexp.MustCompile(`samples: (\S+\.png)`).FindStringSubmatch(r.stdout)
			if m == nil {
				t.Fatalf("stdout names no sample grid:\n%s", r.stdout)
			}
			data, err := os.ReadFile(m[1])
			if err != nil {
				t.Fatal(err)
			}
			if _, err := png.Decode(bytes.NewReader(data)); err != nil {
				t.Errorf("%s is not a PNG: %v", m[1], err)
			}
		})
	}
}

// copyMNIST copies the four shipped MNIST files into a fresh directory.
func copyMNIST(t *testing.T) string {
	t.Helper()
	src, dst := mnistDir(t), t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".gz") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func TestTrainRefusesBadInput(t *testing.T) {
	corrupt := copyMNIST(t)
	labels := filepath.Join(corrupt, "train-labels-idx1-ubyte.gz")
	b, err := os.ReadFile(labels)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(labels, b, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want []string // substrings of stderr
	}{
		{"corrupt MNIST file", []string{"--data-dir", corrupt}, []string{"train-labels-idx1-ubyte.gz"}},
		{"missing data dir", []string{"--data-dir", filepath.Join(t.TempDir(), "nope")}, []string{"--data-dir", "nope"}},
		{"zero batch", []string{"--batch", "0"}, []string{"--batch", "must be positive"}},
		{"unknown model", []string{"--model", "nope"}, []string{"--model", `"nope"`, "mlp", "dcgan"}},
		{"steps and epochs", []string{"--steps", "5", "--epochs", "1"}, []string{"--steps", "--epochs"}},
		{"resume without out", []string{"--resume"}, []string{"--resume", "--out"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"train", "--steps", "3", "--out", filepath.Join(dir, "run")}, tc.args...)
			if tc.name == "resume without out" {
				args = []string{"train", "--resume"}
			}
			r := runGanbook(t, dir, nil, args...)
			if r.exitCode == 0 {
				t.Fatalf("exit 0, want failure\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr does not mention %q:\n%s", w, r.stderr)
				}
			}
			if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
				t.Errorf("stderr shows a panic, not a clear error:\n%s", r.stderr)
			}
		})
	}
}
