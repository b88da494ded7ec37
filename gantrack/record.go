package gantrack

import (
	"context"
	"encoding/json"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/gan/data"
	"github.com/ganbook/ganbook/tracker"
)

// ReproRecord gathers what is needed to reproduce a run of cfg on ds:
// the process's environment (tracker.CollectEnvironment), the backend
// (gan.BackendDescription), the seed, the configuration and each dataset
// file's path, size and SHA-256.
func ReproRecord(ctx context.Context, cfg gan.Config, ds *data.Dataset, backend string) (tracker.ReproRecord, error) {
	rec, err := tracker.CollectEnvironment(ctx, "")
	if err != nil {
		return rec, err
	}
	rec.Backend = backend
	rec.Seed = cfg.Seed
	if rec.Config, err = json.Marshal(cfg); err != nil {
		return rec, err
	}
	for _, f := range ds.Files {
		rec.Datasets = append(rec.Datasets, tracker.FileHash{Path: f.Path, Size: f.Size, SHA256: f.SHA256})
	}
	return rec, nil
}
