package web

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ganbook/ganbook/tracker"
)

// The tags `ganbook sweep` puts on each trial's run: the sweep's id and the
// trial's index in it. A sweep is known to the pages only through them.
const (
	sweepTag      = "sweep"
	sweepTrialTag = "sweep_trial"
)

// A numeric param whose largest value is over logSpan times its smallest
// (all values positive) gets a log axis: it spans more than a decade.
const logSpan = 10

// sweepURL is the page of the sweep with this id.
func sweepURL(id string) string { return "/sweeps/" + url.PathEscape(id) }

// sweepRuns returns the runs tagged sweep=id (every sweep's runs when id is
// ""), oldest first.
func (h *Handler) sweepRuns(ctx context.Context, id string) ([]tracker.RunInfo, error) {
	filter := "tags." + sweepTag + " != ''"
	if id != "" {
		filter = "tags." + sweepTag + " = " + tracker.FilterString(id)
	}
	return h.store.Runs(ctx, tracker.RunQuery{Filter: filter, OrderBy: "start_time ASC"})
}

// trialIndex is the run's sweep_trial tag as a number; ok is false when
// the tag is missing or not a number.
func trialIndex(r tracker.RunInfo) (int, bool) {
	i, err := strconv.Atoi(r.Tags[sweepTrialTag])
	return i, err == nil
}

// trialStates counts a sweep's trials (its distinct trial indices, or its
// runs where they carry none) by state: a trial is finished when one of
// its runs finished, running when one runs, failed otherwise. A trial
// interrupted and resumed has a KILLED run and a FINISHED one.
func trialStates(runs []tracker.RunInfo) (trials, finished, running, failed int) {
	best := map[string]tracker.RunStatus{}
	rank := map[tracker.RunStatus]int{tracker.StatusFinished: 3, tracker.StatusRunning: 2}
	for i, r := range runs {
		key, ok := r.Tags[sweepTrialTag]
		if !ok {
			key = "run " + strconv.Itoa(i)
		}
		if cur, seen := best[key]; !seen || rank[r.Status] > rank[cur] {
			best[key] = r.Status
		}
	}
	for _, st := range best {
		switch st {
		case tracker.StatusFinished:
			finished++
		case tracker.StatusRunning:
			running++
		default:
			failed++
		}
	}
	return len(best), finished, running, failed
}

type sweepsData struct {
	Title  string
	Sweeps []sweepSummary
}

type sweepSummary struct {
	ID, URL, Experiment             string
	Start, StartISO                 string
	Runs, Trials, Finished, Running int
	Failed                          int
	Params                          []string // the params that vary, seed included
	startTime                       time.Time
}

// sweepsPage lists the sweeps, the most recently started first.
func (h *Handler) sweepsPage(w http.ResponseWriter, r *http.Request) {
	runs, err := h.sweepRuns(r.Context(), "")
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	bySweep := map[string][]tracker.RunInfo{}
	var ids []string
	for _, run := range runs {
		id := run.Tags[sweepTag]
		if _, ok := bySweep[id]; !ok {
			ids = append(ids, id)
		}
		bySweep[id] = append(bySweep[id], run)
	}
	data := sweepsData{Title: "Sweeps"}
	for _, id := range ids {
		sr := bySweep[id]
		s := sweepSummary{ID: id, URL: sweepURL(id), Experiment: sr[0].Experiment, Runs: len(sr), startTime: sr[0].StartTime,
			Start: formatTime(sr[0].StartTime), StartISO: sr[0].StartTime.Format(time.RFC3339)}
		s.Trials, s.Finished, s.Running, s.Failed = trialStates(sr)
		for _, pc := range tracker.Compare(sr).DifferingParams() {
			s.Params = append(s.Params, pc.Key)
		}
		data.Sweeps = append(data.Sweeps, s)
	}
	slices.SortStableFunc(data.Sweeps, func(a, b sweepSummary) int { return b.startTime.Compare(a.startTime) })
	h.render(w, r, http.StatusOK, "sweeps", data)
}

type sweepData struct {
	Title                     string
	ID                        string
	Experiment                string
	Runs, Trials              int
	Finished, Running, Failed int
	ParamKeys                 []string // the table's param columns: those that vary
	MetricKeys                []string
	Rows                      []sweepRow
	PlotJSON                  string
	Groups                    *sweepGroupsView
}

type sweepRow struct {
	ID, ShortID, Name, Status, Error, Trial string
	Params                                  []string
	Metrics                                 []metricCell
}

