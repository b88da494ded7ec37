package web

import (
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ganbook/ganbook/tracker"
)

func TestSweepPages(t *testing.T) {
	s := seedSweeps(t)
	h := NewHandler(s.reader)
	var gridIDs []string
	for _, tr := range s.grid {
		gridIDs = append(gridIDs, tr.ID)
	}
	quotedURL := "/sweeps/" + url.PathEscape(quotedSweep)
	tests := []struct {
		name     string
		target   string
		code     int
		contains []string
		excludes []string
		rows     []string // the trials table's run ids, in order
	}{
		{name: "list", target: "/sweeps", code: 200,
			contains: []string{`href="/sweeps/` + gridSweep + `"`, html.EscapeString(quotedSweep), "lr_d", "loss"},
			excludes: []string{s.ids["lone"]}},
		{name: "unknown sweep", target: "/sweeps/nosuchsweep", code: 404, contains: []string{"404 Not Found", "nosuchsweep"}},
		{name: "a prefix is not a sweep", target: "/sweeps/" + gridSweep[:4], code: 404},
		{name: "grid sweep", target: "/sweeps/" + gridSweep, code: 200,
			contains: []string{"Seed groups", "Parallel coordinates", `id="pcoords"`, "/static/sweep.js", `<dd id="sweep-trials">12</dd>`},
			rows:     gridIDs},
		{name: "quoted sweep", target: quotedURL, code: 200,
			contains: []string{html.EscapeString(quotedSweep), "KILLED", "RUNNING", `<dd id="sweep-trials">2</dd>`},
			excludes: []string{`id="groups"`}, // one setting: no groups to compare
			rows:     []string{s.ids["q0-killed"], s.ids["q0-resumed"], s.ids["q1-running"]}},
		{name: "run page links its sweep", target: "/runs/" + s.grid[3].ID, code: 200,
			contains: []string{`id="run-sweep-link" href="/sweeps/` + gridSweep + `"`, "trial 3"}},
		{name: "run outside a sweep", target: "/runs/" + s.ids["lone"], code: 200, excludes: []string{"run-sweep-link"}},
		{name: "runs list links sweeps", target: "/", code: 200, contains: []string{`<a class="tag" href="/sweeps/` + gridSweep + `">`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := do(t, h, "GET", tc.target)
			if res.code != tc.code {
				t.Fatalf("GET %s: %d, want %d", tc.target, res.code, tc.code)
			}
			for _, c := range tc.contains {
				if !strings.Contains(res.body, c) {
					t.Errorf("GET %s: no %q in the page", tc.target, c)
				}
			}
			for _, c := range tc.excludes {
				if strings.Contains(res.body, c) {
					t.Errorf("GET %s: %q in the page", tc.target, c)
				}
			}
			if tc.rows != nil {
				if got := rowIDs(res.body); !slices.Equal(got, tc.rows) {
					t.Errorf("GET %s: table rows %v, want %v", tc.target, got, tc.rows)
				}
			}
		})
	}
}

// TestSweepsList checks each sweep's counts: the grid's 12 trials all
// finished; the quoted sweep's 2 trials, one finished after a KILLED run
// and one running, over 3 runs.
func TestSweepsList(t *testing.T) {
	s := seedSweeps(t)
	body := do(t, NewHandler(s.reader), "GET", "/sweeps").body
	cell := func(sweep, class string) string {
		t.Helper()
		row := regexp.MustCompile(`(?s)<tr data-sweep="` + regexp.QuoteMeta(html.EscapeString(sweep)) + `">(.*?)</tr>`).FindStringSubmatch(body)
		if row == nil {
			t.Fatalf("no row for sweep %q", sweep)
		}
		m := regexp.MustCompile(`class="[^"]*` + class + `">([^<]*)<`).FindStringSubmatch(row[1])
		if m == nil {
			t.Fatalf("sweep %q: no %s cell", sweep, class)
		}
		return m[1]
	}
	tests := []struct {
		sweep, class, want string
	}{
		{gridSweep, "s-trials", "12"}, {gridSweep, "s-finished", "12"}, {gridSweep, "s-running", "0"}, {gridSweep, "s-failed", "0"}, {gridSweep, "s-runs", "12"},
		{gridSweep, "s-params", "loss, lr_d, seed"},
		{quotedSweep, "s-trials", "2"}, {quotedSweep, "s-finished", "1"}, {quotedSweep, "s-running", "1"}, {quotedSweep, "s-failed", "0"}, {quotedSweep, "s-runs", "3"},
		{quotedSweep, "s-params", "lr_g"},
	}
	for _, tc := range tests {
		if got := cell(tc.sweep, tc.class); got != tc.want {
			t.Errorf("sweep %q %s = %q, want %q", tc.sweep, tc.class, got, tc.want)
		}
	}
	// The most recent sweep first.
	if i, j := strings.Index(body, `data-sweep="`+gridSweep), strings.Index(body, `data-sweep="`+html.EscapeString(quotedSweep)); i < 0 || j < 0 || j > i {
		t.Errorf("sweeps not listed most recent first (grid at %d, quoted at %d)", i, j)
	}
}

