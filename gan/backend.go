package gan

import (
	"fmt"
	"io"
	"os"
	"strings"

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
//  2. XLA, when a PJRT plugin is installed where go-xla looks for one;
//  3. otherwise the pure-Go backend, with one line on w that says so and how to get XLA.
//
// It never downloads a plugin: go-xla's auto-install is turned off.
func NewBackend(w io.Writer) (compute.Backend, error) {
	xla.EnableAutoInstall(false)
	if config, ok := os.LookupEnv(compute.ConfigEnvVar); ok && config != "" {
		return newBackendWithConfig(withDeadlockGuard(config))
	}
	if plugins := XLAPlugins(); len(plugins) > 0 {
		return newBackendWithConfig("xla")
	}
	fmt.Fprintf(w, "ganbook: no XLA PJRT plugin found (searched $PJRT_PLUGIN_LIBRARY_PATH, /usr/local/lib/go-xla, ~/.local/lib/go-xla and the system library paths); "+
		"using the pure-Go backend. For XLA, install a PJRT plugin with go-xla's installer (see README, \"Backends\") or set %s.\n", compute.ConfigEnvVar)
	return newBackendWithConfig(GoBackendConfig)
}

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
// their paths, without downloading anything.
func XLAPlugins() map[string]string {
	return pjrt.AvailablePlugins()
}

// BackendDescription names a backend for logs and the reproducibility record,
// with the kernels NewBackend installed in it, since they change the rounding.
func BackendDescription(b compute.Backend) string {
	desc := fmt.Sprintf("%s (%s)", b.Name(), b.Description())
	if k, ok := installedKernels.Load(b); ok {
		desc += "; " + k.(string)
	}
	return desc
}
