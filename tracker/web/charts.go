package web

import (
	"fmt"
	"net/http"
)

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