// sweepPlotJSON is what sweep.js draws: the parallel coordinates' axes,
// the scatter's choices and every run's values.
type sweepPlotJSON struct {
	// Axes are the params of the parallel-coordinates plot: those that
	// vary, but the seed, which only repeats a setting.
	Axes []plotAxisJSON `json:"axes"`
	// Params are the scatter's x choices: every param that varies.
	Params  []plotAxisJSON `json:"params"`
	Metrics []string       `json:"metrics"`
	// Metric is the metric chosen first: the first quality metric logged.
	Metric string        `json:"metric"`
	Runs   []plotRunJSON `json:"runs"`
}

// plotAxisJSON is a param's scale: numbers (on a log scale when they span
// more than a decade) or categories in sorted order.
type plotAxisJSON struct {
	Key        string    `json:"key"`
	Numeric    bool      `json:"numeric"`
	Log        bool      `json:"log"`
	Min        float64   `json:"min"`
	Max        float64   `json:"max"`
	Values     []float64 `json:"values,omitempty"`     // the distinct numbers, ascending
	Categories []string  `json:"categories,omitempty"` // the distinct values, sorted
}

type plotRunJSON struct {
	ID     string            `json:"id"`
	Name   string            `json:"name"`
	URL    string            `json:"url"`
	Trial  string            `json:"trial"`
	Status string            `json:"status"`
	Params map[string]string `json:"params"`
	// Metrics holds each metric's last value; null when not finite.
	Metrics map[string]*float64 `json:"metrics"`
}

// sweepPage shows one sweep: its trials' table, the parallel coordinates
// of params and a final metric, a scatter, and the seed groups.
func (h *Handler) sweepPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	runs, err := h.sweepRuns(r.Context(), id)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	if len(runs) == 0 {
		h.errorPage(w, r, http.StatusNotFound, fmt.Sprintf("There is no sweep %q: no run is tagged %s=%s.", id, sweepTag, id))
		return
	}
	sortTrials(runs)
	data := sweepData{Title: "Sweep " + id, ID: id, Experiment: runs[0].Experiment, Runs: len(runs)}
	data.Trials, data.Finished, data.Running, data.Failed = trialStates(runs)
	for _, pc := range tracker.Compare(runs).DifferingParams() {
		data.ParamKeys = append(data.ParamKeys, pc.Key)
	}
	allMetrics := h.sweepMetricKeys(runs)
	data.MetricKeys = allMetrics[:min(len(allMetrics), maxMetricColumns)]
	for _, run := range runs {
		row := sweepRow{ID: run.ID, ShortID: run.ID[:min(8, len(run.ID))], Name: run.Name, Status: string(run.Status),
			Error: run.Error, Trial: run.Tags[sweepTrialTag]}
		for _, k := range data.ParamKeys {
			row.Params = append(row.Params, run.Params[k])
		}
		row.Metrics = h.newRunRow(run, nil, data.MetricKeys, nil).Metrics
		data.Rows = append(data.Rows, row)
	}
	data.PlotJSON = mustJSON(newSweepPlot(runs, data.ParamKeys, allMetrics))
	data.Groups = newSweepGroupsView(runs, data.MetricKeys)
	h.render(w, r, http.StatusOK, "sweep", data)
}

// finalQualityMetrics are the metrics a sweep is judged by, which its page
// shows first: those `ganbook train --eval-every` logs.
var finalQualityMetrics = []string{"fid", "coverage", "kl_uniform", "mean_confidence"}

