package kernel

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/ganbook/ganbook/internal/fsutil"
)

// Pinned versions. GoNB must match the github.com/janpfeifer/gonb version in the
// repository's go.mod, because notebooks display through its gonbui package and the
// kernel and the library speak one protocol (a test checks the two agree).
const (
	GoNBModule   = "github.com/janpfeifer/gonb"
	GoNBVersion  = "v0.11.3"
	ToolsModule  = "golang.org/x/tools" // goimports
	ToolsVersion = "v0.44.0"
	// GoNB asks gopls for completion and contextual help (it looks for "gopls" on the
	// kernel's PATH and wants v0.12.4 or newer); v0.22.0 is the gopls of the x/tools
	// release goimports comes from, and builds with the Go this repository needs.
	GoplsModule  = "golang.org/x/tools/gopls"
	GoplsVersion = "v0.22.0"

	// RepoModule is the module a ganbook kernel makes importable.
	RepoModule = "github.com/ganbook/ganbook"

	DefaultName        = "ganbook"
	DefaultDisplayName = "Go (ganbook)"
)

// Tool is a program the kernel needs, built from a pinned module version.
type Tool struct {
	Name    string // file name in the bin directory, and the name GoNB looks up on PATH
	Module  string
	Version string
	Package string // main package path inside Module
}

// Tools are built by Install, GoNB first.
var Tools = []Tool{
	{Name: "gonb", Module: GoNBModule, Version: GoNBVersion, Package: GoNBModule},
	{Name: "goimports", Module: ToolsModule, Version: ToolsVersion, Package: ToolsModule + "/cmd/goimports"},
	{Name: "gopls", Module: GoplsModule, Version: GoplsVersion, Package: GoplsModule},
}

// Spec is a Jupyter kernel spec, the kernel.json file in a kernel's directory
// (https://jupyter-client.readthedocs.io/en/stable/kernels.html#kernel-specs).
type Spec struct {
	Argv          []string          `json:"argv"`
	DisplayName   string            `json:"display_name"`
	Language      string            `json:"language"`
	InterruptMode string            `json:"interrupt_mode,omitempty"`
	Env           map[string]string `json:"env,omitempty"`
	Metadata      SpecMetadata      `json:"metadata"`
}

// SpecMetadata is the spec's "metadata"; Ganbook is set only in specs Install wrote.
type SpecMetadata struct {
	Ganbook *Provenance `json:"ganbook,omitempty"`
}

// Provenance records what Install used, so Uninstall and Doctor know what is ganbook's.
type Provenance struct {
	Repo             string `json:"repo"`
	BinDir           string `json:"bin_dir"`
	GoNBVersion      string `json:"gonb_version"`
	GoimportsVersion string `json:"goimports_version"`
	GoplsVersion     string `json:"gopls_version,omitempty"`
}

// GoWorkFlag is GoNB's start-up option that seeds every new kernel's go.work.
const GoWorkFlag = "--go_work="

// Repo returns the directory GoNB's --go_work option points at, or "".
func (s *Spec) Repo() string {
	for _, arg := range s.Argv {
		if v, ok := strings.CutPrefix(arg, GoWorkFlag); ok {
			return v
		}
		if v, ok := strings.CutPrefix(arg, "-go_work="); ok {
			return v
		}
	}
	return ""
}

// KernelEnv returns the value the kernel process gets for the spec's env variable key,
// expanding $NAME and ${NAME} from base the way jupyter_client (≥ 7) does, and whether
// the spec sets it at all. Names base lacks are left as written, like Python's
// string.Template.safe_substitute.
func (s *Spec) KernelEnv(key string, base func(string) (string, bool)) (string, bool) {
	v, ok := s.Env[key]
	if !ok {
		return "", false
	}
	return expandSafe(v, base), true
}

