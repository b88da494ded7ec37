package xlaplugin

import (
	"os"
	"path/filepath"
	"testing"
)

func touch(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFind(t *testing.T) {
	root := t.TempDir()
	cache := filepath.Join(root, "cache")
	first, second := filepath.Join(root, "a"), filepath.Join(root, "b")
	t.Setenv("GANBOOK_CACHE", cache)
	t.Setenv("HOME", filepath.Join(root, "home"))
	touch(t, filepath.Join(cache, "xla", CPUVersion, "pjrt_c_api_cpu_plugin.so"))
	touch(t, filepath.Join(first, "pjrt-plugin-cuda.so"))
	touch(t, filepath.Join(second, "pjrt_c_api_cpu_plugin.so"))
	touch(t, filepath.Join(second, "libsomething.so"))
	touch(t, filepath.Join(root, "home", ".local", "lib", "go-xla", "pjrt_plugin_tpu.so"))

	tests := []struct {
		name  string
		paths *string // $PJRT_PLUGIN_LIBRARY_PATH, nil: unset
		want  map[string]string
	}{
		{"unset: go-xla's home dir, then the cache", nil, map[string]string{
			"tpu": filepath.Join(root, "home", ".local", "lib", "go-xla", "pjrt_plugin_tpu.so"),
			"cpu": filepath.Join(cache, "xla", CPUVersion, "pjrt_c_api_cpu_plugin.so")}},
		{"set: its directories first, in order", ptr(first + ":" + second), map[string]string{
			"cuda": filepath.Join(first, "pjrt-plugin-cuda.so"),
			"cpu":  filepath.Join(second, "pjrt_c_api_cpu_plugin.so")}},
		{"set to a directory without plugins: the cache", ptr(filepath.Join(root, "none")), map[string]string{
			"cpu": filepath.Join(cache, "xla", CPUVersion, "pjrt_c_api_cpu_plugin.so")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.paths == nil {
				os.Unsetenv(PathsEnv)
			} else {
				t.Setenv(PathsEnv, *tt.paths)
			}
			got := Find()
			if len(got) != len(tt.want) {
				t.Errorf("Find() = %v, want %v", got, tt.want)
			}
			for name, path := range tt.want {
				if got[name] != path {
					t.Errorf("Find()[%q] = %q, want %q", name, got[name], path)
				}
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestCacheDir(t *testing.T) {
	tests := []struct{ cache, xdg, home, want string }{
		{"/c", "/x", "/h", "/c/xla/" + CPUVersion},
		{"", "/x", "/h", "/x/ganbook/xla/" + CPUVersion},
		{"", "", "/h", "/h/.cache/ganbook/xla/" + CPUVersion},
	}
	for _, tt := range tests {
		t.Setenv("GANBOOK_CACHE", tt.cache)
		t.Setenv("XDG_CACHE_HOME", tt.xdg)
		t.Setenv("HOME", tt.home)
		if got := CacheDir(); got != tt.want {
			t.Errorf("CacheDir() with GANBOOK_CACHE=%q XDG_CACHE_HOME=%q HOME=%q = %q, want %q", tt.cache, tt.xdg, tt.home, got, tt.want)
		}
	}
}
