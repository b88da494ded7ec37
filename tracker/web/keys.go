package web

import (
	"maps"
	"slices"

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
