package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/ganbook/ganbook/tracker"
)

// A database of the schema before sweeps reads, read-only, as one without
// sweeps, and is upgraded by a read-write open.
func TestSweepsOnOlderSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "runs.db")
	d, err := Open(path, tracker.BackendConfig{})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`DROP TABLE sweep_trials; DROP TABLE sweeps; PRAGMA user_version = 3`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	ro, err := tracker.Open(path, tracker.ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	if sweeps, err := ro.Sweeps(ctx); err != nil || len(sweeps) != 0 {
		t.Errorf("Sweeps of a version-3 database: %v, %v; want none", sweeps, err)
	}
	if _, err := ro.Trials(ctx, "x"); !errors.Is(err, tracker.ErrNotFound) {
		t.Errorf("Trials of a version-3 database: %v; want ErrNotFound", err)
	}
	ro.Close()
	s, err := tracker.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateSweep(ctx, tracker.NewSweep{ID: "up", Trials: []map[string]string{{"a": "1"}}}); err != nil {
		t.Errorf("CreateSweep after the upgrade: %v", err)
	}
	if tr, ok, err := s.ClaimTrial(ctx, "up", "w", 1e9); !ok || err != nil || tr.Params["a"] != "1" {
		t.Errorf("ClaimTrial after the upgrade: %+v, %v, %v", tr, ok, err)
	}
}
