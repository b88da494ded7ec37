package web

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/ganbook/ganbook/internal/browsertest"
)

// browser drives one headless Chromium tab for a test. Any script error or
// dialog in any page it shows fails the test.
type browser struct {
	t     *testing.T
	ctx   context.Context
	shots string

	mu       sync.Mutex
	problems []string
}

// newBrowser starts Chromium (or skips; see browsertest.Require) with a
// window of width×height.
func newBrowser(t *testing.T, width, height int) *browser {
	t.Helper()
	path := browsertest.Require(t)
	b := &browser{t: t, ctx: browsertest.Start(t, path, width, height), shots: screenshotDir(t)}
	go func() {
		for ev, err := range chromedp.Events(b.ctx, runtime.ExceptionThrown) {
			if err != nil {
				return
			}
			b.report("script exception: " + ev.ExceptionDetails.Text + " " + exceptionDescription(ev.ExceptionDetails))
		}
	}()
	go func() {
		for ev, err := range chromedp.Events(b.ctx, page.JavascriptDialogOpening) {
			if err != nil {
				return
			}
			b.report("dialog opened: " + ev.Message)
			chromedp.Call(b.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	// Every page records the Content-Security-Policy violations it meets.
	if _, err := chromedp.Call(b.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.cspViolations = []; document.addEventListener("securitypolicyviolation", e => window.cspViolations.push(e.violatedDirective + " " + e.blockedURI));`,
	}); err != nil {
		t.Fatalf("installing the CSP listener: %v", err)
	}
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, p := range b.problems {
			t.Error(p)
		}
	})
	return b
}

func exceptionDescription(d *runtime.ExceptionDetails) string {
	if d.Exception != nil {
		return d.Exception.Description
	}
	return ""
}

func (b *browser) report(s string) { b.mu.Lock(); b.problems = append(b.problems, s); b.mu.Unlock() }

// do runs actions, failing the test on error.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// open loads a URL and waits for its load event.
func (b *browser) open(url string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Navigate(url))); err != nil {
		b.t.Fatalf("open %s: %v", url, err)
	}
}

// eval evaluates a JavaScript expression, retrying for a few seconds: an
// evaluation that races a page load fails with "Cannot find context".
func eval[T any](b *browser, what, js string) T {
	b.t.Helper()
	var err error
	for try := 0; try < 50; try++ {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		var v T
		v, err = chromedp.Run(ctx, chromedp.Evaluate[T](js))
		cancel()
		if err == nil {
			return v
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.t.Fatalf("%s: %v", what, err)
	var zero T
	return zero
}

// waitFor polls a JavaScript condition for 20 s, showing diag on failure.
func (b *browser) waitFor(what, cond, diag string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var lastErr error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		cancel()
		if err == nil && ok {
			return
		}
		lastErr = err
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatalf("%s: not so after 20s (last error %v; %s)", what, lastErr, eval[string](b, "diagnostics", diag))
}

// screenshot writes a full-page PNG into the screenshot directory, if any.
func (b *browser) screenshot(name string) { b.shoot(name, chromedp.FullScreenshot(100)) }

// viewShot writes a PNG of what the window shows.
func (b *browser) viewShot(name string) { b.shoot(name, chromedp.CaptureScreenshot()) }

func (b *browser) shoot(name string, action chromedp.Action[[]byte]) {
	b.t.Helper()
	if b.shots == "" {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, action)
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(b.shots, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.shots, name), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("wrote %s", filepath.Join(b.shots, name))
}

// noCSPViolations fails the test if the page met a Content-Security-Policy
// violation (a blocked script, style or connection).
func (b *browser) noCSPViolations(page string) {
	b.t.Helper()
	if v := eval[string](b, "CSP violations", `JSON.stringify(window.cspViolations || ["no listener"])`); v != "[]" {
		b.t.Errorf("%s: Content-Security-Policy violations %s", page, v)
	}
}
