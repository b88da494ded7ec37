package main

import (
	"context"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/tracker"
	"github.com/ganbook/ganbook/tutorials/tracked"
)

// TestCLIAndNotebookRecordAlike records one config through `ganbook train`'s
// path (runTrain) and through the notebooks' (tracked.Train) into one
// database and finds the same params, the same tags (keys and, but for the
// output directory, values), the same metric keys, and dataset files with
// their sizes in both records.
func TestCLIAndNotebookRecordAlike(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "runs.db")
	cfg := gan.DefaultConfig()
	cfg.Steps, cfg.Batch, cfg.SampleEvery, cfg.CheckpointEvery, cfg.SampleGrid = 3, 8, 0, 0, 2

	f := &trainFlags{cfg: cfg, out: filepath.Join(dir, "cli"), db: db, name: "cli", experiment: "same"}
	cli, err := runTrain(context.Background(), io.Discard, io.Discard, f)
	if err != nil {
		t.Fatalf("CLI path: %v", err)
	}

	store, err := tracker.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ds, err := gan.LoadTrainingSet(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	backend, err := gan.NewBackend(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	nb, err := tracked.Train(context.Background(), backend, store, cfg, ds, tracked.Spec{
		Experiment: "same", Name: "notebook", OutDir: filepath.Join(dir, "notebook"),
	})
	if err != nil {
		t.Fatalf("notebook path: %v", err)
	}

	ctx := context.Background()
	a, err := store.Run(ctx, cli.runID)
	if err != nil {
		t.Fatal(err)
	}
	b, err := store.Run(ctx, nb.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(a.Params, b.Params) {
		t.Errorf("params differ:\nCLI      %v\nnotebook %v", a.Params, b.Params)
	}
	keys := func(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
	if !slices.Equal(keys(a.Tags), keys(b.Tags)) {
		t.Errorf("tag keys differ: CLI %v, notebook %v", keys(a.Tags), keys(b.Tags))
	}
	// Hand-written: the tags every run must have.
	for _, k := range []string{"trainer_version", "config", "out_dir"} {
		if a.Tags[k] == "" || b.Tags[k] == "" {
			t.Errorf("tag %s: CLI %q, notebook %q; want both set", k, a.Tags[k], b.Tags[k])
		} else if k != "out_dir" && a.Tags[k] != b.Tags[k] {
			t.Errorf("tag %s: CLI %q, notebook %q; want the same", k, a.Tags[k], b.Tags[k])
		}
	}
	if a.Tags["trainer_version"] != gan.TrainerVersion {
		t.Errorf("tag trainer_version %q, want %q", a.Tags["trainer_version"], gan.TrainerVersion)
	}
	wantMetrics := []string{"d_fake", "d_loss", "d_real", "g_loss", "images_per_sec"}
	for _, r := range []tracker.RunInfo{a, b} {
		if got := slices.Sorted(maps.Keys(r.Metrics)); !slices.Equal(got, wantMetrics) {
			t.Errorf("run %s: metric keys %v, want %v", r.Name, got, wantMetrics)
		}
		if r.Status != tracker.StatusFinished {
			t.Errorf("run %s: status %s, want FINISHED", r.Name, r.Status)
		}
		if r.Record == nil || len(r.Record.Datasets) != 2 {
			t.Fatalf("run %s: record %+v, want two dataset files", r.Name, r.Record)
		}
		// MNIST's training IDX files: a 16-byte header and 60,000 28×28 images;
		// an 8-byte header and 60,000 labels.
		for i, want := range []int64{16 + 60000*28*28, 8 + 60000} {
			if got := r.Record.Datasets[i].Size; got != want {
				t.Errorf("run %s: dataset file %s has size %d, want %d", r.Name, r.Record.Datasets[i].Path, got, want)
			}
		}
	}
}
