package kernel

import (
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/ganbook/ganbook/internal/fsutil"
)

// Config says what Install writes where.
type Config struct {
	Name        string // kernel name (directory under kernels/); DefaultName when ""
	DisplayName string // name shown in Jupyter's launcher; DefaultDisplayName when ""
	DataDir     string // Jupyter data directory; required
	BinDir      string // where gonb, goimports and gopls are built; required
	Repo        string // root of the ganbook checkout notebooks import; required
	DB          string // tracker database for GANBOOK_DB; <Repo>/ganbook.db when ""
	Backend     string // GOMLX_BACKEND for the kernel; not set when "" (GoMLX then picks)
	// Force replaces a kernel spec of the same name that Install did not write.
	Force bool
	// Log receives one line per step; nil discards them.
	Log io.Writer
}

// Result is what Install did.
type Result struct {
	SpecDir string
	Spec    *Spec
	Built   []string // tools built by this call (others were already at the pinned version)
}

// ErrForeignKernel means a kernel spec of that name exists and was not written by ganbook.
var ErrForeignKernel = errors.New("kernel spec not written by ganbook")

// Install builds the pinned tools when they are not already in cfg.BinDir at the pinned
// versions, and writes the kernel spec. Running it again changes nothing but what
// changed in cfg.
func Install(ctx context.Context, cfg Config) (*Result, error) {
	cfg = cfg.withDefaults()
	log := cfg.Log
	if cfg.DataDir == "" || cfg.BinDir == "" || cfg.Repo == "" {
		return nil, errors.New("kernel: Install needs DataDir, BinDir and Repo")
	}
	repo, err := filepath.Abs(cfg.Repo)
	if err != nil {
		return nil, err
	}
	if !IsRepo(repo) {
		return nil, fmt.Errorf("%s is not a ganbook checkout (its go.mod must declare module %s)", repo, RepoModule)
	}
	if strings.Contains(repo, ",") {
		// GoNB splits --go_work at commas.
		return nil, fmt.Errorf("the checkout's path %q contains a comma, which GoNB's --go_work cannot take", repo)
	}
	db := filepath.Join(repo, "ganbook.db")
	if cfg.DB != "" {
		if db, err = filepath.Abs(cfg.DB); err != nil {
			return nil, err
		}
	}
	binDir, err := filepath.Abs(cfg.BinDir)
	if err != nil {
		return nil, err
	}

	specDir := SpecDir(cfg.DataDir, cfg.Name)
	old, err := ReadSpec(specDir)
	foreign := err == nil && old.Metadata.Ganbook == nil || err != nil && !errors.Is(err, fs.ErrNotExist)
	if foreign && !cfg.Force {
		return nil, fmt.Errorf("%s: %w; choose another --name, or --force to replace it", specDir, ErrForeignKernel)
	}

	goBin, err := exec.LookPath("go")
	if err != nil {
		return nil, fmt.Errorf("go not found on PATH: install Go first (https://go.dev/dl/): %w", err)
	}
	goRoot, err := goOutput(ctx, repo, goBin, "env", "GOROOT")
	if err != nil {
		return nil, err
	}

	res := &Result{SpecDir: specDir}
	for _, tool := range Tools {
		built, err := BuildTool(ctx, tool, binDir, log)
		if err != nil {
			return nil, err
		}
		if built {
			res.Built = append(res.Built, tool.Name)
		}
	}

	pathDirs := []string{binDir}
	if goBinDir := filepath.Join(goRoot, "bin"); goBinDir != binDir {
		pathDirs = append(pathDirs, goBinDir)
	}
	env := map[string]string{
		"GOEXPERIMENT":          "simd",
		"GOMLX_NO_AUTO_INSTALL": "1",
		"GANBOOK_DB":            db,
		"GANBOOK_REPO":          repo,
		// ${PATH} is the PATH Jupyter runs with: jupyter_client expands it.
		"PATH": strings.Join(append(pathDirs, "${PATH}"), string(os.PathListSeparator)),
	}
	if cfg.Backend != "" {
		env["GOMLX_BACKEND"] = cfg.Backend
	}
	spec := &Spec{
		Argv:          []string{filepath.Join(binDir, "gonb"), GoWorkFlag + repo, "--kernel", "{connection_file}"},
		DisplayName:   cfg.DisplayName,
		Language:      "go",
		InterruptMode: "message", // as GoNB's own --install writes it
		Env:           env,
		Metadata: SpecMetadata{Ganbook: &Provenance{
			Repo:             repo,
			BinDir:           binDir,
			GoNBVersion:      GoNBVersion,
			GoimportsVersion: ToolsVersion,
			GoplsVersion:     GoplsVersion,
		}},
	}
	if err := os.MkdirAll(specDir, 0o755); err != nil {
		return nil, err
	}
	if err := writeSpec(specDir, spec); err != nil {
		return nil, err
	}
	copyLogo(ctx, goBin, specDir)
	res.Spec = spec
	fmt.Fprintf(log, "kernel %q (%q) installed in %s\n", cfg.Name, cfg.DisplayName, specDir)
	fmt.Fprintf(log, "notebooks import %s from %s; GANBOOK_DB=%s\n", RepoModule, repo, db)
	return res, nil
}

