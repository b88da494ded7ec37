package web

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ganbook/ganbook/tracker"
)

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