// TestSweepTable checks the grid sweep's table: the varying params (the
// seed included; batch_size and model fixed, left out) and each trial's
// final values.
func TestSweepTable(t *testing.T) {
	s := seedSweeps(t)
	body := do(t, NewHandler(s.reader), "GET", "/sweeps/"+gridSweep).body
	head := regexp.MustCompile(`(?s)<table class="runs" id="trials-table">.*?</thead>`).FindString(body)
	var cols []string
	for _, m := range regexp.MustCompile(`<th[^>]*>(.*?)</th>`).FindAllStringSubmatch(head, -1) {
		cols = append(cols, stripTags(m[1]))
	}
	wantCols := []string{"", "parameters", "final metrics", "trial", "Status", "Run", "loss", "lr_d", "seed", "fid", "coverage", "d_loss", "g_loss"}
	if !slices.Equal(cols, wantCols) {
		t.Errorf("trials table columns %q, want %q", cols, wantCols)
	}
	for _, tr := range s.grid {
		row := regexp.MustCompile(`(?s)<tr data-run="` + tr.ID + `" data-trial="(\d+)">(.*?)</tr>`).FindStringSubmatch(body)
		if row == nil {
			t.Errorf("trial %d: no row", tr.Index)
			continue
		}
		var cells []string
		for _, m := range regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`).FindAllStringSubmatch(row[2], -1) {
			cells = append(cells, strings.TrimSpace(stripTags(m[1])))
		}
		want := []string{itoa(tr.Index), "FINISHED", "sweep-" + gridSweep + "-trial-" + fmt.Sprintf("%03d", tr.Index) + tr.ID[:8], tr.Loss, tr.LRD, tr.Seed,
			tracker.FormatMetric(tr.FID), tracker.FormatMetric(tr.Coverage), tracker.FormatMetric(tr.DLoss), tracker.FormatMetric(2 * tr.DLoss)}
		if row[1] != itoa(tr.Index) || !slices.Equal(cells, want) {
			t.Errorf("trial %d (data-trial %s): cells %q, want %q", tr.Index, row[1], cells, want)
		}
	}
}

// plotData reads the JSON the sweep page hands sweep.js.
func plotData(t *testing.T, body string) sweepPlotJSON {
	t.Helper()
	m := regexp.MustCompile(`data-plot="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no data-plot attribute")
	}
	var p sweepPlotJSON
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &p); err != nil {
		t.Fatalf("data-plot: %v", err)
	}
	return p
}

// TestSweepPlotData checks the axes the plots get: the params that vary
// (the seed only in the scatter's choices), lr_d on a log scale (2e-5 to
// 2e-3, two decades), loss as sorted categories; fid chosen first.
func TestSweepPlotData(t *testing.T) {
	s := seedSweeps(t)
	p := plotData(t, do(t, NewHandler(s.reader), "GET", "/sweeps/"+gridSweep).body)
	lossAxis := plotAxisJSON{Key: "loss", Max: 1, Categories: []string{"minimax", "nonsaturating"}}
	lrAxis := plotAxisJSON{Key: "lr_d", Numeric: true, Log: true, Min: 2e-5, Max: 2e-3, Values: []float64{2e-5, 2e-4, 2e-3}}
	seedAxis := plotAxisJSON{Key: "seed", Numeric: true, Min: 1, Max: 2, Values: []float64{1, 2}}
	axesJSON := func(a []plotAxisJSON) string { b, _ := json.Marshal(a); return string(b) }
	if got, want := axesJSON(p.Axes), axesJSON([]plotAxisJSON{lossAxis, lrAxis}); got != want {
		t.Errorf("axes %s, want %s", got, want)
	}
	if got, want := axesJSON(p.Params), axesJSON([]plotAxisJSON{lossAxis, lrAxis, seedAxis}); got != want {
		t.Errorf("scatter params %s, want %s", got, want)
	}
	if p.Metric != "fid" || !slices.Equal(p.Metrics, []string{"fid", "coverage", "d_loss", "g_loss"}) {
		t.Errorf("metric %q of %v, want fid of [fid coverage d_loss g_loss]", p.Metric, p.Metrics)
	}
	if len(p.Runs) != len(s.grid) {
		t.Fatalf("%d runs to plot, want %d", len(p.Runs), len(s.grid))
	}
	for i, tr := range s.grid {
		r := p.Runs[i]
		if r.ID != tr.ID || r.URL != "/runs/"+tr.ID || r.Trial != itoa(tr.Index) || r.Params["lr_d"] != tr.LRD || r.Params["loss"] != tr.Loss ||
			r.Metrics["fid"] == nil || *r.Metrics["fid"] != tr.FID || r.Metrics["coverage"] == nil || *r.Metrics["coverage"] != tr.Coverage {
			t.Errorf("run %d: %+v, want trial %+v", i, r, tr)
		}
	}
}