func (cfg Config) withDefaults() Config {
	if cfg.Name == "" {
		cfg.Name = DefaultName
	}
	if cfg.DisplayName == "" {
		cfg.DisplayName = DefaultDisplayName
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	return cfg
}

// copyLogo gives the kernel GoNB's gopher icon in Jupyter's launcher, when the GoNB
// module is in the module cache (it is after a build). A missing logo is harmless.
func copyLogo(ctx context.Context, goBin, specDir string) {
	modCache, err := goOutput(ctx, "", goBin, "env", "GOMODCACHE")
	if err != nil {
		return
	}
	logo, err := os.ReadFile(filepath.Join(modCache, GoNBModule+"@"+GoNBVersion, "internal", "kernel", "Go_gopher_favicon.svg"))
	if err != nil {
		return
	}
	_ = fsutil.WriteFileAtomic(filepath.Join(specDir, "logo-svg.svg"), logo, 0o644)
}

// ToolVersion reads which version of tool the binary at path was built from, from the
// build information Go embeds in every binary (GoNB's own --version is not reliable:
// v0.11.3 prints v0.11.1). It fails when path is not a build of tool.Package.
func ToolVersion(path string, tool Tool) (string, error) {
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: not a Go program: %w", path, err)
	}
	if info.Path != tool.Package {
		return "", fmt.Errorf("%s is a build of %s, not %s", path, info.Path, tool.Package)
	}
	for _, m := range append([]*debug.Module{&info.Main}, info.Deps...) {
		if m.Path == tool.Module {
			if m.Replace != nil {
				return m.Version + " (replaced by " + m.Replace.Path + " " + m.Replace.Version + ")", nil
			}
			return m.Version, nil
		}
	}
	return "", fmt.Errorf("%s: no version of %s recorded", path, tool.Module)
}

// BuildTool builds tool at its pinned version into binDir/tool.Name, unless a build of
// that version is already there. It reports whether it built.
//
// It builds in a scratch module (`go install pkg@version` is refused by this project's
// module proxy policy), with CGO off and GOWORK off so nothing of the caller's leaks in.
func BuildTool(ctx context.Context, tool Tool, binDir string, log io.Writer) (built bool, err error) {
	if log == nil {
		log = io.Discard
	}
	out := filepath.Join(binDir, tool.Name)
	if v, err := ToolVersion(out, tool); err == nil && v == tool.Version {
		fmt.Fprintf(log, "%s %s already built: %s\n", tool.Name, tool.Version, out)
		return false, nil
	}
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return false, err
	}
	scratch, err := os.MkdirTemp("", "ganbook-kernel-build-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(scratch)
	fmt.Fprintf(log, "building %s from %s@%s into %s\n", tool.Name, tool.Module, tool.Version, out)
	tmp := filepath.Join(binDir, "."+tool.Name+".building")
	env := append(os.Environ(), "GOWORK=off", "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	for _, args := range [][]string{
		{"mod", "init", "ganbook.local/kernelbuild"},
		{"get", tool.Module + "@" + tool.Version},
		{"build", "-o", tmp, tool.Package},
	} {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir, cmd.Env = scratch, env
		if b, err := cmd.CombinedOutput(); err != nil {
			os.Remove(tmp)
			return false, fmt.Errorf("building %s: go %s: %w\n%s", tool.Name, strings.Join(args, " "), err, b)
		}
	}
	if v, err := ToolVersion(tmp, tool); err != nil || v != tool.Version {
		os.Remove(tmp)
		return false, fmt.Errorf("building %s: got version %q (%v), want %s", tool.Name, v, err, tool.Version)
	}
	// A rename replaces the old binary (or an old symbolic link) in one step, so a
	// kernel starting meanwhile runs either the old or the new program.
	if err := os.Rename(tmp, out); err != nil {
		os.Remove(tmp)
		return false, err
	}
	return true, nil
}

