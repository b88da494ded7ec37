package gan

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A plugin file NewBackend cannot use gives one line naming it: with
// $GOMLX_BACKEND unset NewBackend falls back to the go backend; when it asks
// for XLA, NewBackend fails (ganbook exits non-zero). The incompatible plugin
// is a real shared library, compiled here, whose GetPjrtApi reports PJRT C
// API v1.0.
func TestNewBackendRefusesBadPlugins(t *testing.T) {
	tests := []struct {
		name string
		make func(t *testing.T, path string)
		want string
	}{
		{"corrupt", func(t *testing.T, path string) {
			if err := os.WriteFile(path, bytes.Repeat([]byte{0xde, 0xad}, 100), 0o755); err != nil {
				t.Fatal(err)
			}
		}, "not a shared library, corrupt or truncated"},
		{"incompatible PJRT version", func(t *testing.T, path string) {
			cc, err := exec.LookPath("cc")
			if err != nil {
				if os.Getenv("CI") == "true" {
					t.Fatal("no C compiler (cc) to build a fake plugin")
				}
				t.Skip("no C compiler (cc) to build a fake plugin")
			}
			src := filepath.Join(t.TempDir(), "fake.c")
			code := "#include <stddef.h>\n" +
				"typedef struct { size_t s; void* e; int major, minor; } V;\n" +
				"typedef struct { size_t s; void* e; V v; } A;\n" +
				"static A api = { sizeof(A), 0, { sizeof(V), 0, 1, 0 } };\n" +
				"const A* GetPjrtApi(void) { return &api; }\n"
			if err := os.WriteFile(src, []byte(code), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(cc, "-shared", "-fPIC", "-o", path, src).CombinedOutput(); err != nil {
				t.Fatalf("cc: %v\n%s", err, out)
			}
		}, "PJRT C API v1.0, incompatible"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			plugin := filepath.Join(dir, "pjrt_c_api_cpu_plugin.so")
			tc.make(t, plugin)
			t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", dir)
			t.Setenv("GANBOOK_CACHE", filepath.Join(dir, "cache"))
			wantLine := "XLA PJRT plugin " + plugin + ": " + tc.want

			os.Unsetenv("GOMLX_BACKEND")
			var w bytes.Buffer
			b, err := NewBackend(&w)
			if err != nil {
				t.Fatalf("GOMLX_BACKEND unset: %v", err)
			}
			if b.Name() == "xla" || strings.Count(w.String(), "\n") != 1 || !strings.Contains(w.String(), wantLine) ||
				!strings.Contains(w.String(), "using the pure-Go backend") {
				t.Errorf("GOMLX_BACKEND unset: backend %q, said %q; want the go backend and one line with %q", b.Name(), w.String(), wantLine)
			}

			for _, config := range []string{"xla:cpu", "xla:" + plugin} {
				t.Setenv("GOMLX_BACKEND", config)
				w.Reset()
				if _, err := NewBackend(&w); err == nil || !strings.Contains(err.Error(), wantLine) || strings.Contains(err.Error(), "\n") {
					t.Errorf("GOMLX_BACKEND=%s: error %v, want one line with %q", config, err, wantLine)
				}
			}
		})
	}
}