func expandSafe(v string, lookup func(string) (string, bool)) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '$' || i+1 == len(v) {
			b.WriteByte(v[i])
			continue
		}
		if v[i+1] == '$' {
			b.WriteByte('$')
			i++
			continue
		}
		braced := v[i+1] == '{'
		start := i + 1
		if braced {
			start++
		}
		end := start
		for end < len(v) && (v[end] == '_' || isAlnum(v[end])) {
			end++
		}
		if end == start || braced && (end == len(v) || v[end] != '}') {
			b.WriteByte('$')
			continue
		}
		name := v[start:end]
		if braced {
			end++
		}
		if val, ok := lookup(name); ok {
			b.WriteString(val)
		} else {
			b.WriteString(v[i:end])
		}
		i = end - 1
	}
	return b.String()
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// SpecDir is where the kernel called name lives under a Jupyter data directory.
func SpecDir(dataDir, name string) string { return filepath.Join(dataDir, "kernels", name) }

// ReadSpec reads the kernel.json in dir. A missing file is an error wrapping fs.ErrNotExist.
func ReadSpec(dir string) (*Spec, error) {
	b, err := os.ReadFile(filepath.Join(dir, "kernel.json"))
	if err != nil {
		return nil, err
	}
	var s Spec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "kernel.json"), err)
	}
	return &s, nil
}

// writeSpec writes kernel.json in dir atomically, so a kernel started meanwhile never
// reads half a file.
func writeSpec(dir string, s *Spec) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(filepath.Join(dir, "kernel.json"), buf.Bytes(), 0o644)
}

// DefaultDataDir is the Jupyter data directory a user's kernels go in, found as
// jupyter_core's jupyter_data_dir() finds it: $JUPYTER_DATA_DIR, else the per-user
// directory of the platform.
func DefaultDataDir() (string, error) {
	if d := os.Getenv("JUPYTER_DATA_DIR"); d != "" {
		return filepath.Abs(d)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no Jupyter data directory: %w (set JUPYTER_DATA_DIR)", err)
	}
	switch runtime.GOOS {
	case "darwin":
		return filepath.Join(home, "Library", "Jupyter"), nil
	case "windows":
		if appData := os.Getenv("APPDATA"); appData != "" {
			return filepath.Join(appData, "jupyter"), nil
		}
		return filepath.Join(home, "AppData", "Roaming", "jupyter"), nil
	}
	if xdg := os.Getenv("XDG_DATA_HOME"); xdg != "" {
		return filepath.Join(xdg, "jupyter"), nil
	}
	return filepath.Join(home, ".local", "share", "jupyter"), nil
}

// DefaultCacheDir is ganbook's cache directory: $GANBOOK_CACHE, else ganbook/ under the
// user's cache directory (where gan/data keeps its downloads too).
func DefaultCacheDir() (string, error) {
	if d := os.Getenv("GANBOOK_CACHE"); d != "" {
		return filepath.Abs(d)
	}
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory: %w (set GANBOOK_CACHE)", err)
	}
	return filepath.Join(c, "ganbook"), nil
}

// DefaultBinDir is where Install puts the tools unless told otherwise.
func DefaultBinDir() (string, error) {
	c, err := DefaultCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(c, "bin"), nil
}

// ErrNoRepo means no ganbook checkout was found.
var ErrNoRepo = errors.New("not inside a ganbook checkout (no go.mod of module " + RepoModule + " here or above)")

// FindRepo returns the root of the ganbook checkout that contains dir: the nearest
// directory at or above dir whose go.mod declares module github.com/ganbook/ganbook.
func FindRepo(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if mod, err := modulePath(filepath.Join(dir, "go.mod")); err == nil && mod == RepoModule {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", ErrNoRepo
		}
		dir = parent
	}
}

// IsRepo reports whether dir is the root of a ganbook checkout.
func IsRepo(dir string) bool {
	mod, err := modulePath(filepath.Join(dir, "go.mod"))
	return err == nil && mod == RepoModule
}

// modulePath reads the module path from a go.mod file.
func modulePath(goMod string) (string, error) {
	return goModDirective(goMod, "module")
}

// goModDirective returns the argument of the first line "directive ARG" in a go.mod.
func goModDirective(goMod, directive string) (string, error) {
	f, err := os.Open(goMod)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == directive {
			return strings.Trim(fields[1], `"`), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("%s: no %s directive", goMod, directive)
}
