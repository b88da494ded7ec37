package xlaplugin

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// CPUWheel and CPUVersion name the PyPI wheel scripts/deps/xla.sh installs:
// Google's XLA CPU PJRT plugin.
const (
	CPUWheel   = "xla-cpu-pjrt"
	CPUVersion = "0.0.1"
)

// PathsEnv is go-xla's variable for the directories it searches for plugins
// (":"-separated); when set, go-xla searches only those.
const PathsEnv = "PJRT_PLUGIN_LIBRARY_PATH"

// CacheDir is where scripts/deps/xla.sh puts the CPU plugin:
// ${GANBOOK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ganbook}/xla/<CPUVersion>.
func CacheDir() string {
	cache := os.Getenv("GANBOOK_CACHE")
	if cache == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return ""
			}
			base = filepath.Join(home, ".cache")
		}
		cache = filepath.Join(base, "ganbook")
	}
	return filepath.Join(cache, "xla", CPUVersion)
}

// SearchDirs lists the directories searched, in order: $PJRT_PLUGIN_LIBRARY_PATH
// when set, else go-xla's own directories (~/.local/lib/go-xla,
// /usr/local/lib/go-xla and their nvidia subdirectories); then ganbook's cache.
// The system library directories go-xla also scans are left out: a plugin
// there is still found by go-xla when named.
func SearchDirs() []string {
	var dirs []string
	if paths, ok := os.LookupEnv(PathsEnv); ok {
		for p := range strings.SplitSeq(paths, ":") {
			if p != "" {
				dirs = append(dirs, p)
			}
		}
	} else {
		if home, err := os.UserHomeDir(); err == nil {
			local := filepath.Join(home, ".local", "lib", "go-xla")
			dirs = append(dirs, local, filepath.Join(local, "nvidia"))
		}
		dirs = append(dirs, "/usr/local/lib/go-xla", "/usr/local/lib/go-xla/nvidia")
	}
	if c := CacheDir(); c != "" {
		dirs = append(dirs, c)
	}
	return dirs
}

// pluginName extracts "cpu" from pjrt_c_api_cpu_plugin.so, pjrt-plugin-cpu.so
// or pjrt_plugin_cpu.so: the names go-xla recognises.
var pluginName = regexp.MustCompile(`^(?:pjrt_c_api_(.+)_plugin|pjrt[-_]plugin[-_](.+))\.so$`)

// Find lists the plugin files in SearchDirs by plugin name ("cpu", "cuda"),
// the first directory winning, without loading any of them.
func Find() map[string]string {
	found := make(map[string]string)
	for _, dir := range SearchDirs() {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			m := pluginName.FindStringSubmatch(e.Name())
			if m == nil || e.IsDir() {
				continue
			}
			name := m[1] + m[2]
			if _, ok := found[name]; !ok {
				found[name] = filepath.Join(dir, e.Name())
			}
		}
	}
	return found
}

// WheelVersion names the wheel a plugin file came from when it is the one
// scripts/deps/xla.sh installed ("xla-cpu-pjrt 0.0.1"), else "".
func WheelVersion(path string) string {
	if filepath.Dir(path) == CacheDir() {
		return CPUWheel + " " + CPUVersion
	}
	return ""
}

// Config is the GoMLX configuration ganbook opens XLA with, for the plugin
// named or at path and go-xla's options ("" for none). Unless the options say
// otherwise it turns XLA's shared buffers off, so that ganbook's Adam runs in
// the graph, where XLA fuses it, and the host-side update stays the go
// backend's (with shared buffers on, the CPU plugin also trains with the host
// update: the DCGAN's first 20 steps agree to 3 digits).
func Config(plugin, options string) string {
	if !strings.Contains(options, "shared_buffers=") {
		options = strings.Trim("shared_buffers=false,"+options, ",")
	}
	return "xla:" + plugin + "," + options
}
