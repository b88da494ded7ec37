package tracker_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/ganbook/ganbook/tracker"
)

func TestHashFiles(t *testing.T) {
	dir := t.TempDir()
	abc := filepath.Join(dir, "abc")
	empty := filepath.Join(dir, "empty")
	os.WriteFile(abc, []byte("abc"), 0o644)
	os.WriteFile(empty, nil, 0o644)
	got, err := tracker.HashFiles(abc, empty)
	if err != nil {
		t.Fatal(err)
	}
	// FIPS 180-2 test vectors.
	want := []tracker.FileHash{
		{Path: abc, Size: 3, SHA256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{Path: empty, Size: 0, SHA256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("HashFiles = %+v; want %+v", got, want)
	}
	if _, err := tracker.HashFiles(filepath.Join(dir, "missing")); err == nil {
		t.Error("HashFiles of a missing file gave no error")
	}
}

// needGit skips without git locally, and fails in CI, where every tool the
// tests need must be present.
func needGit(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("git is missing")
		}
		t.Skip("git is missing")
	}
}

func TestCollectEnvironmentGit(t *testing.T) {
	needGit(t)
	ctx := context.Background()
	dir := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// Outside a work tree (a directory in no repository): no git facts, no error.
	plain := t.TempDir()
	rec, err := tracker.CollectEnvironment(ctx, plain)
	if err != nil || rec.GitDiffSHA256 != "" {
		t.Errorf("outside git: %+v, %v", rec, err)
	}

	git("init", "-q")
	write("a.txt", "one\n")
	git("add", "a.txt")
	git("commit", "-q", "-m", "first")
	head := git("rev-parse", "HEAD")

	type state struct {
		commit string
		dirty  bool
		hash   string
	}
	collect := func() state {
		t.Helper()
		rec, err := tracker.CollectEnvironment(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		return state{rec.GitCommit, rec.GitDirty, rec.GitDiffSHA256}
	}
	clean := collect()
	if clean != (state{head, false, ""}) {
		t.Errorf("clean tree: %+v; want commit %s, not dirty", clean, head)
	}
	write("a.txt", "two\n")
	edit1 := collect()
	write("a.txt", "three\n")
	edit2 := collect()
	write("a.txt", "one\n")
	write("new.txt", "untracked\n")
	untracked := collect()
	os.Remove(filepath.Join(dir, "new.txt"))
	back := collect()
	tests := []struct {
		name string
		got  state
	}{{"edited", edit1}, {"edited differently", edit2}, {"untracked file", untracked}}
	for _, tt := range tests {
		if tt.got.commit != head || !tt.got.dirty || len(tt.got.hash) != 64 {
			t.Errorf("%s: %+v; want commit %s, dirty, a sha256", tt.name, tt.got, head)
		}
	}
	if edit1.hash == edit2.hash || edit1.hash == untracked.hash {
		t.Error("different changes gave the same diff hash")
	}
	if back != clean {
		t.Errorf("restored tree: %+v; want %+v", back, clean)
	}
}

func TestCollectEnvironment(t *testing.T) {
	rec, err := tracker.CollectEnvironment(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if rec.GoVersion != runtime.Version() || rec.OS != runtime.GOOS || rec.Arch != runtime.GOARCH || rec.NumCPU != runtime.NumCPU() {
		t.Errorf("record %+v", rec)
	}
	if !slices.Equal(rec.CommandLine, os.Args) {
		t.Errorf("command line %v; want %v", rec.CommandLine, os.Args)
	}
	if runtime.GOOS == "linux" && rec.CPU == "" {
		t.Error("no CPU model on Linux")
	}
	if rec.MainModule != "github.com/ganbook/ganbook" {
		t.Errorf("main module %q", rec.MainModule)
	}
}

func TestRecordDifferences(t *testing.T) {
	base := tracker.ReproRecord{
		GitCommit: "c1", GoVersion: "go1.26.8", Modules: map[string]string{"gomlx": "v0.28.2"},
		Backend: "go", OS: "linux", Arch: "amd64", CPU: "EPYC", Seed: 1,
		Config:   json.RawMessage(`{"a": 1, "b": [1, 2]}`),
		Datasets: []tracker.FileHash{{Path: "train.gz", SHA256: "aa"}},
	}
	change := func(f func(r *tracker.ReproRecord)) tracker.ReproRecord {
		r := base
		r.Modules = map[string]string{"gomlx": "v0.28.2"}
		r.Datasets = slices.Clone(base.Datasets)
		f(&r)
		return r
	}
	tests := []struct {
		name  string
		other tracker.ReproRecord
		want  []string // fragments, one per expected difference
	}{
		{"same", change(func(r *tracker.ReproRecord) {}), nil},
		{"config reformatted", change(func(r *tracker.ReproRecord) { r.Config = json.RawMessage(`{"b":[1,2],"a":1}`) }), nil},
		{"command line ignored", change(func(r *tracker.ReproRecord) { r.CommandLine = []string{"x"} }), nil},
		{"commit", change(func(r *tracker.ReproRecord) { r.GitCommit = "c2" }), []string{"git commit"}},
		{"dirty", change(func(r *tracker.ReproRecord) { r.GitDirty, r.GitDiffSHA256 = true, "ff" }), []string{"uncommitted"}},
		{"backend and seed", change(func(r *tracker.ReproRecord) { r.Backend, r.Seed = "xla", 2 }), []string{"backend", "seed"}},
		{"module", change(func(r *tracker.ReproRecord) { r.Modules["gomlx"] = "v0.29.0" }), []string{"module gomlx"}},
		{"new module", change(func(r *tracker.ReproRecord) { r.Modules["extra"] = "v1" }), []string{"module extra"}},
		{"config", change(func(r *tracker.ReproRecord) { r.Config = json.RawMessage(`{"a": 2, "b": [1, 2]}`) }), []string{"config"}},
		{"dataset", change(func(r *tracker.ReproRecord) { r.Datasets[0].SHA256 = "bb" }), []string{"dataset train.gz"}},
		{"cpu", change(func(r *tracker.ReproRecord) { r.CPU = "Xeon" }), []string{"CPU"}},
	}
	for _, tt := range tests {
		got := base.Differences(tt.other)
		if len(got) != len(tt.want) {
			t.Errorf("%s: %q; want %d differences", tt.name, got, len(tt.want))
			continue
		}
		for i, frag := range tt.want {
			if !strings.Contains(got[i], frag) {
				t.Errorf("%s: difference %q lacks %q", tt.name, got[i], frag)
			}
		}
	}
}
