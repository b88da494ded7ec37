package web

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ganbook/ganbook/tracker"
)

// Limits of the pages.
const (
	maxParamColumns  = 6
	maxMetricColumns = 8
	minCompare       = 2
	maxCompare       = 10
)

// metricKeys returns the run's metric keys, the configured ones first.
func (h *Handler) metricKeys(runs ...tracker.RunInfo) []string {
	set := map[string]bool{}
	for _, r := range runs {
		for k := range r.Metrics {
			set[k] = true
		}
	}
	return h.orderKeys(set)
}

func (h *Handler) orderKeys(set map[string]bool) []string {
	var out []string
	for _, k := range h.cfg.metricOrder {
		if set[k] {
			out = append(out, k)
			delete(set, k)
		}
	}
	return append(out, slices.Sorted(maps.Keys(set))...)
}

// ---- Runs page ----

type runsData struct {
	Title       string
	Filter      string
	Order       string
	Error       *filterErrorView
	Columns     []columnView
	Rows        []runRow
	ParamKeys   []string
	MetricKeys  []string
	Placeholder string
}

type filterErrorView struct {
	Input   string // "filter" or "order"
	Message string
	Line    int
	Column  int
	Caret   string
}

type columnView struct {
	Label  string
	Title  string
	URL    string // empty: not sortable
	Active bool
	Desc   bool
	Num    bool
}

type runRow struct {
	ID, ShortID, Name, Experiment, Status, Error string
	Start, StartISO, Duration                    string
	Params                                       []string
	Metrics                                      []metricCell
	Tags                                         []kv
}

type metricCell struct {
	Value string
	Title string
}

type kv struct{ Key, Value string }

func (h *Handler) runsPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	data := runsData{
		Title:       "Runs",
		Filter:      q.Get("filter"),
		Order:       strings.TrimSpace(q.Get("order")),
		Placeholder: "e.g. params.lr_d = 0.0002 and metrics.d_loss < 0.7 and status = 'FINISHED'",
	}
	field, desc := splitOrder(data.Order)
	query := tracker.RunQuery{Filter: data.Filter, OrderBy: data.Order}
	if field == "duration" {
		query.OrderBy = ""
	}
	runs, err := h.store.Runs(r.Context(), query)
	status := http.StatusOK
	var ferr *tracker.FilterError
	switch {
	case errors.As(err, &ferr):
		input := "filter"
		if ferr.Text != data.Filter {
			input = "order"
		}
		data.Error = &filterErrorView{Input: input, Message: ferr.Msg, Line: ferr.Pos.Line, Column: ferr.Pos.Column, Caret: ferr.Caret()}
		status = http.StatusBadRequest
		runs = nil
	case err != nil:
		h.storeError(w, r, err)
		return
	}
	if field == "duration" {
		slices.SortStableFunc(runs, func(a, b tracker.RunInfo) int {
			c := cmp.Compare(a.Duration(), b.Duration())
			if desc {
				return -c
			}
			return c
		})
	}

	data.ParamKeys = h.keyParams(runs)
	data.MetricKeys = h.metricKeys(runs...)
	if len(data.MetricKeys) > maxMetricColumns {
		data.MetricKeys = data.MetricKeys[:maxMetricColumns]
	}
	col := func(label, title, field string, num, descFirst bool) columnView {
		c := columnView{Label: label, Title: title, Num: num}
		if field == "" {
			return c
		}
		cur, curDesc := splitOrder(data.Order)
		if cur == "" {
			cur, curDesc = "start_time", true
		}
		next := descFirst
		if cur == field {
			c.Active, c.Desc = true, curDesc
			next = !curDesc
		}
		order := field
		if next {
			order += " desc"
		}
		v := url.Values{"order": {order}}
		if data.Filter != "" {
			v.Set("filter", data.Filter)
		}
		c.URL = "/?" + v.Encode()
		return c
	}
	data.Columns = []columnView{
		col("Status", "", "status", false, false),
		col("Name", "", "name", false, false),
		col("Started", "", "start_time", false, true),
		col("Duration", "", "duration", true, true),
	}
	for _, k := range data.ParamKeys {
		f, _ := fieldName("params", k)
		data.Columns = append(data.Columns, col(k, "parameter "+k, f, false, false))
	}
	for _, k := range data.MetricKeys {
		f, _ := fieldName("metrics", k)
		data.Columns = append(data.Columns, col(k, "latest value of metric "+k, f, true, false))
	}
	for _, run := range runs {
		row := runRow{
			ID: run.ID, ShortID: run.ID[:min(8, len(run.ID))], Name: run.Name, Experiment: run.Experiment,
			Status: string(run.Status), Error: run.Error,
			Start: formatTime(run.StartTime), StartISO: run.StartTime.Format(time.RFC3339),
			Duration: formatDuration(run.Duration()),
		}
		for _, k := range data.ParamKeys {
			row.Params = append(row.Params, run.Params[k])
		}
		for _, k := range data.MetricKeys {
			m, ok := run.Metrics[k]
			if !ok || m.Count == 0 {
				row.Metrics = append(row.Metrics, metricCell{})
				continue
			}
			row.Metrics = append(row.Metrics, metricCell{
				Value: formatFloat(m.Last),
				Title: fmt.Sprintf("step %d; min %s at step %d; %d points", m.LastStep, formatFloat(m.Min), m.MinStep, m.Count),
			})
		}
		for _, k := range slices.Sorted(maps.Keys(run.Tags)) {
			row.Tags = append(row.Tags, kv{k, run.Tags[k]})
		}
		data.Rows = append(data.Rows, row)
	}
	h.render(w, r, status, "runs", data)
}

