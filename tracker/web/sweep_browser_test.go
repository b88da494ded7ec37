package web

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// pcAxis and pcLine are what the page drew: an axis of the parallel
// coordinates (a vertical line) and a run's polyline.
type pcAxis struct {
	Key        string
	X, Y1, Y2  float64
	SVGX, SVGY float64 // the SVG's top left corner in the viewport
}

type pcLine struct {
	Run    string
	Points [][2]float64
	Stroke string
}

// readPcoords returns the axes, left to right, and the lines drawn.
func readPcoords(b *browser) ([]pcAxis, []pcLine) {
	b.t.Helper()
	js := `(() => {
		const svg = document.getElementById("pcoords"); svg.scrollIntoView({block: "center"});
		const r = svg.getBoundingClientRect();
		const axes = Array.from(svg.querySelectorAll("line.pc-axis")).map(l => ({Key: l.dataset.key, X: +l.getAttribute("x1"),
			Y1: +l.getAttribute("y1"), Y2: +l.getAttribute("y2"), SVGX: r.left, SVGY: r.top}));
		const lines = Array.from(svg.querySelectorAll("a.pc-run")).map(a => { const p = a.querySelector("polyline.pc-line");
			return {Run: a.dataset.run, Stroke: p.getAttribute("stroke"),
				Points: p.getAttribute("points").trim().split(/\s+/).map(xy => xy.split(",").map(Number))}; });
		return JSON.stringify({axes, lines}); })()`
	var got struct {
		Axes  []pcAxis
		Lines []pcLine
	}
	if err := json.Unmarshal([]byte(eval[string](b, "the parallel coordinates", js)), &got); err != nil {
		b.t.Fatal(err)
	}
	slices.SortFunc(got.Axes, func(a, c pcAxis) int { return int(math.Copysign(1, a.X-c.X)) })
	return got.Axes, got.Lines
}

// near reports whether a and b are within half a pixel.
func near(a, b float64) bool { return math.Abs(a-b) <= 0.5 }