// sweepMetricKeys returns the runs' metric keys, the quality metrics first.
func (h *Handler) sweepMetricKeys(runs []tracker.RunInfo) []string {
	keys := h.metricKeys(runs...)
	var out []string
	for _, k := range finalQualityMetrics {
		if slices.Contains(keys, k) {
			out = append(out, k)
		}
	}
	for _, k := range keys {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// sortTrials orders runs by trial index, runs without one last, and the
// runs of a trial by start time.
func sortTrials(runs []tracker.RunInfo) {
	slices.SortStableFunc(runs, func(a, b tracker.RunInfo) int {
		ia, oka := trialIndex(a)
		ib, okb := trialIndex(b)
		switch {
		case oka && okb && ia != ib:
			return cmp.Compare(ia, ib)
		case oka != okb:
			if oka {
				return -1
			}
			return 1
		}
		return a.StartTime.Compare(b.StartTime)
	})
}

func newSweepPlot(runs []tracker.RunInfo, paramKeys, metricKeys []string) sweepPlotJSON {
	p := sweepPlotJSON{Metrics: metricKeys, Axes: []plotAxisJSON{}, Params: []plotAxisJSON{}, Runs: []plotRunJSON{}}
	if len(metricKeys) > 0 {
		p.Metric = metricKeys[0] // fid when logged: see sweepMetricKeys
	}
	for _, k := range paramKeys {
		a := newPlotAxis(runs, k)
		p.Params = append(p.Params, a)
		if k != tracker.SeedParam {
			p.Axes = append(p.Axes, a)
		}
	}
	for _, run := range runs {
		pr := plotRunJSON{ID: run.ID, Name: run.Name, URL: "/runs/" + url.PathEscape(run.ID), Trial: run.Tags[sweepTrialTag],
			Status: string(run.Status), Params: map[string]string{}, Metrics: map[string]*float64{}}
		for _, k := range paramKeys {
			pr.Params[k] = run.Params[k]
		}
		for _, k := range metricKeys {
			if m, ok := run.Metrics[k]; ok && m.Count > 0 && !math.IsNaN(m.Last) && !math.IsInf(m.Last, 0) {
				v := m.Last
				pr.Metrics[k] = &v
			} else {
				pr.Metrics[k] = nil
			}
		}
		p.Runs = append(p.Runs, pr)
	}
	return p
}

// newPlotAxis picks the scale of a param: numeric when every run's value
// is a finite number, else categorical (a run without the param counts
// as the category "").
func newPlotAxis(runs []tracker.RunInfo, key string) plotAxisJSON {
	a := plotAxisJSON{Key: key, Numeric: true}
	var nums []float64
	var cats []string
	for _, r := range runs {
		v := r.Params[key]
		if !slices.Contains(cats, v) {
			cats = append(cats, v)
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			a.Numeric = false
			continue
		}
		if !slices.Contains(nums, f) {
			nums = append(nums, f)
		}
	}
	if !a.Numeric {
		slices.Sort(cats)
		a.Categories = cats
		a.Max = float64(len(cats) - 1)
		return a
	}
	slices.Sort(nums)
	a.Values, a.Min, a.Max = nums, nums[0], nums[len(nums)-1]
	a.Log = a.Min > 0 && a.Max > logSpan*a.Min
	return a
}

// sweepGroupsView is the seed groups of a sweep's FINISHED runs: each
// setting's final metrics as mean ± 95 % Student-t half-width.
type sweepGroupsView struct {
	By         []string
	MetricKeys []string
	Groups     []sweepGroupRow
	Method     string
}

type sweepGroupRow struct {
	Name   string // G1, G2, …
	Label  string
	N      int
	Finals []intervalCell
}

type intervalCell struct {
	Text, Title string
	// Overlaps names the other groups whose interval of this metric
	// overlaps this one's: the settings the sweep has not told apart.
	Overlaps string
}

const intervalMethod = "mean ± half-width of the two-sided 95 % Student-t interval over the group's FINISHED runs: t(0.975, n−1)·s/√n, s the sample standard deviation"

// newSweepGroupsView groups the FINISHED runs by the params that vary but
// the seed (tracker.GroupRuns); nil when there is a single group.
func newSweepGroupsView(runs []tracker.RunInfo, metricKeys []string) *sweepGroupsView {
	var finished []tracker.RunInfo
	for _, r := range runs {
		if r.Status == tracker.StatusFinished {
			finished = append(finished, r)
		}
	}
	if len(finished) < 2 {
		return nil
	}
	by := tracker.GroupKeys(finished)
	if len(by) == 0 {
		return nil
	}
	groups := tracker.GroupRuns(finished, by)
	v := &sweepGroupsView{By: by, MetricKeys: metricKeys, Method: intervalMethod}
	for i, g := range groups {
		row := sweepGroupRow{Name: "G" + strconv.Itoa(i+1), Label: g.Label, N: len(g.Runs)}
		for _, k := range metricKeys {
			iv, ok := g.Finals[k]
			if !ok {
				row.Finals = append(row.Finals, intervalCell{Text: "—"})
				continue
			}
			c := intervalCell{Text: formatInterval(iv), Title: fmt.Sprintf("n=%d, standard deviation %s", iv.N, formatFloat(float64(iv.StdDev)))}
			var with []string
			for j, o := range groups {
				if oiv, ok := o.Finals[k]; ok && j != i && iv.Overlaps(oiv) {
					with = append(with, "G"+strconv.Itoa(j+1))
				}
			}
			c.Overlaps = strings.Join(with, " ")
			row.Finals = append(row.Finals, c)
		}
		v.Groups = append(v.Groups, row)
	}
	return v
}

// formatInterval writes an interval as "mean ± half-width", or the mean
// alone when one value gives no spread.
func formatInterval(iv tracker.Interval) string {
	if math.IsNaN(float64(iv.HalfWidth)) {
		return formatFloat(float64(iv.Mean))
	}
	return formatFloat(float64(iv.Mean)) + " ± " + formatFloat(float64(iv.HalfWidth))
}