func goOutput(ctx context.Context, dir, goBin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir = dir
	b, err := cmd.Output()
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			err = fmt.Errorf("%w: %s", err, strings.TrimSpace(string(exitErr.Stderr)))
		}
		return "", fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(b)), nil
}

// UninstallConfig says what Uninstall removes.
type UninstallConfig struct {
	Name    string // DefaultName when ""
	DataDir string // required
	// CacheBinDir is ganbook's own tool directory (DefaultBinDir). Tools are removed
	// only from there: a --bin-dir elsewhere (GOPATH/bin, say) may hold the user's own.
	CacheBinDir string
	KeepTools   bool // keep the built tools even in CacheBinDir
	Force       bool // remove a spec of that name that ganbook did not write
	Log         io.Writer
}

// Uninstall removes the kernel spec Install wrote and, unless another ganbook kernel in
// the same data directory still uses them, the tools it built in ganbook's cache. A
// kernel that is not there is not an error: there is nothing to remove.
func Uninstall(cfg UninstallConfig) (removed []string, err error) {
	if cfg.Name == "" {
		cfg.Name = DefaultName
	}
	log := cfg.Log
	if log == nil {
		log = io.Discard
	}
	specDir := SpecDir(cfg.DataDir, cfg.Name)
	spec, err := ReadSpec(specDir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if _, statErr := os.Stat(specDir); statErr != nil {
			fmt.Fprintf(log, "no kernel %q in %s: nothing to remove\n", cfg.Name, cfg.DataDir)
			return nil, nil
		}
		if !cfg.Force {
			return nil, fmt.Errorf("%s has no kernel.json: %w; --force removes it", specDir, ErrForeignKernel)
		}
	case err != nil && !cfg.Force:
		return nil, err
	case err == nil && spec.Metadata.Ganbook == nil && !cfg.Force:
		return nil, fmt.Errorf("%s: %w; --force removes it", specDir, ErrForeignKernel)
	}
	if err := os.RemoveAll(specDir); err != nil {
		return nil, err
	}
	removed = append(removed, specDir)
	fmt.Fprintf(log, "removed kernel %q: %s\n", cfg.Name, specDir)

	if spec == nil || spec.Metadata.Ganbook == nil || cfg.KeepTools {
		return removed, nil
	}
	binDir := spec.Metadata.Ganbook.BinDir
	if binDir == "" {
		fmt.Fprintf(log, "kept the tools: the kernel spec does not record where they are (written by an older install script)\n")
		return removed, nil
	}
	if cfg.CacheBinDir == "" || filepath.Clean(binDir) != filepath.Clean(cfg.CacheBinDir) {
		fmt.Fprintf(log, "kept the tools in %s: not ganbook's cache directory\n", binDir)
		return removed, nil
	}
	if users := kernelsUsing(cfg.DataDir, binDir); len(users) > 0 {
		fmt.Fprintf(log, "kept the tools in %s: kernel(s) %s still use them\n", binDir, strings.Join(users, ", "))
		return removed, nil
	}
	for _, tool := range Tools {
		p := filepath.Join(binDir, tool.Name)
		if _, err := ToolVersion(p, tool); err != nil {
			continue // not a build of ours
		}
		if err := os.Remove(p); err != nil {
			return removed, err
		}
		removed = append(removed, p)
		fmt.Fprintf(log, "removed %s\n", p)
	}
	return removed, nil
}

// kernelsUsing lists the ganbook kernels in dataDir whose tools are in binDir.
func kernelsUsing(dataDir, binDir string) []string {
	entries, _ := os.ReadDir(filepath.Join(dataDir, "kernels"))
	var names []string
	for _, e := range entries {
		s, err := ReadSpec(SpecDir(dataDir, e.Name()))
		if err == nil && s.Metadata.Ganbook != nil && filepath.Clean(s.Metadata.Ganbook.BinDir) == filepath.Clean(binDir) {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names
}
