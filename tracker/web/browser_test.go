package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// screenshotDir is where the browser test writes its screenshots: the
// directory named by $GANBOOK_SCREENSHOTS, relative to the module root
// (GANBOOK_SCREENSHOTS=docs regenerates the committed docs/ui-*.png), or ""
// for none.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("GANBOOK_SCREENSHOTS")
	if dir == "" || filepath.IsAbs(dir) {
		return dir
	}
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			return filepath.Join(root, dir)
		}
		parent := filepath.Dir(root)
		if parent == root {
			t.Fatalf("GANBOOK_SCREENSHOTS=%s: no go.mod above the test's directory", dir)
		}
		root = parent
	}
}

// TestBrowser drives the pages in a real headless Chromium: the runs
// table, the filter (good and bad), a run page and its step slider, the
// compare page, and the live update of a running run.
func TestBrowser(t *testing.T) {
	s := seedStore(t)
	srv := httptest.NewServer(NewHandler(s.reader, WithPollInterval(250*time.Millisecond),
		WithMetricOrder("d_loss", "g_loss", "d_real", "d_fake", "images_per_sec")))
	defer srv.Close()
	b := newBrowser(t, 1440, 900) // fails the test on any script error or dialog
	step, waitFor, screenshot := b.do, b.waitFor, b.screenshot
	eval := func(what, js string) string { t.Helper(); return eval[string](b, what, js) }
	// load runs an action that loads a new page (a submit, a click on a
	// link) and returns once the new page has loaded, so that the next
	// query finds the new page's nodes rather than the old page's.
	load := func(what string, action chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
		defer cancel()
		if _, err := chromedp.Run(sctx, chromedp.WaitEvent(page.LoadEventFired, nil, action)); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	const rows = `document.querySelectorAll("#runs-table tbody tr[data-run]").length`
	allImagesLoaded := `Array.from(document.images).every(i => i.hidden || (i.complete && i.naturalWidth > 0))`

	// 1. The runs table.
	step("load the runs page", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("runs-table")))
	if n := eval("count rows", "String("+rows+")"); n != "4" {
		t.Errorf("runs table: %s rows, want 4", n)
	}
	names := eval("run names", `Array.from(document.querySelectorAll("#runs-table td.name a")).map(a => a.textContent).join("|")`)
	if !strings.Contains(names, scriptName) {
		t.Errorf("the run named %s is not shown as text; names: %s", scriptName, names)
	}
	if n := eval("scripts", `String(document.querySelectorAll("script").length)`); n != "1" {
		t.Errorf("%s script elements in the runs page, want 1 (app.js)", n)
	}

	// 2. Filter, then a bad filter shown inline.
	step("type a filter", chromedp.SetValue(chromedp.ID("filter"), "params.model = 'dcgan' or params.lr_d > 0.001"))
	load("filter", chromedp.Submit(chromedp.ID("filter")))
	waitFor("filtered table", `location.search.includes("filter") && `+rows+` === 2`, rows+` + " rows at " + location.href`)
	got := eval("filtered names", `Array.from(document.querySelectorAll("#runs-table td.name a")).map(a => a.textContent).sort().join("|")`)
	if want := strings.Join([]string{scriptName, runDCGAN}, "|"); got != want {
		t.Errorf("filtered runs %q, want %q", got, want)
	}
	step("type a bad filter", chromedp.SetValue(chromedp.ID("filter"), "params.lr_d = = 1"))
	load("bad filter", chromedp.Submit(chromedp.ID("filter")))
	waitFor("filter error", `!!document.getElementById("filter-error")`, `document.body.innerText.slice(0, 300)`)
	if msg := eval("filter error text", `document.getElementById("filter-error").innerText`); !strings.Contains(msg, "line 1, column 15") || !strings.Contains(msg, "^") {
		// "params.lr_d = = 1": the second "=" is the 15th character.
		t.Errorf("filter error %q does not point at line 1, column 15", msg)
	}

	// 3. Open a run from the table.
	step("back to all runs", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("runs-table")))
	load("open a run", chromedp.Click(chromedp.CSS(fmt.Sprintf(`tr[data-run="%s"] td.name a`, s.ids[runBaseline]))))
	waitFor("run page", `document.getElementById("run-name") && document.getElementById("run-name").textContent === `+jsString(runBaseline), `location.href`)
	waitFor("charts and grid loaded", allImagesLoaded+` && document.querySelectorAll(".uchart[data-loaded] canvas").length === 5`,
		`String(document.querySelectorAll(".uchart[data-loaded]").length) + " charts"`)
	screenshot("ui-run.png")
	if r := eval("image rendering", `getComputedStyle(document.querySelector("img.grid")).imageRendering`); r != "pixelated" {
		t.Errorf("sample grid image-rendering %q, want pixelated (upscaled without blur)", r)
	}
	scale, err := strconv.ParseFloat(eval("grid width", `String(document.querySelector("img.grid").width / document.querySelector("img.grid").naturalWidth)`), 64)
	if err != nil || scale < 1.5 {
		t.Errorf("sample grid shown at %v× its size (%v), want it upscaled", scale, err)
	}

	// The progress animation beside the slider: the GIF of the run's 7 grids, loaded, drawn
	// at the grids' size and upscaled like them.
	progress := eval("progress animation", `(() => { const i = document.querySelector("figure.progress-viewer img.progress"),
		g = document.querySelector("figure.grid-viewer img.grid");
		return i ? [new URL(i.src).pathname, i.complete, i.naturalWidth === g.naturalWidth && i.naturalHeight === g.naturalHeight, i.width > i.naturalWidth,
			i.closest("figure").querySelector(".progress-frames").textContent].join(" ") : "none"; })()`)
	if want := "/runs/" + s.ids[runBaseline] + "/progress.gif true true true 7"; progress != want {
		t.Errorf("progress animation: %q, want %q (path, loaded, the grids' size, upscaled, frames)", progress, want)
	}

	// Move the slider with the keyboard: the label, the image URL and the
	// pixels shown all change.
	const label = `document.querySelector("figure.grid-viewer .step-label").textContent`
	const src = `document.querySelector("figure.grid-viewer img.grid").src`
	const pixels = `(() => { const i = document.querySelector("figure.grid-viewer img.grid"); const c = document.createElement("canvas");
		c.width = i.naturalWidth; c.height = i.naturalHeight; const x = c.getContext("2d"); x.drawImage(i, 0, 0);
		const d = x.getImageData(0, 0, c.width, c.height).data; let h = 0; for (let k = 0; k < d.length; k += 4) h = (h * 31 + d[k]) >>> 0; return String(h); })()`
	if l := eval("label", label); l != "300" {
		t.Errorf("slider starts at step %s, want the latest, 300", l)
	}
	before := eval("pixels at 300", pixels)
	step("slider left", chromedp.Focus(chromedp.CSS("figure.grid-viewer .step-slider")), chromedp.KeyEvent(kb.ArrowLeft))
	waitFor("step 250 shown", label+` === "250" && `+src+`.endsWith("step=250") && `+allImagesLoaded, label+" + ' ' + "+src)
	step("slider home", chromedp.KeyEvent(kb.Home))
	waitFor("step 0 shown", label+` === "0" && `+src+`.endsWith("step=0") && `+allImagesLoaded, label+" + ' ' + "+src)
	if after := eval("pixels at 0", pixels); after == before {
		t.Errorf("the grid shown at step 0 has the same pixels as at step 300")
	}

	// 4. Compare: tick two runs, press the button.
	step("runs page again", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("runs-table")))
	if d := eval("button", `String(document.getElementById("compare-button").disabled)`); d != "true" {
		t.Errorf("compare button enabled with no run ticked")
	}
	step("tick runs",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name=run][value="%s"]`, s.ids[runBaseline]))),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name=run][value="%s"]`, s.ids[runDCGAN]))),
	)
	waitFor("button enabled", `!document.getElementById("compare-button").disabled`, `document.getElementById("compare-count").textContent`)
	load("compare", chromedp.Click(chromedp.ID("compare-button")))
	waitFor("compare page", `!!document.getElementById("compare-runs") && `+allImagesLoaded+` && document.querySelectorAll(".uchart[data-loaded] canvas").length === 6`,
		`location.href + " " + document.querySelectorAll(".uchart[data-loaded]").length`)
	if n := eval("differing params", `String(document.querySelectorAll("#params tr.differs").length)`); n != "3" {
		// lr_d, model, seed differ; lr_g, batch_size and loss do not.
		t.Errorf("%s differing parameters highlighted, want 3", n)
	}
	if n := eval("grids", `String(document.querySelectorAll(".grid-cell img.grid:not([hidden])").length)`); n != "2" {
		t.Errorf("%s grids side by side, want 2", n)
	}
	// The compare slider: at step 150 the baseline shows its grid of step
	// 150 and the DCGAN run (grids every 100 steps) its grid of step 100.
	steps := eval("compare steps", `document.querySelector(".compare-grids .step-slider").dataset.steps`)
	if steps != "[0,50,100,150,200,250,300,400]" {
		t.Fatalf("compare slider steps %s", steps)
	}
	step("compare slider to 150", chromedp.Focus(chromedp.CSS(".compare-grids .step-slider")),
		chromedp.KeyEvent(kb.Home), chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight))
	cellSteps := `Array.from(document.querySelectorAll(".grid-cell .cell-step")).map(e => e.textContent).sort().join(",")`
	waitFor("compare at 150", `document.querySelector(".compare-grids .step-label").textContent === "150" && `+cellSteps+` === "100,150" && `+allImagesLoaded, cellSteps)

	// 5. A running run's page follows the run.
	step("live run page", chromedp.Navigate(srv.URL+"/runs/"+s.ids[runLive]), chromedp.WaitReady(chromedp.ID("live")))
	const count = `document.querySelector('tr[data-metric="d_loss"] .m-count').textContent`
	if c := eval("count", count); c != "50" {
		t.Errorf("live run shows %s d_loss points, want 50", c)
	}
	for st := int64(50); st < 80; st++ {
		if err := s.live.LogMetric("d_loss", st, 0.4); err != nil {
			t.Fatal(err)
		}
	}
	s.logGrid(t, s.live, runLive, 80, 0.8, 9)
	waitFor("live update", count+` === "80" && document.querySelector("figure.grid-viewer .step-label").textContent === "80" && `+allImagesLoaded,
		count+` + " " + document.querySelector("figure.grid-viewer .step-label").textContent`)
	if err := s.live.Finish(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor("run finished", `document.getElementById("run-status").textContent === "FINISHED" && !document.getElementById("live")`,
		`document.getElementById("run-status").textContent`)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(s) + "'"
}
