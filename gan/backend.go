package gan

import (
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/ganbook/ganbook/internal/xlaplugin"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/go-xla/compute/xla"
	"github.com/gomlx/go-xla/pjrt"
)

// GoBackendConfig is the go backend's configuration when ganbook picks it:
// unbounded worker parallelism, because GoMLX v0.28.2's bounded worker pool has
// been seen to deadlock when several large matmuls run at once.
const GoBackendConfig = gobackend.BackendName + ":parallelism=-1"

// NewBackend picks the compute backend for a run:
//  1. $GOMLX_BACKEND, when set, always wins (e.g. "go", "xla:cpu", "xla:cuda");
//     an XLA plugin it names that cannot be used is an error;
//  2. XLA, when a PJRT plugin is installed where go-xla looks for one or in
//     ganbook's cache (scripts/deps/xla.sh; see internal/xlaplugin);
//  3. otherwise the pure-Go backend, with one line on w that says so: either
//     that no plugin was found and how to get one, or why the one found
//     cannot be used.
//
// It never downloads a plugin: go-xla's auto-install is turned off.
func NewBackend(w io.Writer) (compute.Backend, error) {
	xla.EnableAutoInstall(false)
	if config, ok := os.LookupEnv(compute.ConfigEnvVar); ok && config != "" {
		config = withDeadlockGuard(config)
		if name, plugin, _ := strings.Cut(config, ":"); name == xla.BackendName {
			return newXLABackend(plugin)
		}
		return newBackendWithConfig(config)
	}
	if path, ok := defaultXLAPlugin(); ok {
		b, err := newXLABackend(path)
		if err == nil {
			return b, nil
		}
		fmt.Fprintf(w, "ganbook: %v; using the pure-Go backend\n", err)
		return newBackendWithConfig(GoBackendConfig)
	}
	fmt.Fprintf(w, "ganbook: no XLA PJRT plugin found (searched %s); using the pure-Go backend. "+
		"For XLA on CPU run scripts/deps/xla.sh (see README, \"Backends\"), or set %s.\n",
		strings.Join(xlaplugin.SearchDirs(), ", "), compute.ConfigEnvVar)
	return newBackendWithConfig(GoBackendConfig)
}

// NewGoBackend opens the pure-Go backend with ganbook's kernels whatever
// $GOMLX_BACKEND says or which plugins are installed: for figures that were
// computed on it and are re-derived bitwise (the tutorials' tests), which XLA's
// different rounding would not reproduce.
func NewGoBackend() (compute.Backend, error) {
	return newBackendWithConfig(GoBackendConfig)
}

// newXLABackend opens XLA with the plugin part of an "xla:PLUGIN[,options]"
// configuration: a plugin name ("cpu", "cuda"; empty: the preferred one found)
// or a plugin file's absolute path. A plugin xlaplugin finds is vetted and
// handed to go-xla by path, so go-xla needs no search path of its own for
// ganbook's cache; names it does not find are left to go-xla's own search.
// Its configuration is xlaplugin.Config's (Adam in the graph).
func newXLABackend(plugin string) (compute.Backend, error) {
	name, options, _ := strings.Cut(plugin, ",")
	path := name
	if !filepath.IsAbs(name) {
		var ok bool
		if name == "" {
			path, ok = defaultXLAPlugin()
		} else {
			path, ok = xlaplugin.Find()[name]
		}
		if !ok {
			path = name
		}
	}
	var info xlaplugin.Info
	if filepath.IsAbs(path) {
		var err error
		if info, err = xlaplugin.Check(path); err != nil {
			return nil, err
		}
	}
	b, err := newBackendWithConfig(xlaplugin.Config(path, options))
	if err != nil {
		if !filepath.IsAbs(path) {
			return nil, fmt.Errorf("%w (ganbook searched %s; scripts/deps/xla.sh installs the CPU plugin)", err, strings.Join(xlaplugin.SearchDirs(), ", "))
		}
		return nil, err
	}
	if wheel := xlaplugin.WheelVersion(path); wheel != "" {
		installedPlugins.Store(b, "plugin "+wheel+", "+info.String())
	}
	return b, nil
}

// defaultXLAPlugin is the plugin NewBackend uses when $GOMLX_BACKEND is not
// set: CUDA's when there is an NVIDIA device, else the CPU one, else any.
func defaultXLAPlugin() (string, bool) {
	plugins := xlaplugin.Find()
	if p, ok := plugins["cuda"]; ok {
		if _, err := os.Stat("/dev/nvidiactl"); err == nil {
			return p, true
		}
	}
	if p, ok := plugins["cpu"]; ok {
		return p, true
	}
	for _, name := range slices.Sorted(maps.Keys(plugins)) {
		if name != "cuda" {
			return plugins[name], true
		}
	}
	return "", false
}

// installedPlugins maps each XLA backend whose plugin came from ganbook's
// cache to the words BackendDescription adds for it (the wheel's version).
var installedPlugins sync.Map

// withDeadlockGuard adds parallelism=-1 to a go backend configuration that
// sets no parallelism of its own: with its default bounded pool, GoMLX
// v0.28.2's go backend deadlocks when a large matmul saturates the pool while
// other ops wait for a worker (seen with four trainings on two cores:
// workerspool.Pool.Saturate and Pool.WaitToStart waiting on each other).
func withDeadlockGuard(config string) string {
	name, options, _ := strings.Cut(config, ":")
	if name != gobackend.BackendName || strings.Contains(options, "parallelism=") {
		return config
	}
	if options == "" {
		return GoBackendConfig
	}
	return config + ",parallelism=-1"
}

// newBackendWithConfig turns the compute package's panics on unknown names into errors.
func newBackendWithConfig(config string) (b compute.Backend, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("backend %q: %v", config, r)
		}
	}()
	b, err = compute.NewWithConfig(config)
	if err != nil {
		return nil, fmt.Errorf("backend %q: %w", config, err)
	}
	useFastKernels(b)
	return b, nil
}

// XLAPlugins lists the installed PJRT plugins by name (e.g. "cpu", "cuda") with
// their paths, without downloading anything: those in ganbook's cache and
// go-xla's directories (xlaplugin.Find), then any go-xla finds elsewhere.
func XLAPlugins() map[string]string {
	plugins := xlaplugin.Find()
	for name, path := range pjrt.AvailablePlugins() {
		if _, ok := plugins[name]; !ok {
			plugins[name] = path
		}
	}
	return plugins
}

// BackendDescription names a backend for logs and the reproducibility record,
// with the kernels NewBackend installed in it, since they change the rounding.
func BackendDescription(b compute.Backend) string {
	desc := fmt.Sprintf("%s (%s)", b.Name(), b.Description())
	if k, ok := installedKernels.Load(b); ok {
		desc += "; " + k.(string)
	}
	if p, ok := installedPlugins.Load(b); ok {
		desc += "; " + p.(string)
	}
	return desc
}