// splitOrder splits "field [asc|desc]" (the first term of an ordering).
func splitOrder(order string) (field string, desc bool) {
	first, _, _ := strings.Cut(order, ",")
	parts := strings.Fields(first)
	if len(parts) == 0 {
		return "", false
	}
	last := strings.ToLower(parts[len(parts)-1])
	if len(parts) > 1 && (last == "asc" || last == "desc") {
		return strings.Join(parts[:len(parts)-1], " "), last == "desc"
	}
	return strings.Join(parts, " "), false
}

// keyParams picks the parameter columns of the runs table: the configured
// ones, or those whose values differ among the runs.
func (h *Handler) keyParams(runs []tracker.RunInfo) []string {
	if h.cfg.keyParams != nil {
		return h.cfg.keyParams
	}
	if len(runs) < 2 {
		return nil
	}
	var keys []string
	for _, pc := range tracker.Compare(runs).DifferingParams() {
		if _, ok := fieldName("params", pc.Key); ok {
			keys = append(keys, pc.Key)
		}
	}
	if len(keys) > maxParamColumns {
		keys = keys[:maxParamColumns]
	}
	return keys
}

// ---- Run page ----

type runData struct {
	Title   string
	Run     runView
	Params  []kv
	Tags    []kv
	Metrics []metricView
	Images  []imagesView
	Record  *recordView
	Live    *liveView
}

type runView struct {
	ID, Name, Experiment, Status, Error string
	Start, End, Duration, Heartbeat     string
	ParentID, ReproducedFrom            string
}

type metricView struct {
	Key, Last, Min       string
	LastStep, MinStep    int64
	Count                int64
	ChartURL, ChartTitle string
}

type imagesView struct {
	Key       string
	Steps     []int64
	StepsJSON string
	Index     int // of the step shown
	Step      int64
	URL       string // of the image shown
	BaseURL   string // the URL without the step's value
}

type liveView struct {
	URL    string
	PollMS int64
}

type recordView struct {
	Rows        []kv
	Config      string
	Datasets    []tracker.FileHash
	CommandLine string
	Modules     []kv
}

