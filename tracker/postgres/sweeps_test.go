package postgres

import (
	"context"
	"errors"
	"testing"

	"github.com/ganbook/ganbook/internal/pgtest"
	"github.com/ganbook/ganbook/tracker"
)

// A database of the schema before sweeps reads, read-only, as one without
// sweeps, and is upgraded by a read-write open.
func TestSweepsOnOlderSchema(t *testing.T) {
	srv := pgtest.Shared(t)
	ctx := context.Background()
	url := srv.NewDatabase(t)
	d, err := Open(url, tracker.BackendConfig{})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if err := pgtest.ExecURL(ctx, url, `DROP TABLE sweep_trials, sweeps; UPDATE ganbook_schema SET version = 3`); err != nil {
		t.Fatal(err)
	}
	ro, err := tracker.Open(url, tracker.ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	if sweeps, err := ro.Sweeps(ctx); err != nil || len(sweeps) != 0 {
		t.Errorf("Sweeps of a version-3 database: %v, %v; want none", sweeps, err)
	}
	if _, err := ro.Sweep(ctx, "x"); !errors.Is(err, tracker.ErrNotFound) {
		t.Errorf("Sweep of a version-3 database: %v; want ErrNotFound", err)
	}
	ro.Close()
	s, err := tracker.Open(url)
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