func TestNewPlotAxis(t *testing.T) {
	tests := []struct {
		name    string
		values  []string // one run each; "-" for a run without the param
		numeric bool
		log     bool
		cats    []string
	}{
		{"two decades", []string{"2e-3", "2e-5", "2e-4"}, true, true, nil},
		{"under a decade", []string{"0.5", "0.9"}, true, false, nil},
		{"exactly a decade", []string{"1", "10"}, true, false, nil},
		{"just over a decade", []string{"1", "10.5"}, true, true, nil},
		{"through zero", []string{"-1", "100"}, true, false, nil},
		{"from zero", []string{"0", "100"}, true, false, nil},
		{"words", []string{"nonsaturating", "minimax", "minimax"}, false, false, []string{"minimax", "nonsaturating"}},
		{"a run without it", []string{"1", "-"}, false, false, []string{"", "1"}},
		{"NaN is no number", []string{"1", "NaN"}, false, false, []string{"1", "NaN"}},
	}
	for _, tc := range tests {
		var runs []tracker.RunInfo
		for _, v := range tc.values {
			r := tracker.RunInfo{Params: map[string]string{}}
			if v != "-" {
				r.Params["p"] = v
			}
			runs = append(runs, r)
		}
		a := newPlotAxis(runs, "p")
		if a.Numeric != tc.numeric || a.Log != tc.log || !slices.Equal(a.Categories, tc.cats) {
			t.Errorf("%s: numeric %v log %v categories %q, want %v %v %q", tc.name, a.Numeric, a.Log, a.Categories, tc.numeric, tc.log, tc.cats)
		}
	}
}

// TestSweepGroups checks the seed groups against values computed by hand:
// each setting's two seeds have FIDs a and a+2, so the mean is a+1, the
// sample standard deviation √2 and the 95 % half-width
// t(0.975, 1)·√2/√2 = 12.706 (t(0.975, 1) = tan(0.45π) = 12.7062).
// Two groups overlap when their means are at most 2·12.706 apart.
func TestSweepGroups(t *testing.T) {
	s := seedSweeps(t)
	body := do(t, NewHandler(s.reader), "GET", "/sweeps/"+gridSweep).body
	const half = 12.706204736174705
	type group struct {
		label string
		mean  float64
	}
	var groups []group
	for li, lrd := range gridLRD {
		for lossi, loss := range gridLoss {
			groups = append(groups, group{"loss=" + loss + " lr_d=" + lrd, gridFID(li, lossi, 0) + 1})
		}
	}
	rows := regexp.MustCompile(`(?s)<tr data-group="([^"]*)"><td>(G\d+)</td>(.*?)</tr>`).FindAllStringSubmatch(body, -1)
	if len(rows) != len(groups) {
		t.Fatalf("%d group rows, want %d", len(rows), len(groups))
	}
	name := map[string]string{} // label → G1…
	cells := map[string][]string{}
	for _, r := range rows {
		name[r[1]] = r[2]
		for _, m := range regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`).FindAllStringSubmatch(r[3], -1) {
			cells[r[1]] = append(cells[r[1]], m[1])
		}
	}
	for _, g := range groups {
		c := cells[g.label]
		if len(c) < 3 {
			t.Errorf("group %s: cells %q", g.label, c)
			continue
		}
		if want := tracker.FormatMetric(g.mean) + " ± 12.706"; c[1] != "2" || !strings.HasPrefix(c[2], want) {
			t.Errorf("group %s: n %s, fid %q, want n 2 and %q", g.label, c[1], c[2], want)
		}
		var overlaps []string
		for _, o := range groups {
			if o != g && o.mean-g.mean <= 2*half && g.mean-o.mean <= 2*half {
				overlaps = append(overlaps, name[o.label])
			}
		}
		slices.SortFunc(overlaps, func(a, b string) int { return strings.Compare(a[1:], b[1:]) })
		got := regexp.MustCompile(`≈ ([G\d ]+)<`).FindStringSubmatch(c[2])
		switch {
		case len(overlaps) == 0 && got != nil:
			t.Errorf("group %s: overlaps %q, want none", g.label, got[1])
		case len(overlaps) > 0 && (got == nil || got[1] != strings.Join(overlaps, " ")):
			t.Errorf("group %s: overlap note %q, want ≈ %s", g.label, got, strings.Join(overlaps, " "))
		}
	}
}
