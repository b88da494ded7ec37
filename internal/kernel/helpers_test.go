package kernel

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// repoRoot is the checkout these tests run in.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := FindRepo(".")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

var (
	toolsOnce sync.Once
	toolsDir  string
	toolsErr  error
)

// pinnedTools returns a directory holding real builds of the pinned gonb and goimports:
// ganbook's cache, built there once if needed (tens of seconds), reused afterwards. The
// doctor reads the versions from the binaries' build information, so fakes would not do.
func pinnedTools(t *testing.T) string {
	t.Helper()
	toolsOnce.Do(func() {
		toolsDir, toolsErr = DefaultBinDir()
		for _, tool := range Tools {
			if toolsErr == nil {
				_, toolsErr = BuildTool(context.Background(), tool, toolsDir, nil)
			}
		}
	})
	if toolsErr != nil {
		t.Fatalf("building the pinned tools: %v", toolsErr)
	}
	return toolsDir
}

// linkTools makes a fresh tool directory with symbolic links to the pinned builds, so a
// test can remove or replace one without touching the shared cache.
func linkTools(t *testing.T, names ...string) string {
	t.Helper()
	src := pinnedTools(t)
	dir := filepath.Join(t.TempDir(), "bin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if err := os.Symlink(filepath.Join(src, name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// realGoDir is the directory of the go command these tests run with.
func realGoDir(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	resolved, err := filepath.EvalSymlinks(goBin)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(resolved)
}

// writeScript writes an executable shell script.
func writeScript(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// inCI reports whether a missing tool must fail the test instead of skipping it.
func inCI() bool { return os.Getenv("CI") == "true" }

// needTool skips the test locally, and fails it in CI, when path is not an executable.
func needTool(t *testing.T, path string) {
	t.Helper()
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o111 != 0 {
		return
	}
	if inCI() {
		t.Fatalf("%s is missing (CI=true: a missing tool is a failure)", path)
	}
	t.Skipf("%s is missing; install it to run this test", path)
}

// venvJupyter is the jupyter of the pinned JupyterLab that scripts/deps/jupyter.sh
// installs in ganbook's cache.
func venvJupyter(t *testing.T) string {
	t.Helper()
	cache, err := DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(cache, "venv-jupyter", "bin", "jupyter")
}

// pinnedJupyterLab reads the JupyterLab version scripts/deps/jupyter-requirements.txt pins.
func pinnedJupyterLab(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "scripts", "deps", "jupyter-requirements.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "jupyterlab=="); ok {
			return v
		}
	}
	t.Fatal("scripts/deps/jupyter-requirements.txt pins no jupyterlab")
	return ""
}
