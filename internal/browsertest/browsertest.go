// Package browsertest finds and starts the headless Chromium that ganbook's
// browser tests drive with chromedp (the web UI's pages, JupyterLab
// with the ganbook kernel), with the options they all need.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/chromedp/chromedp"
)

// Path is the Chromium to use: $GANBOOK_CHROMIUM (a path or a name on PATH),
// else Debian's /usr/bin/chromium or the first of chromium, chromium-browser,
// google-chrome, google-chrome-stable on PATH; "" when there is none.
func Path() string {
	if p := os.Getenv("GANBOOK_CHROMIUM"); p != "" {
		if p, err := exec.LookPath(p); err == nil {
			return p
		}
		return ""
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Require returns [Path], or skips the test when there is no Chromium. With
// CI=true it fails instead: CI must run every browser test.
func Require(t testing.TB) string {
	t.Helper()
	p := Path()
	if p != "" {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium found (install Debian's chromium or set GANBOOK_CHROMIUM): CI=true must run the browser tests")
	}
	t.Skip("no Chromium found; install chromium or set GANBOOK_CHROMIUM (with CI=true the test fails instead)")
	return ""
}

// Start launches a headless Chromium at path with a window of width×height
// and a fresh profile, and returns a chromedp context for its first tab. The
// options are Debian's headless recipe: no sandbox (tests run as root in
// CI), no GPU, no background networking (nothing outside may be reached).
// The browser is closed when the test ends.
func Start(t testing.TB, path string, width, height int) context.Context {
	t.Helper()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // start the browser, with no deadline
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}
