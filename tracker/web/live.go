package web

import (
	"encoding/json"
	"net/http"
)

type liveJSON struct {
	Status   string           `json:"status"`
	Error    string           `json:"error,omitempty"`
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
	out := liveJSON{Status: string(run.Status), Error: run.Error, Duration: formatDuration(run.Duration()), Metrics: []liveMetricJSON{}, Images: []liveImagesJSON{}}
	for _, k := range h.metricKeys(run) {
		m := h.newMetricView(run, k)
		out.Metrics = append(out.Metrics, liveMetricJSON{Key: k, Count: m.Count, Last: m.Last, LastStep: m.LastStep, Min: m.Min, MinStep: m.MinStep})
	}
	for _, g := range groupImages(images) {
		out.Images = append(out.Images, liveImagesJSON{Key: g.key, Steps: g.steps})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(out)
}
