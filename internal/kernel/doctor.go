package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/version"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Status is how a check came out.
type Status int

const (
	OK   Status = iota
	Warn        // works, but not as intended; does not fail the doctor
	Skip        // could not be checked because something it depends on is missing
	Fail        // a notebook will not run until it is fixed
)

func (s Status) String() string {
	switch s {
	case OK:
		return "ok"
	case Warn:
		return "warn"
	case Skip:
		return "--"
	case Fail:
		return "FAIL"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Finding is the outcome of one check: one line of the doctor's report.
type Finding struct {
	Check  string
	Status Status
	Detail string
	Fix    string // what to do about it; "" when nothing needs doing
}

func (f Finding) String() string {
	s := fmt.Sprintf("%-4s  %-12s  %s", f.Status, f.Check, f.Detail)
	if f.Fix != "" {
		s += "  → fix: " + f.Fix
	}
	return s
}

// Failed reports whether any finding is a failure.
func Failed(findings []Finding) bool {
	return slices.ContainsFunc(findings, func(f Finding) bool { return f.Status == Fail })
}

// WriteReport writes one line per finding.
func WriteReport(w io.Writer, findings []Finding) error {
	for _, f := range findings {
		if _, err := fmt.Fprintln(w, f); err != nil {
			return err
		}
	}
	return nil
}

// Doctor checks what a notebook run in the ganbook kernel needs.
type Doctor struct {
	Name    string // kernel name; DefaultName when ""
	DataDir string // Jupyter data directory the kernel spec is looked for in
	BinDir  string // where Install puts the tools; checked when there is no kernel spec
	// Env is the environment Jupyter is started in, as in exec.Cmd.Env: its PATH is
	// where Jupyter is looked for and what the spec's ${PATH} expands to. nil means
	// os.Environ().
	Env []string
	// XLAPlugins lists the installed PJRT plugins by name with their paths (gan.XLAPlugins).
	// nil leaves the backend undetermined.
	XLAPlugins func() map[string]string
	// FindMNIST loads MNIST without downloading and says where it was found. nil skips
	// the check.
	FindMNIST func() (source string, err error)
}

// the fix for everything Install sets up
const fixInstall = "run `ganbook kernel install` in your ganbook checkout"

// Check runs every check, in the order of the report.
func (d *Doctor) Check(ctx context.Context) []Finding {
	c := newCheckup(d)
	return []Finding{
		c.goToolchain(ctx),
		c.gonb(),
		c.goimports(),
		c.gopls(),
		c.kernelSpec(ctx),
		c.repository(),
		c.jupyterLab(ctx),
		c.goExperiment(),
		c.goFlags(),
		c.backend(),
		c.mnist(),
		c.trackerDB(),
	}
}

// checkup is one run of the doctor: the environment and the spec, read once.
type checkup struct {
	d          *Doctor
	name       string
	env        []string
	specDir    string
	spec       *Spec // nil when there is none
	specErr    error
	basePath   string // PATH Jupyter runs with
	kernelPath string // PATH the kernel gets
}

func newCheckup(d *Doctor) *checkup {
	c := &checkup{d: d, name: d.Name, env: d.Env}
	if c.name == "" {
		c.name = DefaultName
	}
	if c.env == nil {
		c.env = os.Environ()
	}
	c.basePath, _ = c.lookupEnv("PATH")
	c.specDir = SpecDir(d.DataDir, c.name)
	c.spec, c.specErr = ReadSpec(c.specDir)
	c.kernelPath = c.basePath
	if c.spec != nil {
		if p, ok := c.spec.KernelEnv("PATH", c.lookupEnv); ok {
			c.kernelPath = p
		}
	}
	return c
}

func (c *checkup) lookupEnv(key string) (string, bool) {
	for i := len(c.env) - 1; i >= 0; i-- { // the last one wins, as in exec.Cmd
		if k, v, ok := strings.Cut(c.env[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

// kernelEnv is the variable as the kernel sees it: the spec's value, else Jupyter's.
func (c *checkup) kernelEnv(key string) (value, from string, ok bool) {
	if c.spec != nil {
		if v, ok := c.spec.KernelEnv(key, c.lookupEnv); ok {
			return v, "the kernel spec", true
		}
	}
	if v, ok := c.lookupEnv(key); ok {
		return v, "the environment Jupyter starts in", true
	}
	return "", "", false
}

// envWith returns the environment with key set to value.
func (c *checkup) envWith(kv ...string) []string {
	env := slices.Clone(c.env)
	for i := 0; i+1 < len(kv); i += 2 {
		env = append(env, kv[i]+"="+kv[i+1])
	}
	return env
}

func (c *checkup) noSpec(check string) Finding {
	return Finding{Check: check, Status: Skip, Detail: "not checked: no ganbook kernel spec"}
}

func (c *checkup) repo() string {
	if c.spec == nil {
		return ""
	}
	return c.spec.Repo()
}

func (c *checkup) goToolchain(ctx context.Context) Finding {
	const check = "go"
	goBin, err := lookPath("go", c.kernelPath)
	if err != nil {
		return Finding{Check: check, Status: Fail,
			Detail: "go not found on the kernel's PATH (" + c.kernelPath + ")",
			Fix:    "install Go from https://go.dev/dl/, then " + fixInstall}
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "env", "GOVERSION")
	cmd.Env = c.envWith("PATH", c.kernelPath, "GOTOOLCHAIN", "local") // what is installed, not what it would fetch
	cmd.Dir = os.TempDir()
	out, err := cmd.Output()
	if err != nil {
		return Finding{Check: check, Status: Fail, Detail: fmt.Sprintf("%s env GOVERSION: %v", goBin, err),
			Fix: "reinstall Go from https://go.dev/dl/"}
	}
	got := goVersionOf(string(out))
	want, wantFrom := "go1.26", "ganbook"
	if repo := c.repo(); repo != "" {
		if v, err := goModDirective(filepath.Join(repo, "go.mod"), "go"); err == nil {
			want, wantFrom = "go"+v, repo+"/go.mod"
		}
	}
	if !version.IsValid(got) {
		return Finding{Check: check, Status: Warn, Detail: fmt.Sprintf("%s reports version %q, which cannot be compared with %s", goBin, got, want)}
	}
	if version.Compare(got, want) < 0 {
		return Finding{Check: check, Status: Fail,
			Detail: fmt.Sprintf("%s is %s; %s needs %s", goBin, got, wantFrom, want),
			Fix:    "install Go ≥ " + strings.TrimPrefix(want, "go") + " from https://go.dev/dl/, then " + fixInstall}
	}
	return Finding{Check: check, Status: OK, Detail: fmt.Sprintf("%s at %s (%s needs ≥ %s)", got, goBin, wantFrom, want)}
}

// goVersionOf turns `go env GOVERSION` output such as "go1.26.8 X:simd" into "go1.26.8".
func goVersionOf(s string) string {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return ""
	}
	v, _, _ := strings.Cut(fields[0], "-")
	return v
}

func (c *checkup) gonb() Finding {
	path, where := filepath.Join(c.d.BinDir, "gonb"), "the tool directory"
	if c.spec != nil && len(c.spec.Argv) > 0 {
		path, where = c.spec.Argv[0], "the kernel spec's argv"
	}
	return toolFinding(Tools[0], path, where, Fail)
}

func (c *checkup) goimports() Finding {
	tool := Tools[1]
	searched := c.kernelPath
	if c.spec == nil {
		searched = c.d.BinDir
	}
	path, err := lookPath(tool.Name, searched)
	if err != nil {
		return Finding{Check: tool.Name, Status: Fail,
			Detail: "not found on the kernel's PATH (" + searched + "); GoNB needs it to compile every cell",
			Fix:    fixInstall}
	}
	return toolFinding(tool, path, "the kernel's PATH", Warn)
}

// gopls: without it GoNB still runs cells, but the editor gets no completion or help.
func (c *checkup) gopls() Finding {
	tool := Tools[2]
	searched := c.kernelPath
	if c.spec == nil {
		searched = c.d.BinDir
	}
	path, err := lookPath(tool.Name, searched)
	if err != nil {
		return Finding{Check: tool.Name, Status: Warn,
			Detail: "not found on the kernel's PATH (" + searched + "): no completion (Tab) or contextual help (Shift+Tab) in notebooks",
			Fix:    fixInstall}
	}
	return toolFinding(tool, path, "the kernel's PATH", Warn)
}

// toolFinding checks the binary at path is tool at its pinned version; another version
// is reported with the given status.
func toolFinding(tool Tool, path, where string, otherVersion Status) Finding {
	if _, err := os.Stat(path); err != nil {
		return Finding{Check: tool.Name, Status: Fail, Detail: fmt.Sprintf("%s (from %s) is missing", path, where), Fix: fixInstall}
	}
	v, err := ToolVersion(path, tool)
	if err != nil {
		return Finding{Check: tool.Name, Status: Fail, Detail: err.Error(), Fix: fixInstall}
	}
	if v != tool.Version {
		return Finding{Check: tool.Name, Status: otherVersion,
			Detail: fmt.Sprintf("%s is %s %s; ganbook pins %s", path, tool.Module, v, tool.Version), Fix: fixInstall}
	}
	return Finding{Check: tool.Name, Status: OK, Detail: fmt.Sprintf("%s at %s", v, path)}
}

func (c *checkup) kernelSpec(ctx context.Context) Finding {
	const check = "kernel spec"
	switch {
	case errors.Is(c.specErr, fs.ErrNotExist):
		return Finding{Check: check, Status: Fail, Detail: fmt.Sprintf("no kernel %q in %s", c.name, filepath.Join(c.d.DataDir, "kernels")), Fix: fixInstall}
	case c.specErr != nil:
		return Finding{Check: check, Status: Fail, Detail: c.specErr.Error(), Fix: fixInstall}
	case c.spec.Metadata.Ganbook == nil:
		return Finding{Check: check, Status: Fail, Detail: c.specDir + " was not written by `ganbook kernel install`",
			Fix: "`ganbook kernel install --force` replaces it, or --name picks another name"}
	case !slices.Contains(c.spec.Argv, "{connection_file}"):
		return Finding{Check: check, Status: Fail, Detail: c.specDir + "/kernel.json: argv does not pass {connection_file}", Fix: fixInstall}
	}
	detail := "registered in " + c.specDir
	jupyter, err := lookPath("jupyter", c.basePath)
	if err != nil {
		return Finding{Check: check, Status: OK, Detail: detail + " (not cross-checked: no `jupyter` command on PATH)"}
	}
	listed, err := c.listedKernelDir(ctx, jupyter)
	switch {
	case err != nil:
		return Finding{Check: check, Status: Warn, Detail: detail + "; `jupyter kernelspec list` failed: " + err.Error()}
	case listed == "":
		return Finding{Check: check, Status: Fail,
			Detail: fmt.Sprintf("%s, but %s kernelspec list does not show %q: that Jupyter does not read %s", detail, jupyter, c.name, c.d.DataDir),
			Fix:    "start Jupyter with JUPYTER_DATA_DIR=" + c.d.DataDir + ", or install into a data directory `jupyter --paths` lists (--jupyter-data-dir)"}
	case !sameDir(listed, c.specDir):
		return Finding{Check: check, Status: Fail,
			Detail: fmt.Sprintf("%s, but Jupyter starts the %q kernel in %s instead", detail, c.name, listed),
			Fix:    fmt.Sprintf("remove that one (jupyter kernelspec remove %s) or install with another --name", c.name)}
	}
	return Finding{Check: check, Status: OK, Detail: detail + " (listed by jupyter kernelspec list)"}
}

// listedKernelDir asks Jupyter where the kernel it would start is; "" when it lists none.
func (c *checkup) listedKernelDir(ctx context.Context, jupyter string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, jupyter, "kernelspec", "list", "--json")
	cmd.Env = c.env
	out, err := cmd.Output()
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			err = fmt.Errorf("%w: %s", err, lastLine(string(exitErr.Stderr)))
		}
		return "", err
	}
	var list struct {
		Kernelspecs map[string]struct {
			ResourceDir string `json:"resource_dir"`
		} `json:"kernelspecs"`
	}
	if err := json.Unmarshal(out, &list); err != nil {
		return "", err
	}
	return list.Kernelspecs[c.name].ResourceDir, nil
}

func (c *checkup) repository() Finding {
	const check = "repository"
	if c.spec == nil {
		return c.noSpec(check)
	}
	repo := c.spec.Repo()
	switch {
	case repo == "":
		return Finding{Check: check, Status: Fail,
			Detail: "the kernel spec does not start GoNB with --go_work: notebooks cannot import " + RepoModule, Fix: fixInstall}
	case !IsRepo(repo):
		return Finding{Check: check, Status: Fail,
			Detail: repo + " (the kernel's --go_work) is no longer a ganbook checkout", Fix: fixInstall}
	}
	return Finding{Check: check, Status: OK, Detail: "notebooks import " + RepoModule + " from " + repo + " (GoNB --go_work)"}
}

// fixJupyterLab is the README's way to get the pinned JupyterLab.
const fixJupyterLab = "python3 -m venv ~/.venvs/jupyter && ~/.venvs/jupyter/bin/pip install -r scripts/deps/jupyter-requirements.txt && source ~/.venvs/jupyter/bin/activate (README, \"Notebooks in JupyterLab\")"

// jupyterLab names the JupyterLab on PATH, its version, and whether its Jupyter lists
// the kernel.
func (c *checkup) jupyterLab(ctx context.Context) Finding {
	const check = "jupyter"
	lab, err := lookPath("jupyter-lab", c.basePath)
	if err != nil {
		var others []string
		for _, name := range []string{"jupyter-notebook", "jupyter-nbconvert"} {
			if p, err := lookPath(name, c.basePath); err == nil {
				others = append(others, p)
			}
		}
		if len(others) > 0 {
			return Finding{Check: check, Status: Warn,
				Detail: "no jupyter-lab on PATH (found " + strings.Join(others, ", ") + ")", Fix: fixJupyterLab}
		}
		return Finding{Check: check, Status: Fail,
			Detail: "none of jupyter-lab, jupyter-notebook, jupyter-nbconvert on PATH", Fix: fixJupyterLab}
	}
	vctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(vctx, lab, "--version")
	cmd.Env = c.env
	out, err := cmd.Output()
	if err != nil {
		return Finding{Check: check, Status: Fail, Detail: fmt.Sprintf("%s --version: %v", lab, err), Fix: fixJupyterLab}
	}
	detail := fmt.Sprintf("JupyterLab %s at %s", firstLine(string(out)), lab)
	jupyter := filepath.Join(filepath.Dir(lab), "jupyter")
	listed, err := c.listedKernelDir(ctx, jupyter)
	switch {
	case err != nil:
		return Finding{Check: check, Status: Warn, Detail: detail + "; `" + jupyter + " kernelspec list` failed: " + err.Error()}
	case listed == "":
		return Finding{Check: check, Status: Fail,
			Detail: fmt.Sprintf("%s; its `jupyter kernelspec list` does not show %q", detail, c.name),
			Fix:    fixInstall + " with this JupyterLab on PATH (or start it with JUPYTER_DATA_DIR=" + c.d.DataDir + ")"}
	}
	return Finding{Check: check, Status: OK, Detail: fmt.Sprintf("%s; its `jupyter kernelspec list` shows %q (%s)", detail, c.name, listed)}
}

func (c *checkup) goExperiment() Finding {
	const check = "GOEXPERIMENT"
	if c.spec == nil {
		return c.noSpec(check)
	}
	v, ok := c.spec.KernelEnv("GOEXPERIMENT", c.lookupEnv)
	if !ok || !slices.Contains(strings.Split(v, ","), "simd") {
		return Finding{Check: check, Status: Fail,
			Detail: fmt.Sprintf("the kernel spec's env has GOEXPERIMENT=%q; GoMLX's go backend needs simd", v), Fix: fixInstall}
	}
	return Finding{Check: check, Status: OK, Detail: "GOEXPERIMENT=" + v + " in the kernel spec"}
}

func (c *checkup) goFlags() Finding {
	const check = "GOFLAGS"
	flags, from, ok := c.kernelEnv("GOFLAGS")
	if !ok || strings.TrimSpace(flags) == "" {
		return Finding{Check: check, Status: OK, Detail: "not set"}
	}
	for _, f := range strings.Fields(flags) {
		if f == "-mod=mod" || f == "--mod=mod" {
			return Finding{Check: check, Status: Fail,
				Detail: fmt.Sprintf("GOFLAGS=%q from %s: go refuses -mod=mod in the workspace (go.work) the kernel compiles cells in", flags, from),
				Fix:    "remove -mod=mod from GOFLAGS where Jupyter starts"}
		}
	}
	return Finding{Check: check, Status: OK, Detail: fmt.Sprintf("GOFLAGS=%q from %s", flags, from)}
}

// xlaSearchDescription says where ganbook and go-xla look for PJRT plugins
// (go-xla reads PJRT_PLUGIN_LIBRARY_PATH once, when the program starts).
func xlaSearchDescription() string {
	const cache = " and ganbook's cache (xla/ in it; scripts/deps/xla.sh installs the CPU plugin there)"
	if p, ok := os.LookupEnv("PJRT_PLUGIN_LIBRARY_PATH"); ok {
		return "$PJRT_PLUGIN_LIBRARY_PATH (" + p + ")" + cache
	}
	return "~/.local/lib/go-xla, /usr/local/lib/go-xla, $LD_LIBRARY_PATH, /etc/ld.so.conf's directories" + cache
}

func (c *checkup) backend() Finding {
	const check = "backend"
	plugins := map[string]string(nil)
	if c.d.XLAPlugins != nil {
		plugins = c.d.XLAPlugins()
	}
	var found []string
	for _, name := range slices.Sorted(maps.Keys(plugins)) {
		found = append(found, name+" ("+plugins[name]+")")
	}
	pluginText := "no XLA PJRT plugin found in " + xlaSearchDescription()
	if len(found) > 0 {
		pluginText = "XLA plugins: " + strings.Join(found, ", ")
	}
	if config, from, ok := c.kernelEnv("GOMLX_BACKEND"); ok && config != "" {
		name, options, _ := strings.Cut(config, ":")
		if name == "xla" && c.d.XLAPlugins != nil {
			plugin, _, _ := strings.Cut(options, ",")
			if plugin == "" {
				plugin = "cpu"
			}
			if _, ok := plugins[plugin]; !ok {
				return Finding{Check: check, Status: Fail,
					Detail: fmt.Sprintf("GOMLX_BACKEND=%s from %s, but %s", config, from, pluginText),
					Fix:    "install the " + plugin + " PJRT plugin (scripts/deps/xla.sh for cpu; README, \"Backends\"), or `ganbook kernel install --backend go`"}
			}
		}
		return Finding{Check: check, Status: OK, Detail: fmt.Sprintf("GOMLX_BACKEND=%s from %s; %s", config, from, pluginText)}
	}
	switch {
	case c.d.XLAPlugins == nil:
		return Finding{Check: check, Status: Skip, Detail: "GOMLX_BACKEND not set; XLA plugins not looked for"}
	case len(found) > 0:
		return Finding{Check: check, Status: OK, Detail: "xla (GOMLX_BACKEND not set; " + pluginText + ")"}
	}
	return Finding{Check: check, Status: OK, Detail: "go, the pure-Go backend (GOMLX_BACKEND not set; " + pluginText + ")"}
}

func (c *checkup) mnist() Finding {
	const check = "MNIST"
	if c.d.FindMNIST == nil {
		return Finding{Check: check, Status: Skip, Detail: "not checked"}
	}
	source, err := c.d.FindMNIST()
	if err != nil {
		return Finding{Check: check, Status: Warn,
			Detail: "not on this machine (" + firstLine(err.Error()) + "); the MNIST notebooks download it on first use",
			Fix:    "download it once while online: `ganbook train --steps 1` or any notebook that loads MNIST"}
	}
	return Finding{Check: check, Status: OK, Detail: "found: " + source}
}

func (c *checkup) trackerDB() Finding {
	const check = "tracker db"
	db, from, ok := c.kernelEnv("GANBOOK_DB")
	if !ok || db == "" {
		if c.spec == nil {
			return c.noSpec(check)
		}
		return Finding{Check: check, Status: Warn, Detail: "GANBOOK_DB is not set: each notebook's directory gets its own ganbook.db", Fix: fixInstall}
	}
	if err := checkWritable(db); err != nil {
		return Finding{Check: check, Status: Fail, Detail: fmt.Sprintf("%s (GANBOOK_DB from %s): %v", db, from, err),
			Fix: "make it writable, or `ganbook kernel install --db PATH`"}
	}
	state := "exists"
	if _, err := os.Stat(db); err != nil {
		state = "will be created"
	}
	return Finding{Check: check, Status: OK, Detail: fmt.Sprintf("%s (%s, writable; GANBOOK_DB from %s)", db, state, from)}
}

// checkWritable checks that SQLite can write the database file and, for its journal
// (-wal, -shm), its directory, without changing either.
func checkWritable(db string) error {
	dir := filepath.Dir(db)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("directory %s does not exist", dir)
	}
	if fi, err := os.Stat(db); err == nil {
		if fi.IsDir() {
			return errors.New("is a directory")
		}
		f, err := os.OpenFile(db, os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("not writable: %w", err)
		}
		f.Close()
	}
	f, err := os.CreateTemp(dir, ".ganbook-doctor-*")
	if err != nil {
		return fmt.Errorf("directory %s not writable: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// lookPath finds an executable called name in the directories of pathList, like
// exec.LookPath but with a PATH other than the process's own.
func lookPath(name, pathList string) (string, error) {
	for _, dir := range filepath.SplitList(pathList) {
		if dir == "" || !filepath.IsAbs(dir) {
			continue // as exec.LookPath, never the current directory
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: %w", name, exec.ErrNotFound)
}

func sameDir(a, b string) bool {
	ra, errA := filepath.EvalSymlinks(a)
	rb, errB := filepath.EvalSymlinks(b)
	if errA != nil || errB != nil {
		return filepath.Clean(a) == filepath.Clean(b)
	}
	return ra == rb
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
