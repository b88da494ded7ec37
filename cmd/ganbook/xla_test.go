package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ganbook/ganbook/internal/xlaplugin"
)

// requireXLAPlugin skips (fails with CI=true) when the XLA CPU plugin that
// scripts/deps/xla.sh installs is missing.
func requireXLAPlugin(t *testing.T) {
	t.Helper()
	if _, ok := xlaplugin.Find()["cpu"]; ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("no XLA CPU plugin in %v (scripts/deps/xla.sh installs it)", xlaplugin.SearchDirs())
	}
	t.Skipf("no XLA CPU plugin in %v (run scripts/deps/xla.sh)", xlaplugin.SearchDirs())
}

// Training on XLA: both models train, the run record's backend line names XLA
// and the plugin's version, and `ganbook reproduce --strict` on the same
// backend matches the losses bitwise.
func TestTrainOnXLA(t *testing.T) {
	requireXLAPlugin(t)
	for _, model := range []string{"dcgan", "mlp"} {
		t.Run(model, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "xla.db")
			xla := []string{"GOMLX_BACKEND=xla:cpu"}
			r := runGanbook(t, dir, xla, "train", "--db", db, "--model", model, "--steps", "20", "--out", filepath.Join(dir, "a"))
			if r.exitCode != 0 {
				t.Fatalf("train on XLA: exit %d\n%s\n%s", r.exitCode, r.stdout, r.stderr)
			}
			id := regexp.MustCompile(`run: ([0-9a-f]{32})`).FindStringSubmatch(r.stdout)
			if id == nil {
				t.Fatalf("train printed no run id:\n%s", r.stdout)
			}
			show := runGanbook(t, dir, nil, "show", id[1][:8], "--db", db)
			line := regexp.MustCompile(`(?m)^\s*backend\s+(.*)$`).FindStringSubmatch(show.stdout)
			if line == nil {
				t.Fatalf("show prints no backend line:\n%s", show.stdout)
			}
			for _, want := range []string{"xla", "pjrt_c_api_cpu_plugin.so", "plugin xla-cpu-pjrt 0.0.1", "PJRT C API v0.81"} {
				if !strings.Contains(line[1], want) {
					t.Errorf("backend line %q lacks %q", line[1], want)
				}
			}
			if model != "mlp" {
				return // one reproduction is enough: XLA compiles every graph again
			}
			r = runGanbook(t, dir, xla, "reproduce", id[1][:8], "--db", db, "--out", filepath.Join(dir, "b"), "--strict")
			if r.exitCode != 0 {
				t.Fatalf("reproduce on XLA: exit %d\n%s\n%s", r.exitCode, r.stdout, r.stderr)
			}
			for _, key := range []string{"d_loss", "g_loss"} {
				if !regexp.MustCompile(key + `\s+bitwise match over 20 steps`).MatchString(r.stdout) {
					t.Errorf("reproduce on XLA does not report a bitwise %s match:\n%s", key, r.stdout)
				}
			}
		})
	}
}

// A bad plugin file gives one line naming it: ganbook trains on the go
// backend when GOMLX_BACKEND is not set, and exits non-zero when it asks for
// XLA. (internal/xlaplugin's tests cover each kind of bad file.)
func TestBadXLAPlugin(t *testing.T) {
	files := []struct {
		name string
		data []byte
		want string
	}{
		{"corrupt", []byte("<html>not a library</html>"), "not a shared library, corrupt or truncated"},
		{"other architecture", append([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 183, 0, 1, 0, 0, 0},
			make([]byte, 40)...), "built for aarch64"},
	}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			dir := t.TempDir()
			plugins := filepath.Join(dir, "plugins")
			if err := os.MkdirAll(plugins, 0o755); err != nil {
				t.Fatal(err)
			}
			plugin := filepath.Join(plugins, "pjrt_c_api_cpu_plugin.so")
			if err := os.WriteFile(plugin, f.data, 0o755); err != nil {
				t.Fatal(err)
			}
			env := []string{"PJRT_PLUGIN_LIBRARY_PATH=" + plugins, "GANBOOK_CACHE=" + filepath.Join(dir, "cache")}
			wantLine := "XLA PJRT plugin " + plugin + ": " + f.want
			for _, tc := range []struct {
				backend  string
				wantExit bool
			}{{"", false}, {"xla:cpu", true}, {"xla:" + plugin, true}} {
				r := runGanbook(t, dir, append(env, "GOMLX_BACKEND="+tc.backend), "train", "--db", filepath.Join(dir, "t.db"),
					"--model", "mlp", "--steps", "1", "--sample-every", "0", "--out", filepath.Join(dir, "out-"+strings.NewReplacer(":", "", "/", "").Replace(tc.backend)))
				if (r.exitCode != 0) != tc.wantExit {
					t.Errorf("GOMLX_BACKEND=%q: exit %d, want non-zero: %v\n%s", tc.backend, r.exitCode, tc.wantExit, r.stderr)
				}
				var lines []string
				for l := range strings.SplitSeq(r.stderr, "\n") {
					if strings.Contains(l, plugin) {
						lines = append(lines, l)
					}
				}
				if len(lines) != 1 || !strings.Contains(lines[0], wantLine) {
					t.Errorf("GOMLX_BACKEND=%q: stderr lines naming the plugin %q, want one with %q\n%s", tc.backend, lines, wantLine, r.stderr)
				}
				if !tc.wantExit && len(lines) == 1 && !strings.Contains(lines[0], "pure-Go backend") {
					t.Errorf("GOMLX_BACKEND unset: no word of the go backend:\n%s", r.stderr)
				}
			}
		})
	}
}
