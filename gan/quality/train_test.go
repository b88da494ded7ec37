package quality_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/ganbook/ganbook/gan/quality"
)

// TestTrainIsDeterministic trains twice on a small slice of MNIST with the same
// seed (bitwise the same weights, hence the same id) and once with another.
func TestTrainIsDeterministic(t *testing.T) {
	f := loadFixture(t, "mnist")
	train, test := subset(f.train, 0, 512), subset(f.test, 0, 500)
	run := func(seed uint64) *quality.Extractor {
		t.Helper()
		steps := 0
		opts := quality.TrainOptions{Epochs: 1, Batch: 64, Seed: seed, Progress: func(quality.TrainProgress) { steps++ }}
		ex, err := quality.Train(context.Background(), testBackend(t), train, test, opts)
		if err != nil {
			t.Fatal(err)
		}
		if steps != 512/64 {
			t.Errorf("%d progress reports, want %d steps", steps, 512/64)
		}
		return ex
	}
	a, b, c := run(3), run(3), run(4)
	if a.SHA256() != b.SHA256() {
		t.Errorf("same seed, different weights: %s vs %s", a.ID(), b.ID())
	}
	if a.SHA256() == c.SHA256() || a.ID() == c.ID() {
		t.Errorf("seeds 3 and 4 gave the same weights %s", a.ID())
	}
	if !regexp.MustCompile(`^mnist-cnn-v1-[0-9a-f]{12}$`).MatchString(a.ID()) || a.ID()[13:] != a.SHA256()[:12] {
		t.Errorf("id %q does not name the dataset, architecture and sha256 %s", a.ID(), a.SHA256())
	}
	// 8 steps already beat chance: 10 %, ± 1.3 % on 500 images.
	if acc := a.TestAccuracy(); acc < 0.15 {
		t.Errorf("after 8 steps the test accuracy is %.3f, want well above chance", acc)
	}

	// The file round-trips: same id, same outputs.
	path := filepath.Join(t.TempDir(), "w.bin")
	if err := os.WriteFile(path, a.WeightsFile(), 0o644); err != nil {
		t.Fatal(err)
	}
	loaded, err := quality.LoadExtractorFile(testBackend(t), path)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.ID() != a.ID() || loaded.TestAccuracy() != a.TestAccuracy() || loaded.TrainOptions().Seed != 3 {
		t.Errorf("loaded %s (accuracy %g, seed %d), want %s (%g, 3)", loaded.ID(), loaded.TestAccuracy(), loaded.TrainOptions().Seed, a.ID(), a.TestAccuracy())
	}
	want, err := a.Run(test.Images[:10*pixels], 10)
	if err != nil {
		t.Fatal(err)
	}
	got, err := loaded.Run(test.Images[:10*pixels], 10)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		for j := range quality.FeatureDim {
			if got.Features.At(i, j) != want.Features.At(i, j) {
				t.Fatalf("feature (%d,%d): loaded %g, trained %g", i, j, got.Features.At(i, j), want.Features.At(i, j))
			}
		}
	}
}

func TestLoadExtractorErrors(t *testing.T) {
	dir := t.TempDir()
	f := loadFixture(t, "mnist")
	good := f.ex.WeightsFile()
	tests := []struct {
		name string
		file []byte
	}{
		{"empty", nil},
		{"truncated", good[:len(good)/2]},
		{"not a weights file", []byte("version https://git-lfs.github.com/spec/v1\noid sha256:0000\nsize 12\n")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name)
			if err := os.WriteFile(path, tc.file, 0o644); err != nil {
				t.Fatal(err)
			}
			if ex, err := quality.LoadExtractorFile(testBackend(t), path); err == nil {
				t.Errorf("LoadExtractorFile = %s, want an error", ex.ID())
			}
		})
	}
	if _, err := quality.LoadExtractor(testBackend(t), "cifar10"); err == nil {
		t.Error("LoadExtractor(cifar10): want an error")
	}
}