// runWithImages loads the run named by the request's {id} and its image
// series; on failure it has answered the request (404, 500) and returns false.
func (h *Handler) runWithImages(w http.ResponseWriter, r *http.Request) (tracker.RunInfo, []tracker.ImageInfo, bool) {
	run, err := h.store.Run(r.Context(), r.PathValue("id"))
	if err != nil {
		h.storeError(w, r, err)
		return tracker.RunInfo{}, nil, false
	}
	images, err := h.store.Images(r.Context(), run.ID)
	if err != nil {
		h.storeError(w, r, err)
		return tracker.RunInfo{}, nil, false
	}
	return run, images, true
}

func (h *Handler) runPage(w http.ResponseWriter, r *http.Request) {
	run, images, ok := h.runWithImages(w, r)
	if !ok {
		return
	}
	data := runData{
		Title: run.Name,
		Run: runView{
			ID: run.ID, Name: run.Name, Experiment: run.Experiment, Status: string(run.Status), Error: run.Error,
			Start: formatTime(run.StartTime), End: formatTime(run.EndTime), Duration: formatDuration(run.Duration()),
			Heartbeat: formatTime(run.Heartbeat), ParentID: run.ParentID, ReproducedFrom: run.ReproducedFrom,
		},
		Record: newRecordView(run.Record),
	}
	for _, k := range slices.Sorted(maps.Keys(run.Params)) {
		data.Params = append(data.Params, kv{k, run.Params[k]})
	}
	for _, k := range slices.Sorted(maps.Keys(run.Tags)) {
		data.Tags = append(data.Tags, kv{k, run.Tags[k]})
	}
	for _, k := range h.metricKeys(run) {
		data.Metrics = append(data.Metrics, h.newMetricView(run, k))
	}
	wantStep, hasStep := parseStep(r.URL.Query().Get("step"))
	for _, g := range groupImages(images) {
		base := "/runs/" + url.PathEscape(run.ID) + "/image?" + url.Values{"key": {g.key}}.Encode() + "&step="
		idx := len(g.steps) - 1
		if hasStep {
			idx = stepIndexAtOrBefore(g.steps, wantStep)
		}
		data.Images = append(data.Images, imagesView{
			Key: g.key, Steps: g.steps, StepsJSON: mustJSON(g.steps), Index: idx, Step: g.steps[idx],
			URL: base + strconv.FormatInt(g.steps[idx], 10), BaseURL: base,
		})
	}
	if run.Status == tracker.StatusRunning {
		data.Live = &liveView{URL: "/runs/" + url.PathEscape(run.ID) + "/live.json", PollMS: h.cfg.poll.Milliseconds()}
	}
	h.render(w, r, http.StatusOK, "run", data)
}

func (h *Handler) newMetricView(run tracker.RunInfo, key string) metricView {
	m := run.Metrics[key]
	v := url.Values{"key": {key}, "v": {strconv.FormatInt(m.Count, 10)}}
	return metricView{
		Key: key, Last: formatFloat(m.Last), Min: formatFloat(m.Min), LastStep: m.LastStep, MinStep: m.MinStep, Count: m.Count,
		ChartURL:   "/runs/" + url.PathEscape(run.ID) + "/chart.svg?" + v.Encode(),
		ChartTitle: fmt.Sprintf("%s of run %s over steps", key, run.Name),
	}
}

type imageGroup struct {
	key   string
	steps []int64
}

// groupImages groups image infos (ordered by key, then step) by key.
func groupImages(images []tracker.ImageInfo) []imageGroup {
	var out []imageGroup
	for _, img := range images {
		if len(out) == 0 || out[len(out)-1].key != img.Key {
			out = append(out, imageGroup{key: img.Key})
		}
		g := &out[len(out)-1]
		g.steps = append(g.steps, img.Step)
	}
	return out
}

// stepIndexAtOrBefore returns the index of the last step <= want in the
// ascending steps, or 0 when every step is later.
func stepIndexAtOrBefore(steps []int64, want int64) int {
	i, found := slices.BinarySearch(steps, want)
	if found {
		return i
	}
	return max(i-1, 0)
}

func parseStep(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only called with plain data
	}
	return string(b)
}

