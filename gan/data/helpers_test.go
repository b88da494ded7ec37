package data

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// inCI reports whether the tests run in CI, where a missing tool or data
// package is a failure rather than a skip.
func inCI() bool { return os.Getenv("CI") == "true" }

// skipOrFail skips locally and fails in CI.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if inCI() {
		t.Fatalf("CI=true: "+format, args...)
	}
	t.Skipf(format, args...)
}

var (
	loadCacheMu sync.Mutex
	loadCache   = map[string]*Dataset{}
)

// loadShared loads a dataset from its default sources without network, once
// per test binary.
func loadShared(t *testing.T, name string, split Split, scale Range) *Dataset {
	t.Helper()
	key := name + split.String() + scale.String()
	loadCacheMu.Lock()
	defer loadCacheMu.Unlock()
	if ds, ok := loadCache[key]; ok {
		return ds
	}
	ds, err := Load(name, split, Options{Scale: scale, NoDownload: true, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatalf("Load(%q, %v): %v", name, split, err)
	}
	loadCache[key] = ds
	return ds
}

// goMNISTDataDir is the data/ folder of the GoMNIST module, which building
// this package put into the module cache.
func goMNISTDataDir(t *testing.T) string {
	t.Helper()
	dir, err := goModuleDir(context.Background(), false)
	if err != nil {
		t.Fatalf("GoMNIST module not in the module cache: %v", err)
	}
	return filepath.Join(dir, "data")
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func gzipBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
