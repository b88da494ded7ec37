package web

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

type compareData struct {
	Title      string
	PollMS     int64
	Runs       []compareRun
	Params     []paramRow
	DiffCount  int
	OnlyDiff   bool
	AllURL     string
	DiffURL    string
	Metrics    []compareMetric
	Images     []compareImages
	QueryRuns  []string
	StepParam  string
	ChosenStep string
}

type compareRun struct {
	ID, ShortID, Name, Status string
	Color                     int
}

type paramRow struct {
	Key     string
	Values  []paramCell
	Differs bool
}

type paramCell struct {
	Value string
	Set   bool
}

type compareMetric struct {
	Key       string
	Cells     []compareMetricCell
	SeriesURL string
}

type compareMetricCell struct {
	RunID     string
	Last, Min string
	Count     int64
}

type compareImages struct {
	Key       string
	Steps     []int64 // every step any run has
	StepsJSON string
	Index     int
	Step      int64
	Cells     []compareImageCell
}

type compareImageCell struct {
	Run       compareRun
	StepsJSON string
	BaseURL   string
	URL       string // empty: no image at or before the step
	Step      int64
}

// compareRunIDs reads the run ids of a compare request: repeated run=ID
// parameters (the runs page's checkboxes), or ids separated by commas.
func compareRunIDs(q url.Values) []string {
	var ids []string
	seen := map[string]bool{}
	for _, v := range q["run"] {
		for _, id := range strings.Split(v, ",") {
			id = strings.TrimSpace(id)
			if id != "" && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	return ids
}

func (h *Handler) comparePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	ids := compareRunIDs(q)
	if len(ids) < minCompare || len(ids) > maxCompare {
		h.errorPage(w, r, http.StatusBadRequest, fmt.Sprintf("Pick from %d to %d runs to compare; got %d.", minCompare, maxCompare, len(ids)))
		return
	}
	c, err := h.store.Compare(ctx, ids...)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	// Prefixes may name the same run twice.
	fullIDs := map[string]bool{}
	for _, run := range c.Runs {
		fullIDs[run.ID] = true
	}
	if len(fullIDs) < len(c.Runs) {
		h.errorPage(w, r, http.StatusBadRequest, "The same run is named twice.")
		return
	}
	data := compareData{Title: "Compare " + strconv.Itoa(len(c.Runs)) + " runs", PollMS: h.cfg.poll.Milliseconds(), OnlyDiff: q.Get("diff") == "1"}
	base := url.Values{}
	for _, run := range c.Runs {
		base.Add("run", run.ID)
		data.QueryRuns = append(data.QueryRuns, run.ID)
	}
	for i, run := range c.Runs {
		data.Runs = append(data.Runs, compareRun{ID: run.ID, ShortID: run.ID[:min(8, len(run.ID))], Name: run.Name, Status: string(run.Status), Color: i % paletteSize})
	}
	for _, pc := range c.Params {
		if pc.Differs {
			data.DiffCount++
		}
		if data.OnlyDiff && !pc.Differs {
			continue
		}
		row := paramRow{Key: pc.Key, Differs: pc.Differs}
		for _, v := range pc.Values {
			row.Values = append(row.Values, paramCell{Value: v.Value, Set: v.Set})
		}
		data.Params = append(data.Params, row)
	}
	withDiff := func(on bool) string {
		v := maps.Clone(base)
		if on {
			v.Set("diff", "1")
		}
		if s := q.Get("step"); s != "" {
			v.Set("step", s)
		}
		return "/compare?" + v.Encode()
	}
	data.AllURL, data.DiffURL = withDiff(false), withDiff(true)

	for _, k := range h.metricKeys(c.Runs...) {
		cm := compareMetric{Key: k}
		var version int64
		for _, run := range c.Runs {
			m, ok := run.Metrics[k]
			if !ok || m.Count == 0 {
				cm.Cells = append(cm.Cells, compareMetricCell{RunID: run.ID})
				continue
			}
			version += m.Count
			cm.Cells = append(cm.Cells, compareMetricCell{RunID: run.ID, Last: formatFloat(m.Last), Min: formatFloat(m.Min), Count: m.Count})
		}
		v := maps.Clone(base)
		v.Set("key", k)
		v.Set("v", strconv.FormatInt(version, 10))
		cm.SeriesURL = seriesPath + "?" + v.Encode()
		data.Metrics = append(data.Metrics, cm)
	}

	// Sample grids: one slider per image key over every step of any run;
	// each run shows its latest image at or before the chosen step.
	perRun := make([]map[string][]int64, len(c.Runs))
	keySet := map[string]bool{}
	for i, run := range c.Runs {
		images, err := h.store.Images(ctx, run.ID)
		if err != nil {
			h.storeError(w, r, err)
			return
		}
		perRun[i] = map[string][]int64{}
		for _, g := range groupImages(images) {
			perRun[i][g.key] = g.steps
			keySet[g.key] = true
		}
	}
	wantStep, hasStep := parseStep(q.Get("step"))
	for _, key := range slices.Sorted(maps.Keys(keySet)) {
		var all []int64
		for i := range c.Runs {
			all = append(all, perRun[i][key]...)
		}
		slices.Sort(all)
		all = slices.Compact(all)
		ci := compareImages{Key: key, Steps: all, StepsJSON: mustJSON(all), Index: len(all) - 1}
		if hasStep {
			ci.Index = stepIndexAtOrBefore(all, wantStep)
		}
		ci.Step = all[ci.Index]
		for i, run := range c.Runs {
			steps := perRun[i][key]
			cell := compareImageCell{
				Run:       data.Runs[i],
				StepsJSON: mustJSON(steps),
				BaseURL:   "/runs/" + url.PathEscape(run.ID) + "/image?" + url.Values{"key": {key}}.Encode() + "&step=",
			}
			if steps == nil {
				cell.StepsJSON = "[]"
			}
			if j := stepIndexAtOrBefore(steps, ci.Step); len(steps) > 0 && steps[j] <= ci.Step {
				cell.Step = steps[j]
				cell.URL = cell.BaseURL + strconv.FormatInt(steps[j], 10)
			}
			ci.Cells = append(ci.Cells, cell)
		}
		data.Images = append(data.Images, ci)
	}
	h.render(w, r, http.StatusOK, "compare", data)
}

// unescapeJSONHTML undoes encoding/json's escaping of <, > and & inside
// strings (\u003c, \u003e, \u0026), so that the page shows the text as
// logged; html/template escapes it for the page.
func unescapeJSONHTML(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			if s[i+1] == 'u' && i+6 <= len(s) {
				switch s[i : i+6] {
				case `\u003c`:
					b.WriteByte('<')
					i += 5
					continue
				case `\u003e`:
					b.WriteByte('>')
					i += 5
					continue
				case `\u0026`:
					b.WriteByte('&')
					i += 5
					continue
				}
			}
			// Any other escape: copy it whole, so that "\\u003c" stays.
			b.WriteString(s[i : i+2])
			i++
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
