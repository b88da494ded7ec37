package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ganbook/ganbook/tracker"
)

// The JSON endpoints the charts draw from.
const (
	// seriesPath answers one metric of 1 to maxCompare runs, downsampled:
	// ?key=K&run=ID&run=ID…
	seriesPath = "/api/series"
	// sincePath answers the points logged after a step, for live charts:
	// ?key=K&run=ID:STEP&run=ID:STEP…
	sincePath = "/api/since"
)

// maxSincePoints caps the points one since answer carries per run; a
// chart that falls further behind reloads the downsampled series.
const maxSincePoints = 5000

// seriesJSON is one metric of several runs, as a chart draws it.
type seriesJSON struct {
	Key  string          `json:"key"`
	Runs []runSeriesJSON `json:"runs"`
}

// runSeriesJSON is one run's line: parallel arrays of step, wall time
// (Unix ms), value and the min–max band of the envelope range of each
// point. JSON has no NaN: the points are finite; NonFinite counts the
// others.
type runSeriesJSON struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Status      string    `json:"status"`
	Color       int       `json:"color"`
	StartMS     int64     `json:"start_ms"`
	Total       int       `json:"total"`
	NonFinite   int       `json:"non_finite"`
	Downsampled bool      `json:"downsampled"`
	Width       int64     `json:"width"`
	LastStep    int64     `json:"last_step"`
	Step        []float64 `json:"step"`
	Time        []int64   `json:"time"`
	Value       []float64 `json:"value"`
	Lo          []float64 `json:"lo"`
	Hi          []float64 `json:"hi"`
}

// seriesRunIDs reads the run parameters of an API request (1 to maxCompare).
func (h *Handler) seriesRunIDs(w http.ResponseWriter, r *http.Request) ([]string, bool) {
	ids := compareRunIDs(r.URL.Query())
	if len(ids) < 1 || len(ids) > maxCompare {
		jsonError(w, http.StatusBadRequest, fmt.Sprintf("pick from 1 to %d runs; got %d", maxCompare, len(ids)))
		return nil, false
	}
	return ids, true
}

func (h *Handler) seriesJSON(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ids, ok := h.seriesRunIDs(w, r)
	if !ok {
		return
	}
	key := r.URL.Query().Get("key")
	runs := make([]tracker.RunInfo, len(ids))
	for i, id := range ids {
		run, err := h.store.Run(ctx, id)
		if err != nil {
			h.jsonStoreError(w, r, err)
			return
		}
		runs[i] = run
	}
	if !slices.ContainsFunc(runs, func(r tracker.RunInfo) bool { _, ok := r.Metrics[key]; return ok }) {
		jsonError(w, http.StatusNotFound, fmt.Sprintf("no such metric %q in these runs", key))
		return
	}
	out := seriesJSON{Key: key, Runs: make([]runSeriesJSON, len(runs))}
	errs := make([]error, len(runs))
	// Series not in the cache load in parallel; SQLite in WAL mode serves
	// concurrent readers.
	sem := make(chan struct{}, loadParallelism)
	done := make(chan struct{})
	for i, run := range runs {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem; done <- struct{}{} }()
			s, err := h.series.get(ctx, run, key)
			if err != nil {
				errs[i] = err
				return
			}
			out.Runs[i] = newRunSeriesJSON(run, key, i, s)
		}()
	}
	for range runs {
		<-done
	}
	if err := errors.Join(errs...); err != nil {
		h.jsonStoreError(w, r, err)
		return
	}
	writeJSON(w, r, out)
}

func newRunSeriesJSON(run tracker.RunInfo, key string, color int, s *series) runSeriesJSON {
	out := runSeriesJSON{
		ID: run.ID, Name: run.Name, Status: string(run.Status), Color: color % paletteSize, StartMS: run.StartTime.UnixMilli(),
		Total: s.Total, NonFinite: s.NonFinite, Downsampled: s.Downsampled(), Width: s.Width,
		LastStep: run.Metrics[key].LastStep,
		Step:     make([]float64, len(s.Points)), Time: s.Times, Value: make([]float64, len(s.Points)), Lo: s.Lo, Hi: s.Hi,
	}
	if run.Metrics[key].Count == 0 {
		out.LastStep = -1
	}
	for i, p := range s.Points {
		out.Step[i], out.Value[i] = p.X, p.Y
	}
	return out
}

// sinceJSON is what a live chart polls: each run's status and the finite
// points it logged after the step the chart has.
type sinceJSON struct {
	Key  string         `json:"key"`
	Runs []runSinceJSON `json:"runs"`
}

type runSinceJSON struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	// Behind is true when more points came than one answer carries: the
	// chart reloads the downsampled series instead.
	Behind    bool      `json:"behind"`
	LastStep  int64     `json:"last_step"`
	NonFinite int       `json:"non_finite"`
	Step      []float64 `json:"step"`
	Time      []int64   `json:"time"`
	Value     []float64 `json:"value"`
}

func (h *Handler) sinceJSON(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	key := q.Get("key")
	specs := q["run"]
	if len(specs) < 1 || len(specs) > maxCompare {
		jsonError(w, http.StatusBadRequest, fmt.Sprintf("pick from 1 to %d runs; got %d", maxCompare, len(specs)))
		return
	}
	out := sinceJSON{Key: key, Runs: []runSinceJSON{}}
	for _, spec := range specs {
		id, after, ok := strings.Cut(spec, ":")
		afterStep, err := strconv.ParseInt(after, 10, 64)
		if !ok || err != nil {
			jsonError(w, http.StatusBadRequest, fmt.Sprintf("bad run %q: want ID:STEP", spec))
			return
		}
		run, err := h.store.Run(ctx, id)
		if err != nil {
			h.jsonStoreError(w, r, err)
			return
		}
		rs := runSinceJSON{ID: run.ID, Status: string(run.Status), LastStep: afterStep, Step: []float64{}, Time: []int64{}, Value: []float64{}}
		if m, ok := run.Metrics[key]; ok && m.Count > 0 && m.LastStep > afterStep {
			pts, err := h.store.MetricSince(ctx, run.ID, key, afterStep)
			if err != nil {
				h.jsonStoreError(w, r, err)
				return
			}
			if len(pts) > maxSincePoints {
				rs.Behind = true
				pts = nil
			}
			for _, p := range pts {
				rs.LastStep = max(rs.LastStep, p.Step)
				if math.IsNaN(p.Value) || math.IsInf(p.Value, 0) {
					rs.NonFinite++
					continue
				}
				rs.Step = append(rs.Step, float64(p.Step))
				rs.Time = append(rs.Time, p.Time.UnixMilli())
				rs.Value = append(rs.Value, p.Value)
			}
		}
		out.Runs = append(out.Runs, rs)
	}
	writeJSON(w, r, out)
}

func writeJSON(w http.ResponseWriter, r *http.Request, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		jsonError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodHead {
		w.Write(b)
	}
}

func jsonError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// jsonStoreError answers a store error as JSON: 404 for an unknown run,
// 400 for an ambiguous prefix, 500 otherwise.
func (h *Handler) jsonStoreError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, tracker.ErrNotFound):
		jsonError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, tracker.ErrAmbiguous):
		jsonError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, context.Canceled):
		w.WriteHeader(http.StatusServiceUnavailable)
	default:
		h.cfg.logf("ganbook ui: %s %s: %v", r.Method, r.URL, err)
		jsonError(w, http.StatusInternalServerError, "the tracker database could not be read: "+err.Error())
	}
}

// paletteSize is the number of run colours (style.css .c0–.c9, app.js).
const paletteSize = 10
