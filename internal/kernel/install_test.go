package kernel

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestGoNBPinMatchesGoMod(t *testing.T) {
	// The kernel and the gonbui library notebooks display through must be one version.
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	want := "\t" + GoNBModule + " " + GoNBVersion + "\n"
	if !bytes.Contains(b, []byte(want)) {
		t.Errorf("go.mod does not require %s %s: the kernel would run another GoNB than notebooks import", GoNBModule, GoNBVersion)
	}
}

func TestInstallWritesSpec(t *testing.T) {
	repo := repoRoot(t)
	tests := []struct {
		name        string
		cfg         Config
		wantEnv     map[string]string
		wantNoEnv   []string
		wantDisplay string
	}{
		{
			name: "defaults",
			cfg:  Config{},
			wantEnv: map[string]string{
				"GOEXPERIMENT": "simd", "GOMLX_NO_AUTO_INSTALL": "1",
				"GANBOOK_DB": filepath.Join(repo, "ganbook.db"), "GANBOOK_REPO": repo,
			},
			wantNoEnv:   []string{"GOMLX_BACKEND"},
			wantDisplay: DefaultDisplayName,
		},
		{
			name: "backend, database and names given",
			cfg:  Config{Name: "gb2", DisplayName: "Go (gb2)", DB: "/srv/runs/t.db", Backend: "xla:cpu"},
			wantEnv: map[string]string{
				"GOEXPERIMENT": "simd", "GOMLX_BACKEND": "xla:cpu", "GANBOOK_DB": "/srv/runs/t.db",
			},
			wantDisplay: "Go (gb2)",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.DataDir, cfg.BinDir, cfg.Repo = t.TempDir(), linkTools(t, "gonb", "goimports", "gopls"), repo
			res, err := Install(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Built) != 0 {
				t.Errorf("built %v although the pinned tools were there", res.Built)
			}
			name := orDefault(cfg.Name, DefaultName)
			spec, err := ReadSpec(SpecDir(cfg.DataDir, name))
			if err != nil {
				t.Fatal(err)
			}
			wantArgv := []string{filepath.Join(cfg.BinDir, "gonb"), "--go_work=" + repo, "--kernel", "{connection_file}"}
			if !slices.Equal(spec.Argv, wantArgv) {
				t.Errorf("argv = %q, want %q", spec.Argv, wantArgv)
			}
			if spec.DisplayName != tc.wantDisplay || spec.Language != "go" {
				t.Errorf("display_name, language = %q, %q", spec.DisplayName, spec.Language)
			}
			for k, v := range tc.wantEnv {
				if spec.Env[k] != v {
					t.Errorf("env %s = %q, want %q", k, spec.Env[k], v)
				}
			}
			for _, k := range tc.wantNoEnv {
				if v, ok := spec.Env[k]; ok {
					t.Errorf("env %s = %q, want it unset", k, v)
				}
			}
			path, _ := spec.KernelEnv("PATH", func(k string) (string, bool) { return "/usr/bin:/bin", k == "PATH" })
			dirs := filepath.SplitList(path)
			if dirs[0] != cfg.BinDir || !slices.Contains(dirs, "/usr/bin") {
				t.Errorf("kernel PATH = %q: want the tools first and Jupyter's PATH kept", path)
			}
			if _, err := lookPath("go", path); err != nil {
				t.Errorf("no go on the kernel PATH %q", path)
			}
			if p := spec.Metadata.Ganbook; p == nil || p.Repo != repo || p.BinDir != cfg.BinDir || p.GoNBVersion != GoNBVersion {
				t.Errorf("metadata.ganbook = %+v", p)
			}
		})
	}
}

