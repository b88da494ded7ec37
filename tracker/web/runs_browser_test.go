package web

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ganbook/ganbook/tracker"
)

// TestRunsPageInBrowser drives the runs page over 130 runs with 6
// parameters and 8 metrics: paging, the count under a filter, sorting by a
// metric, the column chooser, a bad filter's caret shown as it is typed,
// runs selected across pages compared, and no horizontal scroll at
// 1,366 px.
func TestRunsPageInBrowser(t *testing.T) {
	const n = 130
	path := filepath.Join(t.TempDir(), "many.db")
	if err := buildManyRunsDB(path, n); err != nil {
		t.Fatal(err)
	}
	store, err := tracker.Open(path, tracker.ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	srv := httptest.NewServer(NewHandler(store, WithPollInterval(200*time.Millisecond), WithMetricOrder(manyMetrics...)))
	defer srv.Close()
	b := newBrowser(t, 1366, 900)

	const count = `document.getElementById("run-count").textContent`
	const rows = `document.querySelectorAll("#runs-table tbody tr[data-run]").length`
	b.open(srv.URL + "/")
	if got := eval[string](b, "count", count); got != "1–50 of 130 runs" {
		t.Errorf("run count %q", got)
	}
	if got := eval[int](b, "rows", rows); got != 50 {
		t.Errorf("%d rows, want 50", got)
	}
	headers := eval[string](b, "headers", `Array.from(document.querySelectorAll("#runs-table thead tr:last-child th")).map(th => th.textContent.trim()).join(",")`)
	if want := "Compare,Status,Name,Started,Duration,batch_size,loss,lr_d,lr_g,model,seed," + strings.Join(manyMetrics, ","); headers != want {
		t.Errorf("columns\n%s, want\n%s", headers, want)
	}
	if w := eval[string](b, "widths", `document.documentElement.scrollWidth + " " + document.documentElement.clientWidth`); func() bool {
		var sw, cw int
		fmt.Sscan(w, &sw, &cw)
		return sw > cw
	}() {
		t.Errorf("the runs page scrolls sideways at 1366 px with 8 metrics (scroll width, client width: %s)", w)
	}
	b.viewShot("ui-runs.png")
	b.noCSPViolations("runs page")

	// Tick two runs on page 1 and one on page 3, then compare all three.
	first := eval[string](b, "ids", `Array.from(document.querySelectorAll("#runs-table tbody tr[data-run]")).slice(0, 2).map(tr => tr.dataset.run).join(",")`)
	b.do("tick two", chromedp.Click(chromedp.CSS(`#runs-table tbody tr:nth-child(1) input[name=run]`)), chromedp.Click(chromedp.CSS(`#runs-table tbody tr:nth-child(2) input[name=run]`)))
	b.open(srv.URL + "/?page=3")
	b.waitFor("page 3", count+` === "101–130 of 130 runs" && `+rows+` === 30`, count)
	b.waitFor("selection kept", `document.getElementById("compare-count").textContent === "2 selected: select at least 2."
		|| document.getElementById("compare-count").textContent === "2 selected."`, `document.getElementById("compare-count").textContent`)
	third := eval[string](b, "id", `document.querySelector("#runs-table tbody tr[data-run]").dataset.run`)
	b.do("tick one more", chromedp.Click(chromedp.CSS(`#runs-table tbody tr:nth-child(1) input[name=run]`)))
	b.do("compare", chromedp.Click(chromedp.ID("compare-button")))
	b.waitFor("compare page", `location.pathname === "/compare" && !!document.getElementById("compare-runs")`, `location.href`)
	if got := eval[string](b, "compared", `new URLSearchParams(location.search).getAll("run").join(",")`); got != first+","+third {
		t.Errorf("compared %s, want %s", got, first+","+third)
	}

	// A filter's count, found by probing; then sort by a metric.
	b.open(srv.URL + "/?filter=" + strings.ReplaceAll("params.model+%3D+%27dcgan%27", " ", "+"))
	if got := eval[string](b, "count", count); got != "1–50 of 65 runs" {
		t.Errorf("filtered count %q, want 1–50 of 65 runs", got)
	}
	b.open(srv.URL + "/?order=metrics.fid")
	fids := eval[[]float64](b, "fid column", `Array.from(document.querySelectorAll("#runs-table tbody tr")).map(tr => parseFloat(tr.children[5 + 6 + 5].textContent))`)
	runs, err := store.Runs(context.Background(), tracker.RunQuery{OrderBy: "metrics.fid", Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range runs {
		if i >= len(fids) || tracker.FormatMetric(r.Metrics["fid"].Last) != tracker.FormatMetric(fids[i]) {
			t.Fatalf("fid column %v is not the store's order by metrics.fid", fids)
		}
	}

	// The column chooser: show a tag and one metric only.
	b.open(srv.URL + "/")
	b.do("open the chooser", chromedp.Click(chromedp.CSS("#columns-chooser summary")))
	eval[bool](b, "tick columns", `document.querySelectorAll(".col-choice").forEach(c => c.checked = c.value === "tags.sweep" || c.value === "metrics.fid" || c.value === "params.lr_d"), true`)
	b.do("apply", chromedp.Click(chromedp.ID("columns-apply")))
	b.waitFor("chosen columns", `Array.from(document.querySelectorAll("#runs-table thead tr:last-child th")).map(th => th.textContent.trim()).join(",") === "Compare,Status,Name,Started,Duration,lr_d,fid,sweep"`,
		`Array.from(document.querySelectorAll("#runs-table thead tr:last-child th")).map(th => th.textContent.trim()).join(",")`)
	b.open(srv.URL + "/" + eval[string](b, "next", `document.getElementById("next-page").getAttribute("href")`))
	if got := eval[string](b, "columns on page 2", `Array.from(document.querySelectorAll("#runs-table thead tr:last-child th")).map(th => th.textContent.trim()).join(",")`); got != "Compare,Status,Name,Started,Duration,lr_d,fid,sweep" {
		t.Errorf("page 2 columns %s: the choice is lost", got)
	}

	// A bad filter typed (not submitted) shows its caret under the fault.
	b.open(srv.URL + "/")
	b.do("type a bad filter", chromedp.SendKeys(chromedp.ID("filter"), "params.lr_d = = 1"))
	b.waitFor("caret shown", `!document.getElementById("filter-error").hidden`, `document.getElementById("filter-error").outerHTML`)
	if got := eval[string](b, "caret", `document.querySelector("#filter-error .caret").textContent`); got != "params.lr_d = = 1\n              ^" {
		// The second "=" is the 15th character: 14 spaces, then the caret.
		t.Errorf("caret %q", got)
	}
	if got := eval[string](b, "position", `document.querySelector("#filter-error").innerText`); !strings.Contains(got, "line 1, column 15") {
		t.Errorf("error %q does not give line 1, column 15", got)
	}
	b.do("fix it", chromedp.SendKeys(chromedp.ID("filter"), "\b\b\b\b1"))
	b.waitFor("caret gone", `document.getElementById("filter-error").hidden`, `document.getElementById("filter").value`)

	// The policy blocks an inline script, and the page records it (so the
	// checks above could see a violation).
	eval[bool](b, "inline script", `(() => { const s = document.createElement("script"); s.textContent = "window.inlineRan = true"; document.body.appendChild(s); return true; })()`)
	b.waitFor("inline script blocked", `window.cspViolations.length === 1 && window.cspViolations[0].startsWith("script-src") && !window.inlineRan`, `JSON.stringify(window.cspViolations)`)
}

// TestRunsPageLive checks that the runs list follows a RUNNING run: its
// metrics update and its end (KILLED here) shows, all without a reload.
func TestRunsPageLive(t *testing.T) {
	s := seedStore(t)
	srv := httptest.NewServer(NewHandler(s.reader, WithPollInterval(200*time.Millisecond), WithMetricOrder("d_loss", "g_loss")))
	defer srv.Close()
	b := newBrowser(t, 1366, 900)
	b.open(srv.URL + "/")
	eval[bool](b, "mark the page", `window.notReloaded = true`)
	row := `document.querySelector('tr[data-run="` + s.ids[runLive] + `"]')`
	if err := s.live.LogMetric("d_loss", 60, 0.123456); err != nil {
		t.Fatal(err)
	}
	b.waitFor("metric updated", row+`.querySelectorAll("td.num")[1].textContent === "0.12346" && window.notReloaded`, row+`.innerText`)
	if err := s.live.Kill(context.Background()); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	b.waitFor("KILLED shown", row+`.querySelector(".status").textContent === "KILLED" && window.notReloaded`, row+`.innerText`)
}
