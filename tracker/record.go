package tracker

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
)

// ReproRecord is what is needed to reproduce a run, or to explain why a
// reproduction differs: the code, the toolchain, the machine, the seed, the
// configuration, the data and the command line.
type ReproRecord struct {
	// GitCommit is the commit of the source tree, empty outside a git work tree.
	GitCommit string `json:"git_commit,omitempty"`
	// GitDirty is true when tracked files differ from GitCommit or untracked
	// files exist; GitDiffSHA256 then hashes `git diff HEAD` plus the list
	// of untracked files, so that two dirty trees can be told apart.
	GitDirty      bool   `json:"git_dirty,omitempty"`
	GitDiffSHA256 string `json:"git_diff_sha256,omitempty"`
	GoVersion     string `json:"go_version"`
	// MainModule and MainVersion name the program's own module and version.
	MainModule  string `json:"main_module,omitempty"`
	MainVersion string `json:"main_version,omitempty"`
	// Modules maps each dependency module path to its version, as built in.
	Modules map[string]string `json:"modules,omitempty"`
	// Backend names the compute backend actually used (the caller fills it).
	Backend string `json:"backend,omitempty"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
	CPU     string `json:"cpu,omitempty"`
	NumCPU  int    `json:"num_cpu"`
	// Seed is the random seed of the run (the caller fills it).
	Seed int64 `json:"seed"`
	// Config is the run's full configuration as JSON (the caller fills it).
	Config json.RawMessage `json:"config,omitempty"`
	// Datasets lists the data files read, with their hashes (see HashFiles).
	Datasets []FileHash `json:"datasets,omitempty"`
	// CommandLine is os.Args of the process that ran, with passwords in
	// database URLs redacted (RedactURL).
	CommandLine []string `json:"command_line,omitempty"`
}

// FileHash is the SHA-256 of one file.
type FileHash struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// CollectEnvironment fills a ReproRecord with what the process can learn
// about itself: git state of the directory dir (the working directory when
// empty), Go and module versions from the build info, OS, architecture, CPU
// model and the command line. The caller adds the backend, seed, config and
// datasets.
//
// Git is optional: without a git binary or outside a work tree the git
// fields stay empty and no error is returned. Errors are returned only for
// a git that is present but fails unexpectedly.
func CollectEnvironment(ctx context.Context, dir string) (ReproRecord, error) {
	rec := ReproRecord{
		GoVersion:   runtime.Version(),
		OS:          runtime.GOOS,
		Arch:        runtime.GOARCH,
		CPU:         cpuModel(),
		NumCPU:      runtime.NumCPU(),
		CommandLine: redactArgs(os.Args),
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		fromBuildInfo(&rec, bi)
	}
	err := collectGit(ctx, dir, &rec)
	return rec, err
}

// fromBuildInfo records the module versions and VCS stamp the binary was
// built with. (Test binaries carry no dependency list.)
func fromBuildInfo(rec *ReproRecord, bi *debug.BuildInfo) {
	rec.MainModule, rec.MainVersion = bi.Main.Path, bi.Main.Version
	if len(bi.Deps) > 0 {
		rec.Modules = make(map[string]string, len(bi.Deps))
	}
	for _, d := range bi.Deps {
		if d.Replace != nil {
			rec.Modules[d.Path] = d.Version + " => " + d.Replace.Path + " " + d.Replace.Version
		} else {
			rec.Modules[d.Path] = d.Version
		}
	}
	// Builds with VCS stamping know their commit even without a work tree.
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rec.GitCommit = s.Value
		case "vcs.modified":
			rec.GitDirty = s.Value == "true"
		}
	}
}

// collectGit fills the git fields from the work tree at dir.
func collectGit(ctx context.Context, dir string, rec *ReproRecord) error {
	if _, err := exec.LookPath("git"); err != nil {
		return nil
	}
	git := func(args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir = dir
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
		}
		return out, nil
	}
	inside, err := git("rev-parse", "--is-inside-work-tree")
	if err != nil || strings.TrimSpace(string(inside)) != "true" {
		return nil // not a work tree: nothing to record
	}
	head, err := git("rev-parse", "--verify", "--quiet", "HEAD")
	if err != nil {
		// A repository without commits has no HEAD; everything in it is "dirty".
		head = nil
	}
	rec.GitCommit = strings.TrimSpace(string(head))
	var diff []byte
	if rec.GitCommit != "" {
		if diff, err = git("diff", "--binary", "HEAD"); err != nil {
			return err
		}
	}
	untracked, err := git("ls-files", "--others", "--exclude-standard", "-z")
	if err != nil {
		return err
	}
	rec.GitDirty = len(diff) > 0 || len(untracked) > 0 || rec.GitCommit == ""
	if rec.GitDirty {
		h := sha256.New()
		h.Write(diff)
		h.Write([]byte{0})
		h.Write(untracked)
		rec.GitDiffSHA256 = hex.EncodeToString(h.Sum(nil))
	}
	return nil
}

// cpuModel returns the CPU's model name where the OS tells it (Linux), or "".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// HashFiles returns the size and SHA-256 of each file, in the order given.
func HashFiles(paths ...string) ([]FileHash, error) {
	out := make([]FileHash, 0, len(paths))
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		h := sha256.New()
		n, err := io.Copy(h, f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("tracker: hash %s: %w", p, err)
		}
		out = append(out, FileHash{Path: p, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))})
	}
	return out, nil
}

// Differences lists, one line each, what differs between a recorded run's
// environment (r) and another one (other) in ways that can change results:
// code, toolchain and module versions, backend, OS/arch/CPU, seed, config and
// data. The command line is not compared. An empty result means the two
// records agree.
func (r ReproRecord) Differences(other ReproRecord) []string {
	var out []string
	diff := func(what, a, b string) {
		if a != b {
			out = append(out, fmt.Sprintf("%s: %q recorded, %q now", what, a, b))
		}
	}
	diff("git commit", r.GitCommit, other.GitCommit)
	if r.GitDirty != other.GitDirty || r.GitDiffSHA256 != other.GitDiffSHA256 {
		out = append(out, fmt.Sprintf("uncommitted changes: dirty=%v (diff %s) recorded, dirty=%v (diff %s) now",
			r.GitDirty, short(r.GitDiffSHA256), other.GitDirty, short(other.GitDiffSHA256)))
	}
	diff("Go version", r.GoVersion, other.GoVersion)
	diff("main module version", r.MainVersion, other.MainVersion)
	keys := make([]string, 0, len(r.Modules)+len(other.Modules))
	for k := range r.Modules {
		keys = append(keys, k)
	}
	for k := range other.Modules {
		if _, ok := r.Modules[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		diff("module "+k, r.Modules[k], other.Modules[k])
	}
	diff("backend", r.Backend, other.Backend)
	diff("OS", r.OS, other.OS)
	diff("architecture", r.Arch, other.Arch)
	diff("CPU", r.CPU, other.CPU)
	if r.Seed != other.Seed {
		out = append(out, fmt.Sprintf("seed: %d recorded, %d now", r.Seed, other.Seed))
	}
	if !jsonEqual(r.Config, other.Config) {
		out = append(out, "config differs")
	}
	rd, od := map[string]string{}, map[string]string{}
	for _, d := range r.Datasets {
		rd[d.Path] = d.SHA256
	}
	for _, d := range other.Datasets {
		od[d.Path] = d.SHA256
	}
	paths := make([]string, 0, len(rd)+len(od))
	for p := range rd {
		paths = append(paths, p)
	}
	for p := range od {
		if _, ok := rd[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	for _, p := range paths {
		diff("dataset "+p+" sha256", rd[p], od[p])
	}
	return out
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	if h == "" {
		return "none"
	}
	return h
}

// jsonEqual compares two JSON documents by value, ignoring formatting and
// key order; invalid JSON compares by bytes.
func jsonEqual(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var va, vb any
	if errors.Join(json.Unmarshal(a, &va), json.Unmarshal(b, &vb)) != nil {
		return bytes.Equal(a, b)
	}
	ca, _ := json.Marshal(va)
	cb, _ := json.Marshal(vb)
	return bytes.Equal(ca, cb)
}

// redactArgs returns the arguments with the passwords of URLs (a --db
// postgres://user:password@host, say) replaced.
func redactArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = RedactURL(a)
	}
	return out
}
