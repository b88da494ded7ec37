package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/ganbook/ganbook/tracker"
)

type runData struct {
	Title   string
	Run     runView
	Params  []kv
	Tags    []kv
	Metrics []metricView
	Images  []imagesView
	Record  *recordView
	Live    *liveView
	// Sweep is the sweep the run is a trial of, if any.
	Sweep *runSweepView
	// PollMS is how often a live chart asks for new points.
	PollMS int64
}

type runView struct {
	ID, Name, Experiment, Status, Error string
	Start, End, Duration, Heartbeat     string
	ParentID, ReproducedFrom            string
}

type metricView struct {
	Key, Last, Min        string
	LastStep, MinStep     int64
	Count                 int64
	SeriesURL, ChartTitle string
}

type imagesView struct {
	Key       string
	Steps     []int64
	StepsJSON string
	Index     int // of the step shown
	Step      int64
	URL       string // of the image shown
	BaseURL   string // the URL without the step's value
	// ProgressURL is the animated GIF of the key's images over the steps (when
	// there are at least two), ProgressFrames its frame count.
	ProgressURL    string
	ProgressFrames int
}

type runSweepView struct{ ID, URL, Trial string }

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
		PollMS: h.cfg.poll.Milliseconds(),
	}
	for _, k := range slices.Sorted(maps.Keys(run.Params)) {
		data.Params = append(data.Params, kv{k, run.Params[k]})
	}
	for _, k := range slices.Sorted(maps.Keys(run.Tags)) {
		data.Tags = append(data.Tags, kv{k, run.Tags[k]})
	}
	if id := run.Tags[sweepTag]; id != "" {
		data.Sweep = &runSweepView{ID: id, URL: sweepURL(id), Trial: run.Tags[sweepTrialTag]}
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
		view := imagesView{
			Key: g.key, Steps: g.steps, StepsJSON: mustJSON(g.steps), Index: idx, Step: g.steps[idx],
			URL: base + strconv.FormatInt(g.steps[idx], 10), BaseURL: base,
		}
		if len(g.steps) > 1 {
			view.ProgressURL = "/runs/" + url.PathEscape(run.ID) + "/progress.gif?" + url.Values{"key": {g.key}}.Encode()
			view.ProgressFrames = len(spreadSteps(g.steps, maxProgressFrames))
		}
		data.Images = append(data.Images, view)
	}
	if run.Status == tracker.StatusRunning {
		data.Live = &liveView{URL: "/runs/" + url.PathEscape(run.ID) + "/live.json", PollMS: h.cfg.poll.Milliseconds()}
	}
	h.render(w, r, http.StatusOK, "run", data)
}

func (h *Handler) newMetricView(run tracker.RunInfo, key string) metricView {
	m := run.Metrics[key]
	return metricView{
		Key: key, Last: formatFloat(m.Last), Min: formatFloat(m.Min), LastStep: m.LastStep, MinStep: m.MinStep, Count: m.Count,
		SeriesURL:  seriesPath + "?" + url.Values{"key": {key}, "run": {run.ID}}.Encode(),
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
