package gantrack

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/tracker"
)

func TestStepMetricKeysAndValues(t *testing.T) {
	want := []string{"d_loss", "g_loss", "d_real", "d_fake", "images_per_sec"}
	if !slices.Equal(StepMetricKeys, want) {
		t.Errorf("StepMetricKeys = %v, want %v", StepMetricKeys, want)
	}
	for _, c := range []struct{ got, want string }{
		{DLoss, "d_loss"}, {GLoss, "g_loss"}, {DReal, "d_real"}, {DFake, "d_fake"}, {ImagesPerSec, "images_per_sec"},
	} {
		if c.got != c.want {
			t.Errorf("key %q, want %q", c.got, c.want)
		}
	}
	m := gan.StepMetrics{Step: 7, DLoss: 1.5, GLoss: 2.5, DReal: 0.75, DFake: 0.25, ImagesPerSec: 1000}
	wantValues := map[string]float64{"d_loss": 1.5, "g_loss": 2.5, "d_real": 0.75, "d_fake": 0.25, "images_per_sec": 1000}
	if got := StepMetricValues(m); !maps.Equal(got, wantValues) {
		t.Errorf("StepMetricValues = %v, want %v", got, wantValues)
	}
}

func TestStatus(t *testing.T) {
	for _, c := range []struct {
		err  error
		want tracker.RunStatus
	}{
		{nil, tracker.StatusFinished},
		{context.Canceled, tracker.StatusKilled},
		{fmt.Errorf("step 4: %w", context.Canceled), tracker.StatusKilled},
		{errors.Join(context.Canceled, errors.New("also this")), tracker.StatusKilled},
		{errors.New("diverged"), tracker.StatusFailed},
		{context.DeadlineExceeded, tracker.StatusFailed},
	} {
		if got := Status(c.err); got != c.want {
			t.Errorf("Status(%v) = %s, want %s", c.err, got, c.want)
		}
	}
}

func TestStandardTags(t *testing.T) {
	cfg := gan.DefaultConfig()
	other := cfg
	other.LRG = 1e-3
	abs, err := filepath.Abs("out")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		cfg    gan.Config
		outDir string
		want   map[string]string
	}{
		{"no output", cfg, "", map[string]string{"trainer_version": gan.TrainerVersion, "config": ConfigHash(cfg)}},
		{"relative output", cfg, "out", map[string]string{"trainer_version": gan.TrainerVersion, "config": ConfigHash(cfg), "out_dir": abs}},
		{"other config", other, "", map[string]string{"trainer_version": gan.TrainerVersion, "config": ConfigHash(other)}},
	} {
		got, err := StandardTags(c.cfg, c.outDir)
		if err != nil || !maps.Equal(got, c.want) {
			t.Errorf("%s: StandardTags = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	if h := ConfigHash(cfg); len(h) != 12 || h == ConfigHash(other) || h != ConfigHash(gan.DefaultConfig()) {
		t.Errorf("ConfigHash: %q for the default config, %q for another; want 12 hex digits, stable, distinct", h, ConfigHash(other))
	}
}
