package web

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/ganbook/ganbook/tracker"
)

// chartJS finds the chart of a metric on the page.
func chartJS(key string) string {
	return `ganbookCharts.find(c => c.key === ` + jsString(key) + `)`
}

// stepXY returns the viewport coordinates of a step on a chart, halfway
// up its plot, after scrolling the chart into view.
func stepXY(b *browser, key string, step float64) (float64, float64) {
	b.t.Helper()
	s := eval[string](b, "position of step "+fmt.Sprint(step), `(() => { const c = `+chartJS(key)+`; c.el.scrollIntoView({block: "center"});
		const r = c.u.over.getBoundingClientRect(); return (r.left + c.u.valToPos(`+fmt.Sprint(step)+`, "x")) + "," + (r.top + r.height / 2); })()`)
	xs, ys, _ := strings.Cut(s, ",")
	x, err1 := strconv.ParseFloat(xs, 64)
	y, err2 := strconv.ParseFloat(ys, 64)
	if err1 != nil || err2 != nil {
		b.t.Fatalf("position %q", s)
	}
	return x, y
}

// valueAt returns the last value a run logged at a step.
func valueAt(t *testing.T, s *seeded, name, key string, step int64) float64 {
	t.Helper()
	pts, err := s.reader.Metric(context.Background(), s.ids[name], key)
	if err != nil {
		t.Fatal(err)
	}
	v, found := 0.0, false
	for _, p := range pts {
		if p.Step == step {
			v, found = p.Value, true
		}
	}
	if !found {
		t.Fatalf("%s has no %s at step %d", name, key, step)
	}
	return v
}