func TestInstallTwiceIsSafe(t *testing.T) {
	cfg := Config{DataDir: t.TempDir(), BinDir: linkTools(t, "gonb", "goimports", "gopls"), Repo: repoRoot(t)}
	if _, err := Install(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(filepath.Join(SpecDir(cfg.DataDir, DefaultName), "kernel.json"))
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	cfg.Log = &log
	res, err := Install(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(filepath.Join(res.SpecDir, "kernel.json"))
	if !bytes.Equal(first, second) {
		t.Errorf("second install changed kernel.json:\n%s\nthen\n%s", first, second)
	}
	if len(res.Built) != 0 || !strings.Contains(log.String(), "gonb "+GoNBVersion+" already built") {
		t.Errorf("second install built %v; log:\n%s", res.Built, log.String())
	}
	entries, _ := os.ReadDir(res.SpecDir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left a temporary file: %s", e.Name())
		}
	}
}

func TestInstallRefuses(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, cfg *Config)
		wantErr string
		is      error
	}{
		{
			name: "a kernel of the same name not written by ganbook",
			prepare: func(t *testing.T, cfg *Config) {
				dir := SpecDir(cfg.DataDir, DefaultName)
				os.MkdirAll(dir, 0o755)
				os.WriteFile(filepath.Join(dir, "kernel.json"), []byte(`{"argv":["gonb","--kernel","{connection_file}"],"display_name":"Go (gonb)","language":"go"}`), 0o644)
			},
			is: ErrForeignKernel,
		},
		{
			name:    "a directory that is not a ganbook checkout",
			prepare: func(t *testing.T, cfg *Config) { cfg.Repo = t.TempDir() },
			wantErr: "is not a ganbook checkout",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{DataDir: t.TempDir(), BinDir: linkTools(t, "gonb", "goimports", "gopls"), Repo: repoRoot(t)}
			tc.prepare(t, &cfg)
			_, err := Install(context.Background(), cfg)
			if err == nil || tc.is != nil && !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %v %q", err, tc.is, tc.wantErr)
			}
		})
	}
	t.Run("--force replaces a foreign kernel", func(t *testing.T) {
		cfg := Config{DataDir: t.TempDir(), BinDir: linkTools(t, "gonb", "goimports", "gopls"), Repo: repoRoot(t), Force: true}
		dir := SpecDir(cfg.DataDir, DefaultName)
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "kernel.json"), []byte(`{"argv":[],"display_name":"x","language":"go"}`), 0o644)
		if _, err := Install(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
		if s, err := ReadSpec(dir); err != nil || s.Metadata.Ganbook == nil {
			t.Fatalf("spec not replaced: %+v, %v", s, err)
		}
	})
}

func TestUninstall(t *testing.T) {
	install := func(t *testing.T, dataDir, binDir, name string) {
		t.Helper()
		if _, err := Install(context.Background(), Config{Name: name, DataDir: dataDir, BinDir: binDir, Repo: repoRoot(t)}); err != nil {
			t.Fatal(err)
		}
	}
	exists := func(p string) bool { _, err := os.Lstat(p); return err == nil }

	tests := []struct {
		name string
		// setup installs kernels and returns the uninstall config.
		setup        func(t *testing.T, dataDir, binDir string) UninstallConfig
		wantSpecGone bool
		wantTools    bool // the tools are still there afterwards
		wantErr      error
	}{
		{
			name: "removes the spec and the tools in ganbook's cache",
			setup: func(t *testing.T, dataDir, binDir string) UninstallConfig {
				install(t, dataDir, binDir, DefaultName)
				return UninstallConfig{DataDir: dataDir, CacheBinDir: binDir}
			},
			wantSpecGone: true, wantTools: false,
		},
		{
			name: "keeps tools another ganbook kernel uses",
			setup: func(t *testing.T, dataDir, binDir string) UninstallConfig {
				install(t, dataDir, binDir, DefaultName)
				install(t, dataDir, binDir, "other")
				return UninstallConfig{DataDir: dataDir, CacheBinDir: binDir}
			},
			wantSpecGone: true, wantTools: true,
		},
		{
			name: "keeps tools outside ganbook's cache (say GOPATH/bin)",
			setup: func(t *testing.T, dataDir, binDir string) UninstallConfig {
				install(t, dataDir, binDir, DefaultName)
				return UninstallConfig{DataDir: dataDir, CacheBinDir: t.TempDir()}
			},
			wantSpecGone: true, wantTools: true,
		},
		{
			name: "--keep-tools",
			setup: func(t *testing.T, dataDir, binDir string) UninstallConfig {
				install(t, dataDir, binDir, DefaultName)
				return UninstallConfig{DataDir: dataDir, CacheBinDir: binDir, KeepTools: true}
			},
			wantSpecGone: true, wantTools: true,
		},
		{
			name: "nothing installed is not an error",
			setup: func(t *testing.T, dataDir, binDir string) UninstallConfig {
				return UninstallConfig{DataDir: dataDir, CacheBinDir: binDir}
			},
			wantSpecGone: true, wantTools: true,
		},
		{
			name: "refuses a kernel ganbook did not write",
			setup: func(t *testing.T, dataDir, binDir string) UninstallConfig {
				dir := SpecDir(dataDir, DefaultName)
				os.MkdirAll(dir, 0o755)
				os.WriteFile(filepath.Join(dir, "kernel.json"), []byte(`{"argv":[],"display_name":"x","language":"go"}`), 0o644)
				return UninstallConfig{DataDir: dataDir, CacheBinDir: binDir}
			},
			wantSpecGone: false, wantTools: true, wantErr: ErrForeignKernel,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dataDir, binDir := t.TempDir(), linkTools(t, "gonb", "goimports", "gopls")
			cfg := tc.setup(t, dataDir, binDir)
			_, err := Uninstall(cfg)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if gone := !exists(SpecDir(dataDir, DefaultName)); gone != tc.wantSpecGone {
				t.Errorf("spec gone = %v, want %v", gone, tc.wantSpecGone)
			}
			for _, tool := range Tools {
				if got := exists(filepath.Join(binDir, tool.Name)); got != tc.wantTools {
					t.Errorf("%s still there = %v, want %v", tool.Name, got, tc.wantTools)
				}
			}
			if _, err := os.Stat(filepath.Join(pinnedTools(t), "gonb")); err != nil {
				t.Fatalf("the shared tool cache lost gonb: %v", err)
			}
		})
	}
}

