package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ganbook/ganbook/tracker"
)

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

// bufferBound is how many points a run keeps in memory while the database
// cannot be written: GANBOOK_MAX_BUFFERED, or the tracker's default.
func bufferBound() int {
	if n, err := strconv.Atoi(os.Getenv(maxBufferedEnv)); err == nil && n > 0 {
		return n
	}
	return tracker.DefaultMaxBuffered
}