// TestChartsInBrowser drives the uPlot charts of the compare and run pages:
// the hover readout, zoom, pan and reset, the smoothing slider, and a live
// run's chart growing and its end showing without a reload.
func TestChartsInBrowser(t *testing.T) {
	s := seedStore(t)
	srv := httptest.NewServer(NewHandler(s.reader, WithPollInterval(200*time.Millisecond),
		WithMetricOrder("d_loss", "g_loss", "d_real", "d_fake", "images_per_sec")))
	defer srv.Close()
	b := newBrowser(t, 1366, 900)

	// The page's number format is the tracker's (Go's %.5g), computed
	// here by tracker.FormatMetric for values on both sides of every
	// switch between fixed and exponent notation.
	values := []float64{0, 0.5, 2e-4, 1.23456789, -0.000123456, 1e-5, 0.0001, 12345, 99999, 99999.5, 123456, 1e21, -7.25e-9, 0.69314718, 2100.04}
	var lits, want []string
	for _, v := range values {
		lits = append(lits, strconv.FormatFloat(v, 'g', -1, 64))
		want = append(want, tracker.FormatMetric(v))
	}
	lits = append(lits, "NaN", "Infinity", "-Infinity")
	want = append(want, tracker.FormatMetric(math.NaN()), tracker.FormatMetric(math.Inf(1)), tracker.FormatMetric(math.Inf(-1)))
	compare := "/compare?" + url.Values{"run": {s.ids[runBaseline], s.ids[runDCGAN], s.ids[scriptName]}}.Encode()
	b.open(srv.URL + compare)
	b.waitFor("charts drawn", `window.ganbookCharts && ganbookCharts.length === 6 && ganbookCharts.every(c => c.u)`, `String(document.querySelectorAll(".uchart").length)`)
	if got := eval[string](b, "format", `[`+strings.Join(lits, ",")+`].map(ganbookFormat).join(" ")`); got != strings.Join(want, " ") {
		t.Errorf("the page formats values as\n%s\nthe tracker as\n%s", got, strings.Join(want, " "))
	}

	// 1. Hover at step 100: the readout shows every run's value there, and
	// the cursor of the other charts follows.
	const legend = `Array.from(%s.el.querySelectorAll(".u-legend .u-series")).map(tr => tr.querySelector(".u-value").textContent).join("|")`
	x, y := stepXY(b, "d_loss", 100)
	b.do("hover", chromedp.MouseEvent(chromedp.MouseMoved, x-5, y), chromedp.MouseEvent(chromedp.MouseMoved, x, y))
	wantLegend := "100"
	for _, name := range []string{runBaseline, runDCGAN, scriptName} {
		wantLegend += "|" + tracker.FormatMetric(valueAt(t, s, name, "d_loss", 100))
	}
	b.waitFor("hover readout", fmt.Sprintf(legend, chartJS("d_loss"))+` === `+jsString(wantLegend), fmt.Sprintf(legend, chartJS("d_loss")))
	b.screenshot("ui-compare.png")
	b.noCSPViolations("compare page")
	wantSynced := "100"
	for _, name := range []string{runBaseline, runDCGAN, scriptName} {
		wantSynced += "|" + tracker.FormatMetric(valueAt(t, s, name, "g_loss", 100))
	}
	if got := eval[string](b, "synced readout", fmt.Sprintf(legend, chartJS("g_loss"))); got != wantSynced {
		t.Errorf("g_loss readout while hovering d_loss at step 100: %s, want %s", got, wantSynced)
	}

	// 2. Zoom: drag from step 50 to step 150; the x axis then spans them.
	// Pan with the arrow keys; reset restores the whole range (0 to 400).
	const scale = `(() => { const s = ` + `%s.u.scales.x; return Math.round(s.min) + "," + Math.round(s.max); })()`
	dScale := fmt.Sprintf(scale, chartJS("d_loss"))
	if got := eval[string](b, "scale", dScale); got != "0,400" {
		t.Fatalf("d_loss x axis %s before zooming, want 0,400", got)
	}
	x0, y0 := stepXY(b, "d_loss", 50)
	x1, _ := stepXY(b, "d_loss", 150)
	b.do("drag to zoom",
		chromedp.MouseEvent(chromedp.MouseMoved, x0, y0),
		chromedp.MouseEvent(chromedp.MousePressed, x0, y0, chromedp.ButtonLeft, chromedp.ClickCount(1)),
		chromedp.MouseEvent(chromedp.MouseMoved, (x0+x1)/2, y0, chromedp.ButtonLeft),
		chromedp.MouseEvent(chromedp.MouseMoved, x1, y0, chromedp.ButtonLeft),
		chromedp.MouseEvent(chromedp.MouseReleased, x1, y0, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	zoomed := func(lo, hi float64) string {
		return fmt.Sprintf(`(() => { const s = %s.u.scales.x; return Math.abs(s.min - %v) <= 3 && Math.abs(s.max - %v) <= 3; })()`, chartJS("d_loss"), lo, hi)
	}
	b.waitFor("zoomed to 50–150", zoomed(50, 150), dScale)
	b.do("pan right", chromedp.Focus(chromedp.CSS(`.uchart[data-key="d_loss"] .uchart-plot`)), chromedp.KeyEvent(kb.ArrowRight))
	b.waitFor("panned to 60–160", zoomed(60, 160), dScale)
	b.do("reset", chromedp.Click(chromedp.CSS(`.uchart[data-key="d_loss"] .uchart-reset`)))
	b.waitFor("reset to 0–400", dScale+` === "0,400"`, dScale)

	// 3. Smoothing from the keyboard: the drawn line changes, and its
	// values are TensorBoard's debiased moving average of the series,
	// computed here from the stored points.
	pixels := fmt.Sprintf(`(() => { const d = %s.u.ctx.getImageData(0, 0, %s.u.ctx.canvas.width, %s.u.ctx.canvas.height).data;
		let h = 0; for (let k = 0; k < d.length; k++) h = (h * 31 + d[k]) >>> 0; return String(h); })()`, chartJS("d_loss"), chartJS("d_loss"), chartJS("d_loss"))
	before := eval[string](b, "pixels", pixels)
	b.do("smoothing to its end", chromedp.Focus(chromedp.ID("smoothing")), chromedp.KeyEvent(kb.End))
	b.waitFor("smoothing 0.99", `document.getElementById("smoothing-value").textContent === "0.99"`, `document.getElementById("smoothing-value").textContent`)
	b.waitFor("path redrawn", pixels+` !== `+jsString(before), `"unchanged"`)
	pts, err := s.reader.Metric(context.Background(), s.ids[runBaseline], "d_loss")
	if err != nil {
		t.Fatal(err)
	}
	const w = 0.99
	last, n := 0.0, 0
	for _, p := range pts {
		last = last*w + (1-w)*p.Value
		n++
		smoothed := last / (1 - math.Pow(w, float64(n)))
		if p.Step%50 != 0 && p.Step != 1 {
			continue
		}
		got := eval[float64](b, "smoothed value", fmt.Sprintf(`%s.u.data[1][%d]`, chartJS("d_loss"), p.Step))
		if math.Abs(got-smoothed) > 1e-9*math.Abs(smoothed) {
			t.Errorf("smoothed d_loss at step %d: drawn %v, want %v", p.Step, got, smoothed)
		}
	}

	// Log y, then wall-time x: the x axis spans the runs' first and last
	// points in time.
	b.do("log y", chromedp.Click(chromedp.ID("log-y")))
	b.waitFor("log scale", chartJS("d_loss")+`.u.scales.y.distr === 3`, `String(`+chartJS("d_loss")+`.u.scales.y.distr)`)
	eval[bool](b, "wall time", `(() => { const s = document.getElementById("x-mode"); s.value = "wall"; s.dispatchEvent(new Event("change")); return true; })()`)
	var first, lastT time.Time
	for _, name := range []string{runBaseline, runDCGAN, scriptName} {
		pts, err := s.reader.Metric(context.Background(), s.ids[name], "d_loss")
		if err != nil {
			t.Fatal(err)
		}
		if first.IsZero() || pts[0].Time.Before(first) {
			first = pts[0].Time
		}
		if end := pts[len(pts)-1].Time; end.After(lastT) {
			lastT = end
		}
	}
	b.waitFor("wall-time x", fmt.Sprintf(`(() => { const s = %s.u.scales.x; return s.time === true && Math.abs(s.min - %d) < 1 && Math.abs(s.max - %d) < 1; })()`,
		chartJS("d_loss"), first.Unix(), lastT.Unix()), dScale)

	// 4. A live run's chart gains points without a reload, and its end
	// (FAILED here) shows without one.
	b.open(srv.URL + "/runs/" + s.ids[runLive])
	b.waitFor("live chart drawn", `window.ganbookCharts && ganbookCharts.length === 5 && ganbookCharts.every(c => c.u)`, `String(window.ganbookCharts && ganbookCharts.length)`)
	eval[bool](b, "mark the page", `window.notReloaded = true`)
	livePoints := chartJS("d_loss") + `.u.data[0].length`
	if n := eval[int](b, "points", livePoints); n != 50 {
		t.Errorf("live d_loss chart has %d points, want 50", n)
	}
	var lastLogged float64
	for st := int64(50); st < 80; st++ {
		lastLogged = 0.4 + 0.001*float64(st)
		if err := s.live.LogMetric("d_loss", st, lastLogged); err != nil {
			t.Fatal(err)
		}
	}
	b.waitFor("live chart grew", livePoints+` === 80 && window.notReloaded === true`, `String(`+livePoints+`) + " " + window.notReloaded`)
	if got := eval[string](b, "last point", chartJS("d_loss")+`.u.data[0][79] + "=" + `+chartJS("d_loss")+`.u.data[1][79]`); got != "79="+strconv.FormatFloat(lastLogged, 'g', -1, 64) {
		t.Errorf("last live point %s", got)
	}
	b.noCSPViolations("run page")
	if err := s.live.Fail(context.Background(), errors.New("diverged: d_loss is NaN")); err != nil {
		t.Fatal(err)
	}
	b.waitFor("FAILED shown", `document.getElementById("run-status").textContent === "FAILED" && document.getElementById("run-status").classList.contains("status-failed") && window.notReloaded === true`,
		`document.getElementById("run-status").outerHTML + " " + window.notReloaded`)
	if got := eval[string](b, "error", `document.getElementById("run-error") ? document.getElementById("run-error").textContent : ""`); !strings.Contains(got, "diverged: d_loss is NaN") {
		t.Errorf("run error shown %q", got)
	}
}

// TestComparePageLive checks that the compare page follows a RUNNING run:
// its chart line and metric cells grow, and its end shows, without a
// reload.
func TestComparePageLive(t *testing.T) {
	s := seedStore(t)
	srv := httptest.NewServer(NewHandler(s.reader, WithPollInterval(200*time.Millisecond), WithMetricOrder("d_loss", "g_loss")))
	defer srv.Close()
	b := newBrowser(t, 1366, 900)
	b.open(srv.URL + "/compare?" + url.Values{"run": {s.ids[runBaseline], s.ids[runLive]}}.Encode())
	b.waitFor("charts drawn", `window.ganbookCharts && ganbookCharts.length === 5 && ganbookCharts.every(c => c.u)`, `String(window.ganbookCharts && ganbookCharts.length)`)
	eval[bool](b, "mark the page", `window.notReloaded = true`)
	liveLine := chartJS("d_loss") + `.runs[1].step.length`
	if n := eval[int](b, "live points", liveLine); n != 50 {
		t.Fatalf("live run's d_loss line has %d points, want 50", n)
	}
	var last float64
	for st := int64(50); st < 70; st++ {
		last = 0.3 + 0.01*float64(st%7)
		if err := s.live.LogMetric("d_loss", st, last); err != nil {
			t.Fatal(err)
		}
	}
	cell := `document.querySelector('tr[data-metric="d_loss"] td[data-run="` + s.ids[runLive] + `"]').textContent`
	b.waitFor("live line and cell grew", liveLine+` === 70 && `+chartJS("d_loss")+`.u.data[2][69] === `+strconv.FormatFloat(last, 'g', -1, 64)+
		` && `+cell+`.startsWith(`+jsString(tracker.FormatMetric(last)+" ")+`) && window.notReloaded`,
		`String(`+liveLine+`) + " " + `+cell)
	if err := s.live.Kill(context.Background()); err != nil {
		t.Fatal(err)
	}
	badge := `document.querySelector('[data-run-status="` + s.ids[runLive] + `"]')`
	b.waitFor("KILLED shown", badge+`.textContent === "KILLED" && `+badge+`.classList.contains("status-killed") && window.notReloaded`, badge+`.outerHTML`)
}

// TestChartBand checks that a downsampled line is drawn with its min–max
// band while zoomed out, and without it once zoomed in to a few points.
func TestChartBand(t *testing.T) {
	s := seedStore(t)
	srv := httptest.NewServer(NewHandler(s.reader, WithMaxPoints(60), WithMetricOrder("d_loss")))
	defer srv.Close()
	b := newBrowser(t, 1366, 900)
	b.open(srv.URL + "/runs/" + s.ids[runDCGAN])
	b.waitFor("charts drawn", `window.ganbookCharts && ganbookCharts.length === 6 && ganbookCharts.every(c => c.u)`, `String(window.ganbookCharts && ganbookCharts.length)`)
	c := chartJS("d_loss")
	if got := eval[string](b, "band", `String(`+c+`.bandsDrawn) + " " + `+c+`.note.textContent`); !strings.HasPrefix(got, "1 ") || !strings.Contains(got, "of 401 points drawn") {
		t.Errorf("zoomed out: bands drawn and note %q, want 1 band and a note on the 401 points", got)
	}
	x0, y0 := stepXY(b, "d_loss", 10)
	x1, _ := stepXY(b, "d_loss", 60)
	b.do("zoom in",
		chromedp.MouseEvent(chromedp.MouseMoved, x0, y0),
		chromedp.MouseEvent(chromedp.MousePressed, x0, y0, chromedp.ButtonLeft, chromedp.ClickCount(1)),
		chromedp.MouseEvent(chromedp.MouseMoved, x1, y0, chromedp.ButtonLeft),
		chromedp.MouseEvent(chromedp.MouseReleased, x1, y0, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	b.waitFor("no band zoomed in", c+`.u.scales.x.max < 100 && `+c+`.bandsDrawn === 0`, `String(`+c+`.bandsDrawn) + " " + `+c+`.u.scales.x.max`)
	b.do("reset", chromedp.Click(chromedp.CSS(`.uchart[data-key="d_loss"] .uchart-reset`)))
	b.waitFor("band again", c+`.bandsDrawn === 1`, `String(`+c+`.bandsDrawn)`)
}