func newRecordView(rec *tracker.ReproRecord) *recordView {
	if rec == nil {
		return nil
	}
	v := &recordView{Datasets: rec.Datasets, CommandLine: strings.Join(rec.CommandLine, " ")}
	add := func(k, val string) {
		if val != "" {
			v.Rows = append(v.Rows, kv{k, val})
		}
	}
	commit := rec.GitCommit
	if commit != "" && rec.GitDirty {
		commit += " (dirty; diff sha256 " + rec.GitDiffSHA256 + ")"
	}
	add("git commit", commit)
	add("program", strings.TrimSpace(rec.MainModule+" "+rec.MainVersion))
	add("Go", rec.GoVersion)
	add("backend", rec.Backend)
	add("OS/arch", strings.Trim(rec.OS+"/"+rec.Arch, "/"))
	add("CPU", rec.CPU)
	if rec.NumCPU > 0 {
		add("CPUs", strconv.Itoa(rec.NumCPU))
	}
	add("seed", strconv.FormatInt(rec.Seed, 10))
	if len(rec.Config) > 0 {
		// Indent without json's HTML escaping: the template escapes.
		var b bytes.Buffer
		if json.Indent(&b, rec.Config, "", "  ") == nil {
			v.Config = unescapeJSONHTML(b.String())
		} else {
			v.Config = string(rec.Config)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(rec.Modules)) {
		v.Modules = append(v.Modules, kv{k, rec.Modules[k]})
	}
	return v
}

// ---- Live updates ----

type liveJSON struct {
	Status   string           `json:"status"`
	Duration string           `json:"duration"`
	Metrics  []liveMetricJSON `json:"metrics"`
	Images   []liveImagesJSON `json:"images"`
}

type liveMetricJSON struct {
	Key      string `json:"key"`
	Count    int64  `json:"count"`
	Last     string `json:"last"`
	LastStep int64  `json:"last_step"`
	Min      string `json:"min"`
	MinStep  int64  `json:"min_step"`
	ChartURL string `json:"chart_url"`
}

type liveImagesJSON struct {
	Key   string  `json:"key"`
	Steps []int64 `json:"steps"`
}

// runLive answers what a running run's page polls: its status and what it
// has logged so far, in a few hundred bytes.
func (h *Handler) runLive(w http.ResponseWriter, r *http.Request) {
	run, images, ok := h.runWithImages(w, r)
	if !ok {
		return
	}
	out := liveJSON{Status: string(run.Status), Duration: formatDuration(run.Duration()), Metrics: []liveMetricJSON{}, Images: []liveImagesJSON{}}
	for _, k := range h.metricKeys(run) {
		m := h.newMetricView(run, k)
		out.Metrics = append(out.Metrics, liveMetricJSON{Key: k, Count: m.Count, Last: m.Last, LastStep: m.LastStep, Min: m.Min, MinStep: m.MinStep, ChartURL: m.ChartURL})
	}
	for _, g := range groupImages(images) {
		out.Images = append(out.Images, liveImagesJSON{Key: g.key, Steps: g.steps})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(out)
}

// ---- Charts and images ----

func (h *Handler) runChart(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	run, err := h.store.Run(ctx, r.PathValue("id"))
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	key := r.URL.Query().Get("key")
	if _, ok := run.Metrics[key]; !ok {
		h.errorPage(w, r, http.StatusNotFound, fmt.Sprintf("Run %s has no metric %q.", run.ID, key))
		return
	}
	s, err := h.series.get(ctx, run, key)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	h.writeChart(w, r, key, []chartLine{{Label: run.Name, Series: s}})
}

func (h *Handler) writeChart(w http.ResponseWriter, r *http.Request, title string, lines []chartLine) {
	svg, err := renderChart(title, lines)
	if err != nil {
		h.cfg.logf("ganbook ui: chart %s: %v", title, err)
		http.Error(w, "cannot draw the chart", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	// The SVG styles its elements with style attributes; it runs no script.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.Header().Set("Cache-Control", "no-cache")
	if r.Method != http.MethodHead {
		w.Write(svg)
	}
}

// runImage serves one stored PNG by run, key and step (the latest step
// when none is given). It reads nothing but the store.
func (h *Handler) runImage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	id, key := r.PathValue("id"), q.Get("key")
	step, ok := parseStep(q.Get("step"))
	if q.Get("step") != "" && !ok {
		h.errorPage(w, r, http.StatusBadRequest, fmt.Sprintf("bad step %q: want an integer", q.Get("step")))
		return
	}
	if !ok {
		images, err := h.store.Images(ctx, id)
		if err != nil {
			h.storeError(w, r, err)
			return
		}
		found := false
		for _, img := range images {
			if img.Key == key {
				step, found = img.Step, true
			}
		}
		if !found {
			h.errorPage(w, r, http.StatusNotFound, fmt.Sprintf("Run %s has no image %q.", id, key))
			return
		}
	}
	img, err := h.store.Image(ctx, id, key, step)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	if !strings.HasPrefix(string(img.PNG), "\x89PNG\r\n\x1a\n") {
		h.errorPage(w, r, http.StatusInternalServerError, "The stored image is not a PNG.")
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.Itoa(len(img.PNG)))
	// An image of a key and step can be replaced, so revalidate.
	w.Header().Set("Cache-Control", "no-cache")
	if r.Method != http.MethodHead {
		w.Write(img.PNG)
	}
}

// ---- Compare page ----

type compareData struct {
	Title      string
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
	Key      string
	Cells    []compareMetricCell
	ChartURL string
}

type compareMetricCell struct {
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
	data := compareData{Title: "Compare " + strconv.Itoa(len(c.Runs)) + " runs", OnlyDiff: q.Get("diff") == "1"}
	base := url.Values{}
	for _, run := range c.Runs {
		base.Add("run", run.ID)
		data.QueryRuns = append(data.QueryRuns, run.ID)
	}
	for i, run := range c.Runs {
		data.Runs = append(data.Runs, compareRun{ID: run.ID, ShortID: run.ID[:min(8, len(run.ID))], Name: run.Name, Status: string(run.Status), Color: i % len(palette)})
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
				cm.Cells = append(cm.Cells, compareMetricCell{})
				continue
			}
			version += m.Count
			cm.Cells = append(cm.Cells, compareMetricCell{Last: formatFloat(m.Last), Min: formatFloat(m.Min), Count: m.Count})
		}
		v := maps.Clone(base)
		v.Set("key", k)
		v.Set("v", strconv.FormatInt(version, 10))
		cm.ChartURL = "/compare/chart.svg?" + v.Encode()
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

func (h *Handler) compareChart(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	ids := compareRunIDs(q)
	if len(ids) < 1 || len(ids) > maxCompare {
		h.errorPage(w, r, http.StatusBadRequest, fmt.Sprintf("Pick from 1 to %d runs; got %d.", maxCompare, len(ids)))
		return
	}
	c, err := h.store.Compare(ctx, ids...)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	key := q.Get("key")
	if !slices.ContainsFunc(c.Runs, func(r tracker.RunInfo) bool { _, ok := r.Metrics[key]; return ok }) {
		h.errorPage(w, r, http.StatusNotFound, fmt.Sprintf("None of these runs has a metric %q.", key))
		return
	}
	lines := make([]chartLine, len(c.Runs))
	errs := make([]error, len(c.Runs))
	// Series not in the cache load in parallel; SQLite in WAL mode serves
	// concurrent readers.
	sem := make(chan struct{}, loadParallelism)
	done := make(chan struct{})
	for i, run := range c.Runs {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem; done <- struct{}{} }()
			s, err := h.series.get(ctx, run, key)
			lines[i], errs[i] = chartLine{Label: run.Name, Color: i % len(palette), Series: s}, err
		}()
	}
	for range c.Runs {
		<-done
	}
	if err := errors.Join(errs...); err != nil {
		h.storeError(w, r, err)
		return
	}
	h.writeChart(w, r, key, lines)
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