func TestToolVersion(t *testing.T) {
	bin := pinnedTools(t)
	tests := []struct {
		path    string
		tool    Tool
		want    string
		wantErr string
	}{
		{filepath.Join(bin, "gonb"), Tools[0], GoNBVersion, ""},
		{filepath.Join(bin, "goimports"), Tools[1], ToolsVersion, ""},
		{filepath.Join(bin, "gopls"), Tools[2], GoplsVersion, ""},
		{filepath.Join(bin, "goimports"), Tools[0], "", "is a build of golang.org/x/tools/cmd/goimports, not github.com/janpfeifer/gonb"},
		{"/bin/sh", Tools[0], "", "not a Go program"},
	}
	for _, tc := range tests {
		got, err := ToolVersion(tc.path, tc.tool)
		if got != tc.want || (err == nil) != (tc.wantErr == "") || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("ToolVersion(%s, %s) = %q, %v; want %q, %q", tc.path, tc.tool.Name, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestKernelEnvExpandsLikeJupyter(t *testing.T) {
	// Expected values worked out from Python's string.Template.safe_substitute, which
	// jupyter_client applies to a kernel spec's env.
	env := map[string]string{"PATH": "/usr/bin:/bin", "HOME": "/home/u", "X_1": "x"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct{ in, want string }{
		{"/tools:${PATH}", "/tools:/usr/bin:/bin"},
		{"$HOME/.cache", "/home/u/.cache"},
		{"${X_1}y $X_1", "xy x"},
		{"${UNSET}:$UNSET", "${UNSET}:$UNSET"},
		{"cost: $$5", "cost: $5"},
		{"trailing $", "trailing $"},
		{"${unclosed", "${unclosed"},
		{"$-x", "$-x"},
	}
	for _, tc := range tests {
		s := &Spec{Env: map[string]string{"V": tc.in}}
		if got, _ := s.KernelEnv("V", lookup); got != tc.want {
			t.Errorf("expand %q = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFindRepo(t *testing.T) {
	root := repoRoot(t)
	for _, dir := range []string{root, filepath.Join(root, "internal", "kernel"), filepath.Join(root, "notebooks")} {
		if got, err := FindRepo(dir); err != nil || got != root {
			t.Errorf("FindRepo(%s) = %q, %v; want %q", dir, got, err, root)
		}
	}
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "go.mod"), []byte("module example.com/other\n"), 0o644)
	if _, err := FindRepo(other); !errors.Is(err, ErrNoRepo) {
		t.Errorf("FindRepo(another module) err = %v, want ErrNoRepo", err)
	}
}

func orDefault(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
