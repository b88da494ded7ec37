package backendtest

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ganbook/ganbook/internal/xlaplugin"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/go-xla/compute/xla"
)

// Names of the two backends, as the subtests are called.
const (
	Go     = "go"
	XLACPU = "xla:cpu"
)

// Names lists the backends every table-driven test runs over.
var Names = []string{Go, XLACPU}

var (
	goOnce  sync.Once
	goB     compute.Backend
	goErr   error
	xlaOnce sync.Once
	xlaB    compute.Backend
	xlaErr  error

	xlaRuns atomic.Int64
)

// Get returns the backend called name (one per test binary), or fails the
// test; for XLA without a plugin it skips, except with CI=true.
func Get(tb testing.TB, name string) compute.Backend {
	tb.Helper()
	switch name {
	case Go:
		goOnce.Do(func() {
			// parallelism=-1: GoMLX v0.28.2's bounded worker pool can deadlock (gan.withDeadlockGuard).
			goB, goErr = gobackend.New("parallelism=-1")
		})
		if goErr != nil {
			tb.Fatalf("go backend: %v", goErr)
		}
		return goB
	case XLACPU:
		xlaOnce.Do(func() { xlaB, xlaErr = newXLA() })
		if xlaErr != nil {
			if os.Getenv("CI") == "true" {
				tb.Fatalf("XLA CPU backend (CI=true requires it): %v", xlaErr)
			}
			tb.Skipf("XLA CPU backend not available (scripts/deps/xla.sh installs it): %v", xlaErr)
		}
		xlaRuns.Add(1)
		return xlaB
	}
	tb.Fatalf("backendtest: unknown backend %q", name)
	return nil
}

func newXLA() (b compute.Backend, err error) {
	xla.EnableAutoInstall(false)
	path, ok := xlaplugin.Find()["cpu"]
	if !ok {
		return nil, fmt.Errorf("no pjrt_c_api_cpu_plugin.so in %v", xlaplugin.SearchDirs())
	}
	if _, err := xlaplugin.Check(path); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return compute.NewWithConfig(xlaplugin.Config(path, ""))
}

// Run runs fn as one subtest per backend in Names, called after the backend.
func Run(t *testing.T, fn func(t *testing.T, b compute.Backend)) {
	t.Helper()
	for _, name := range Names {
		t.Run(name, func(t *testing.T) { fn(t, Get(t, name)) })
	}
}

// ReportEnv names a file Main appends its count to: `go test ./...` shows a
// passing package's output only with -v, so the Makefile collects the counts
// there and prints them.
const ReportEnv = "GANBOOK_XLA_TEST_REPORT"

// Main runs the tests of a package and then prints how many of them ran on
// XLA, so that a run shows the XLA half was not skipped (also appended to
// $GANBOOK_XLA_TEST_REPORT when set). Use it as
// func TestMain(m *testing.M) { os.Exit(backendtest.Main(m, "pkg")) }.
func Main(m *testing.M, pkg string) int {
	code := m.Run()
	line := fmt.Sprintf("backendtest: %s: %d tests ran on XLA CPU\n", pkg, xlaRuns.Load())
	fmt.Print(line)
	if report := os.Getenv(ReportEnv); report != "" {
		f, err := os.OpenFile(report, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			_, err = f.WriteString(line)
			err = errors.Join(err, f.Close())
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "backendtest: %s: %v\n", ReportEnv, err)
			return 1
		}
	}
	return code
}
