package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ganbook/ganbook/tracker"
	_ "github.com/ganbook/ganbook/tracker/sqlite" // registers the SQLite backend
)

// defaultDB is the tracker database used when --db is not given.
func defaultDB() string {
	if v := os.Getenv("GANBOOK_DB"); v != "" {
		return v
	}
	return "ganbook.db"
}

// openStore opens the tracker database. GANBOOK_HEARTBEAT_TIMEOUT (a duration)
// shortens the liveness timeout, which the crash tests need.
func openStore(path string, opts ...tracker.Option) (*tracker.Store, error) {
	if v := os.Getenv("GANBOOK_HEARTBEAT_TIMEOUT"); v != "" {
		timeout, err := time.ParseDuration(v)
		if err != nil || timeout <= 0 {
			return nil, fmt.Errorf("GANBOOK_HEARTBEAT_TIMEOUT=%q: want a positive duration such as 10s", v)
		}
		opts = append(opts, tracker.WithHeartbeat(timeout/5, timeout))
	}
	store, err := tracker.Open(path, opts...)
	if err != nil {
		return nil, fmt.Errorf("--db %s: %w", path, err)
	}
	return store, nil
}

// parseTags turns repeated k=v flags into a map.
func parseTags(flagName string, kvs []string) (map[string]string, error) {
	tags := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("%s %q: want key=value", flagName, kv)
		}
		tags[strings.TrimSpace(k)] = v
	}
	return tags, nil
}

// runIDFile is where an output directory remembers its tracker run, so that
// --resume can link the continuation to it.
func runIDFile(out string) string { return filepath.Join(out, "tracker-run-id") }