// TestSweepInBrowser drives the sweep page in Chromium: the parallel
// coordinates drawn with a line per run, each vertex where its values put
// it (computed here from the seeded values); the metric selector redraws
// the last axis; hovering a line shows its run; clicking a line and a
// scatter point opens that run's page.
func TestSweepInBrowser(t *testing.T) {
	s := seedSweeps(t)
	srv := httptest.NewServer(NewHandler(s.reader))
	defer srv.Close()
	b := newBrowser(t, 1280, 1000)
	byID := map[string]gridTrial{}
	for _, tr := range s.grid {
		byID[tr.ID] = tr
	}

	// The list of sweeps leads to the sweep.
	b.open(srv.URL + "/sweeps")
	if n := eval[string](b, "sweep rows", `String(document.querySelectorAll("#sweeps-table tr[data-sweep]").length)`); n != "2" {
		t.Errorf("%s sweeps listed, want 2", n)
	}
	b.do("open the sweep", chromedp.Click(chromedp.CSS(`tr[data-sweep="`+gridSweep+`"] a`)))
	b.waitFor("sweep page drawn", `location.pathname === "/sweeps/`+gridSweep+`" && document.getElementById("sweep-plots") && document.getElementById("sweep-plots").dataset.drawn === "1"`,
		`location.href`)
	b.noCSPViolations("sweep page")

	// Where a vertex must be: each axis maps its values to [0, 1], from
	// the bottom (Y2) to the top (Y1): loss as its two sorted categories,
	// lr_d by its decade (2e-5, 2e-4, 2e-3 → 0, ½, 1), the metric linearly
	// between the runs' smallest and largest values.
	lossFrac := map[string]float64{"minimax": 0, "nonsaturating": 1}
	lrFrac := map[string]float64{"2e-5": 0, "2e-4": 0.5, "2e-3": 1}
	metricFrac := func(metric string) func(gridTrial) float64 {
		value := func(tr gridTrial) float64 {
			if metric == "fid" {
				return tr.FID
			}
			return tr.Coverage
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, tr := range s.grid {
			lo, hi = math.Min(lo, value(tr)), math.Max(hi, value(tr))
		}
		return func(tr gridTrial) float64 { return (value(tr) - lo) / (hi - lo) }
	}
	checkLines := func(metric string) []pcLine {
		t.Helper()
		axes, lines := readPcoords(b)
		var keys []string
		for _, a := range axes {
			keys = append(keys, a.Key)
		}
		if want := []string{"loss", "lr_d", metric}; !slices.Equal(keys, want) {
			t.Fatalf("axes %q, want %q", keys, want)
		}
		if len(lines) != len(s.grid) {
			t.Fatalf("%d lines drawn, want one per run, %d", len(lines), len(s.grid))
		}
		mf := metricFrac(metric)
		seen := map[string]bool{}
		for _, l := range lines {
			tr, ok := byID[l.Run]
			if !ok || seen[l.Run] {
				t.Fatalf("a line for run %q: unknown or twice", l.Run)
			}
			seen[l.Run] = true
			fracs := []float64{lossFrac[tr.Loss], lrFrac[tr.LRD], mf(tr)}
			if len(l.Points) != len(axes) {
				t.Errorf("trial %d: %d vertices, want %d", tr.Index, len(l.Points), len(axes))
				continue
			}
			for i, a := range axes {
				wantY := a.Y2 - fracs[i]*(a.Y2-a.Y1)
				if p := l.Points[i]; !near(p[0], a.X) || !near(p[1], wantY) {
					t.Errorf("trial %d, axis %s: vertex at (%.2f, %.2f), want (%.2f, %.2f)", tr.Index, a.Key, p[0], p[1], a.X, wantY)
				}
			}
		}
		return lines
	}
	lines := checkLines("fid")
	if a, c := lines[0].Stroke, lines[len(lines)-1].Stroke; a == c {
		t.Errorf("the lowest and highest fid drawn in the same colour %s", a)
	}

	// Another metric on the last axis.
	b.do("choose coverage", chromedp.SetValue(chromedp.ID("pc-metric"), "coverage"))
	eval[bool](b, "dispatch change", `document.getElementById("pc-metric").dispatchEvent(new Event("change")), true`)
	b.waitFor("redrawn for coverage", `document.querySelectorAll("#pcoords line.pc-axis")[2].dataset.key === "coverage"`,
		`Array.from(document.querySelectorAll("#pcoords line.pc-axis")).map(l => l.dataset.key).join(",")`)
	checkLines("coverage")

	// Hover, then click, the line of the run with the highest fid, a few
	// pixels from its end on the fid axis, where no other line passes
	// (the next fid is 2 of the 31 apart, about 20 px).
	b.do("back to fid", chromedp.SetValue(chromedp.ID("pc-metric"), "fid"))
	eval[bool](b, "dispatch change", `document.getElementById("pc-metric").dispatchEvent(new Event("change")), true`)
	b.waitFor("redrawn for fid", `document.querySelectorAll("#pcoords line.pc-axis")[2].dataset.key === "fid"`, `"no"`)
	axes, lines := readPcoords(b)
	top := slices.MaxFunc(s.grid, func(a, c gridTrial) int { return int(math.Copysign(1, a.FID-c.FID)) })
	i := slices.IndexFunc(lines, func(l pcLine) bool { return l.Run == top.ID })
	if i < 0 {
		t.Fatalf("no line for trial %d", top.Index)
	}
	end, prev := lines[i].Points[2], lines[i].Points[1]
	d := math.Hypot(prev[0]-end[0], prev[1]-end[1])
	x := axes[0].SVGX + end[0] + (prev[0]-end[0])*6/d
	y := axes[0].SVGY + end[1] + (prev[1]-end[1])*6/d
	b.do("hover the line", chromedp.MouseEvent(chromedp.MouseMoved, x-1, y), chromedp.MouseEvent(chromedp.MouseMoved, x, y))
	b.waitFor("hover readout", `!document.getElementById("plot-tip").hidden && document.getElementById("plot-tip").textContent.includes(`+jsString(top.ID)+`)`,
		`document.getElementById("plot-tip").textContent`)
	tip := eval[string](b, "readout", `document.getElementById("plot-tip").innerText`)
	for _, want := range []string{"loss: " + top.Loss, "lr_d: " + top.LRD, "fid: " + strconv.FormatFloat(top.FID, 'g', -1, 64)} {
		if !strings.Contains(tip, want) {
			t.Errorf("hover readout %q lacks %q", tip, want)
		}
	}
	b.do("click the line", chromedp.MouseClickXY(x, y))
	b.waitFor("run page of the line", `location.pathname === "/runs/`+top.ID+`" && document.readyState === "complete" && document.getElementById("run-sweep-link") !== null`, `location.href`)
	if name := eval[string](b, "run name", `document.getElementById("run-name").textContent`); name != fmt.Sprintf("sweep-%s-trial-%03d", gridSweep, top.Index) {
		t.Errorf("the line opened run %q", name)
	}

	// Back to the sweep from the run page; the scatter of lr_d against fid.
	b.do("the run's sweep link", chromedp.Click(chromedp.ID("run-sweep-link")))
	b.waitFor("sweep page again", `location.pathname === "/sweeps/`+gridSweep+`" && document.getElementById("sweep-plots").dataset.drawn === "1"`, `location.href`)
	b.do("scatter lr_d", chromedp.SetValue(chromedp.ID("sc-param"), "lr_d"))
	eval[bool](b, "dispatch change", `document.getElementById("sc-param").dispatchEvent(new Event("change")), true`)
	var sc struct {
		Left, Right, Top, Bottom, SVGX, SVGY float64
		Points                               []struct {
			Run    string
			CX, CY float64
		}
	}
	// The ends of the data's ranges: the extreme ticks of each axis (the
	// smallest and largest lr_d, the smallest and largest final fid).
	js := `(() => { const svg = document.getElementById("scatter"); svg.scrollIntoView({block: "center"}); const r = svg.getBoundingClientRect();
		const xs = Array.from(svg.querySelectorAll("line.x-tick")).map(l => +l.getAttribute("x1"));
		const ys = Array.from(svg.querySelectorAll("line.y-tick")).map(l => +l.getAttribute("y1"));
		return JSON.stringify({Left: Math.min(...xs), Right: Math.max(...xs), Top: Math.min(...ys), Bottom: Math.max(...ys),
			SVGX: r.left, SVGY: r.top, Points: Array.from(svg.querySelectorAll("a.sc-run")).map(a => ({Run: a.dataset.run,
			CX: +a.querySelector("circle").getAttribute("cx"), CY: +a.querySelector("circle").getAttribute("cy")}))}); })()`
	b.waitFor("scatter of lr_d", `document.querySelector("#scatter .pc-label").textContent.startsWith("lr_d")`, `document.querySelector("#scatter .pc-label").textContent`)
	if err := json.Unmarshal([]byte(eval[string](b, "the scatter", js)), &sc); err != nil {
		t.Fatal(err)
	}
	if sc.Right-sc.Left < 500 || sc.Bottom-sc.Top < 200 {
		t.Fatalf("scatter ranges x %v..%v, y %v..%v: too small", sc.Left, sc.Right, sc.Top, sc.Bottom)
	}
	if len(sc.Points) != len(s.grid) {
		t.Fatalf("%d scatter points, want %d", len(sc.Points), len(s.grid))
	}
	mf := metricFrac("fid")
	for _, p := range sc.Points {
		tr := byID[p.Run]
		wantX := sc.Left + lrFrac[tr.LRD]*(sc.Right-sc.Left)
		wantY := sc.Bottom - mf(tr)*(sc.Bottom-sc.Top)
		if !near(p.CX, wantX) || !near(p.CY, wantY) {
			t.Errorf("trial %d: point at (%.2f, %.2f), want (%.2f, %.2f)", tr.Index, p.CX, p.CY, wantX, wantY)
		}
	}
	// Click the point of the lowest fid.
	low := slices.MinFunc(s.grid, func(a, c gridTrial) int { return int(math.Copysign(1, a.FID-c.FID)) })
	j := slices.IndexFunc(sc.Points, func(p struct {
		Run    string
		CX, CY float64
	}) bool {
		return p.Run == low.ID
	})
	px, py := sc.SVGX+sc.Points[j].CX, sc.SVGY+sc.Points[j].CY
	b.do("hover the point", chromedp.MouseEvent(chromedp.MouseMoved, px-1, py), chromedp.MouseEvent(chromedp.MouseMoved, px, py))
	b.waitFor("hover readout of the point", `!document.getElementById("plot-tip").hidden && document.getElementById("plot-tip").textContent.includes(`+jsString(low.ID)+`)`,
		`document.getElementById("plot-tip").textContent`)
	b.screenshot("ui-sweep.png")
	b.do("click the point", chromedp.MouseClickXY(px, py))
	b.waitFor("run page of the point", `location.pathname === "/runs/`+low.ID+`"`, `location.href`)
}
