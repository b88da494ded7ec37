package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Every command but train opens an existing database only: on a missing
// one it exits non-zero naming the path and leaves no file behind.
func TestCommandsRefuseMissingDatabase(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "none.db")
	id := strings.Repeat("a", 32)
	tests := [][]string{
		{"runs"},
		{"runs", "--json"},
		{"show", id},
		{"compare", id, id},
		{"export", id},
		{"tag", id, "k=v"},
		{"rm", "--yes", id},
		{"reproduce", id},
		{"eval", id},
		{"ui", "--addr", "127.0.0.1:0"},
	}
	for _, args := range tests {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := runGanbook(t, dir, nil, append(args, "--db", db)...)
			if r.exitCode == 0 {
				t.Errorf("exit 0; want failure\n%s", r.stdout)
			}
			if !strings.Contains(r.stderr, db) || !strings.Contains(r.stderr, "does not exist") {
				t.Errorf("stderr does not name %s as missing:\n%s", db, r.stderr)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("left behind: %v", entries)
			}
		})
	}
	// GANBOOK_DB is the default --db.
	r := runGanbook(t, dir, []string{"GANBOOK_DB=" + db}, "runs")
	if r.exitCode == 0 || !strings.Contains(r.stderr, db) {
		t.Errorf("runs with GANBOOK_DB of a missing file: exit %d\n%s", r.exitCode, r.stderr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestHeartbeatOptions(t *testing.T) {
	tests := []struct {
		value string
		opts  int // options returned; -1 for an error
	}{
		{"", 0},
		{"2s", 1},
		{"1m30s", 1},
		{"1s", 1},
		{"999ms", -1}, // heartbeats every 200 ms would load the database
		{"0", -1},
		{"-5s", -1},
		{"10", -1}, // a unit is required
		{"soon", -1},
	}
	for _, tt := range tests {
		opts, err := heartbeatOptions(tt.value)
		if tt.opts < 0 {
			if err == nil || !strings.Contains(err.Error(), heartbeatTimeoutEnv) {
				t.Errorf("%q: %v; want an error naming %s", tt.value, err, heartbeatTimeoutEnv)
			}
			continue
		}
		if err != nil || len(opts) != tt.opts {
			t.Errorf("%q: %d options, %v; want %d", tt.value, len(opts), err, tt.opts)
		}
	}
	// The timeout reaches the runs: a run started with 3s records 3s.
	path := filepath.Join(t.TempDir(), "hb.db")
	t.Setenv(heartbeatTimeoutEnv, "3s")
	store, err := openStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	run, err := store.StartRun(t.Context(), "", "hb", nil)
	if err != nil {
		t.Fatal(err)
	}
	run.Finish(t.Context())
	info, err := store.Run(t.Context(), run.ID())
	if err != nil || info.HeartbeatTimeout != 3*time.Second {
		t.Errorf("recorded heartbeat timeout %v, %v; want 3s", info.HeartbeatTimeout, err)
	}
	t.Setenv(heartbeatTimeoutEnv, "bad")
	if _, err := openStore(path); err == nil {
		t.Error("openStore accepted GANBOOK_HEARTBEAT_TIMEOUT=bad")
	}
}

func TestMaxBufferedOptions(t *testing.T) {
	tests := []struct {
		value string
		opts  int // options returned; -1 for an error
	}{
		{"", 0}, {"100", 1}, {"1048576", 1}, {"99", -1}, {"0", -1}, {"-5", -1}, {"1e6", -1}, {"many", -1},
	}
	for _, tt := range tests {
		opts, err := maxBufferedOptions(tt.value)
		if tt.opts < 0 {
			if err == nil || !strings.Contains(err.Error(), maxBufferedEnv) {
				t.Errorf("%q: %v; want an error naming %s", tt.value, err, maxBufferedEnv)
			}
			continue
		}
		if err != nil || len(opts) != tt.opts {
			t.Errorf("%q: %d options, %v; want %d", tt.value, len(opts), err, tt.opts)
		}
	}
}
