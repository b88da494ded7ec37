package web

import (
	"cmp"
	"context"
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

// Paging of the runs page.
const (
	defaultPerPage = 50
	maxPerPage     = 500
)

var perPageChoices = []int{25, 50, 100, 200}

type runsData struct {
	Title       string
	Filter      string
	Order       string
	Error       *filterErrorView
	Columns     []columnView
	Rows        []runRow
	ParamKeys   []string
	MetricKeys  []string
	TagKeys     []string
	Placeholder string

	// Paging: rows From to To (from 1) of Total.
	Page, PerPage, From, To, Total int
	PrevURL, NextURL, FirstURL     string
	LastURL                        string
	PerPageChoices                 []perPageChoice

	// The column chooser: every key of the listed runs, chosen or not.
	Choices    []columnChoice
	ChosenCols []string // the chosen fields, carried by the filter form
	ColsSet    bool     // the columns were chosen rather than defaulted

	// Live: the page polls itself while it lists a RUNNING run.
	Live   bool
	PollMS int64
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
	Class  string
}

type columnChoice struct {
	Field, Kind, Key string
	Checked          bool
}

type perPageChoice struct {
	N        int
	URL      string
	Selected bool
}

type runRow struct {
	ID, ShortID, Name, Experiment, Status, Error string
	Start, StartISO, Duration                    string
	StartDate, StartClock                        string
	Params                                       []string
	Metrics                                      []metricCell
	TagCols                                      []string
	Tags                                         []kv
}

type metricCell struct {
	Value string
	Title string
}

type kv struct{ Key, Value string }

// runsQuery is the state of the runs page, all of it in its URL.
type runsQuery struct {
	filter, order string
	page, per     int
	cols          []string // "params.KEY", "metrics.KEY", "tags.KEY"
	colsSet       bool
}

func parseRunsQuery(q url.Values) runsQuery {
	rq := runsQuery{filter: q.Get("filter"), order: strings.TrimSpace(q.Get("order")), page: 1, per: defaultPerPage}
	if p, err := strconv.Atoi(q.Get("page")); err == nil && p > 1 {
		rq.page = p
	}
	if n, err := strconv.Atoi(q.Get("per")); err == nil && n > 0 {
		rq.per = min(n, maxPerPage)
	}
	rq.colsSet = q.Get("cols") == "1"
	for _, c := range q["col"] {
		if kind, key, ok := strings.Cut(c, "."); ok && key != "" && (kind == "params" || kind == "metrics" || kind == "tags") && !slices.Contains(rq.cols, c) {
			rq.cols = append(rq.cols, c)
			rq.colsSet = true
		}
	}
	return rq
}

// url writes the query as a link to the runs page.
func (rq runsQuery) url() string {
	v := url.Values{}
	if rq.filter != "" {
		v.Set("filter", rq.filter)
	}
	if rq.order != "" {
		v.Set("order", rq.order)
	}
	if rq.page > 1 {
		v.Set("page", strconv.Itoa(rq.page))
	}
	if rq.per != defaultPerPage {
		v.Set("per", strconv.Itoa(rq.per))
	}
	if rq.colsSet {
		v.Set("cols", "1")
		v["col"] = rq.cols
	}
	if len(v) == 0 {
		return "/"
	}
	return "/?" + v.Encode()
}

func (h *Handler) runsPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	rq := parseRunsQuery(r.URL.Query())
	data := runsData{
		Title: "Runs", Filter: rq.filter, Order: rq.order, Page: rq.page, PerPage: rq.per,
		Placeholder: "e.g. params.lr_d = 0.0002 and metrics.d_loss < 0.7 and status = 'FINISHED'",
		PollMS:      h.cfg.poll.Milliseconds(),
	}
	runs, total, err := h.pageOfRuns(ctx, rq)
	status := http.StatusOK
	var ferr *tracker.FilterError
	switch {
	case errors.As(err, &ferr):
		data.Error = newFilterErrorView(ferr, rq.filter)
		status = http.StatusBadRequest
		runs, total = nil, 0
	case err != nil:
		h.storeError(w, r, err)
		return
	}
	data.Total = total
	if len(runs) > 0 {
		data.From = (rq.page-1)*rq.per + 1
		data.To = data.From + len(runs) - 1
	}
	link := func(page, per int) string {
		q := rq
		q.page, q.per = page, per
		return q.url()
	}
	lastPage := max(1, (total+rq.per-1)/rq.per)
	if rq.page > 1 {
		data.PrevURL, data.FirstURL = link(min(rq.page-1, lastPage), rq.per), link(1, rq.per)
	}
	if rq.page < lastPage {
		data.NextURL, data.LastURL = link(rq.page+1, rq.per), link(lastPage, rq.per)
	}
	for _, n := range perPageChoices {
		data.PerPageChoices = append(data.PerPageChoices, perPageChoice{N: n, URL: link(1, n), Selected: n == rq.per})
	}

	h.chooseColumns(&data, rq, runs)
	for _, run := range runs {
		data.Rows = append(data.Rows, h.newRunRow(run, data.ParamKeys, data.MetricKeys, data.TagKeys))
		if run.Status == tracker.StatusRunning {
			data.Live = true
		}
	}
	h.render(w, r, status, "runs", data)
}

func newFilterErrorView(ferr *tracker.FilterError, filter string) *filterErrorView {
	input := "filter"
	if ferr.Text != filter {
		input = "order"
	}
	return &filterErrorView{Input: input, Message: ferr.Msg, Line: ferr.Pos.Line, Column: ferr.Pos.Column, Caret: ferr.Caret()}
}

// pageOfRuns returns the runs of the requested page and how many runs the
// filter selects. The database orders and pages them, except by duration
// (not a stored field), which needs every selected run.
func (h *Handler) pageOfRuns(ctx context.Context, rq runsQuery) ([]tracker.RunInfo, int, error) {
	field, desc := splitOrder(rq.order)
	offset := (rq.page - 1) * rq.per
	if field == "duration" {
		runs, err := h.store.Runs(ctx, tracker.RunQuery{Filter: rq.filter})
		if err != nil {
			return nil, 0, err
		}
		slices.SortStableFunc(runs, func(a, b tracker.RunInfo) int {
			c := cmp.Compare(a.Duration(), b.Duration())
			if desc {
				return -c
			}
			return c
		})
		return runs[min(offset, len(runs)):min(offset+rq.per, len(runs))], len(runs), nil
	}
	runs, err := h.store.Runs(ctx, tracker.RunQuery{Filter: rq.filter, OrderBy: rq.order, Limit: rq.per + 1, Offset: offset})
	if err != nil {
		return nil, 0, err
	}
	if len(runs) <= rq.per && (len(runs) > 0 || offset == 0) {
		return runs, offset + len(runs), nil // the last page: the count is known
	}
	atLeast := 0 // past the last page, nothing is known
	if len(runs) > 0 {
		runs = runs[:min(len(runs), rq.per)]
		atLeast = offset + len(runs) + 1 // one more run came with the page
	}
	total, err := h.countRuns(ctx, rq.filter, atLeast)
	return runs, total, err
}

// countRuns counts the runs a filter selects, knowing that at least
// atLeast exist. Without a filter the experiments' counts add up to it;
// with one, it finds the last run by probing offsets (a few dozen
// one-row queries), since the store has no count of its own.
func (h *Handler) countRuns(ctx context.Context, filter string, atLeast int) (int, error) {
	if strings.TrimSpace(filter) == "" {
		exps, err := h.store.Experiments(ctx)
		if err != nil {
			return 0, err
		}
		n := 0
		for _, e := range exps {
			n += e.RunCount
		}
		return max(n, atLeast), nil
	}
	exists := func(offset int) (bool, error) {
		runs, err := h.store.Runs(ctx, tracker.RunQuery{Filter: filter, Limit: 1, Offset: offset})
		return len(runs) > 0, err
	}
	// Invariant: a run exists at offset lo-1 and none at hi.
	lo, step := atLeast, 1
	hi := lo
	for {
		ok, err := exists(hi)
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		lo = hi + 1
		hi += step
		step *= 2
	}
	for lo < hi {
		mid := (lo + hi) / 2
		ok, err := exists(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// chooseColumns sets the table's columns: those chosen in the URL, or by
// default the parameters that differ among the listed runs and their
// first metrics; and the chooser's list of every key of the listed runs.
func (h *Handler) chooseColumns(data *runsData, rq runsQuery, runs []tracker.RunInfo) {
	if rq.colsSet {
		for _, c := range rq.cols {
			kind, key, _ := strings.Cut(c, ".")
			switch kind {
			case "params":
				data.ParamKeys = append(data.ParamKeys, key)
			case "metrics":
				data.MetricKeys = append(data.MetricKeys, key)
			case "tags":
				data.TagKeys = append(data.TagKeys, key)
			}
		}
		data.ChosenCols, data.ColsSet = rq.cols, true
	} else {
		data.ParamKeys = h.keyParams(runs)
		data.MetricKeys = h.metricKeys(runs...)
		if len(data.MetricKeys) > maxMetricColumns {
			data.MetricKeys = data.MetricKeys[:maxMetricColumns]
		}
	}
	params, tags := map[string]bool{}, map[string]bool{}
	for _, run := range runs {
		for k := range run.Params {
			params[k] = true
		}
		for k := range run.Tags {
			tags[k] = true
		}
	}
	addChoices := func(kind string, keys, chosen []string) {
		for _, k := range chosen {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
		for _, k := range keys {
			data.Choices = append(data.Choices, columnChoice{Field: kind + "." + k, Kind: kind, Key: k, Checked: slices.Contains(chosen, k)})
		}
	}
	addChoices("params", slices.Sorted(maps.Keys(params)), data.ParamKeys)
	addChoices("metrics", h.metricKeys(runs...), data.MetricKeys)
	addChoices("tags", slices.Sorted(maps.Keys(tags)), data.TagKeys)

	col := func(label, title, field, class string, num, descFirst bool) columnView {
		c := columnView{Label: label, Title: title, Num: num, Class: class}
		if field == "" {
			return c
		}
		cur, curDesc := splitOrder(rq.order)
		if cur == "" {
			cur, curDesc = "start_time", true
		}
		next := descFirst
		if cur == field {
			c.Active, c.Desc = true, curDesc
			next = !curDesc
		}
		q := rq
		q.page, q.order = 1, field
		if next {
			q.order += " desc"
		}
		c.URL = q.url()
		return c
	}
	data.Columns = []columnView{
		col("Status", "", "status", "", false, false),
		col("Name", "", "name", "", false, false),
		col("Started", "", "start_time", "", false, true),
		col("Duration", "", "duration", "", true, true),
	}
	for _, k := range data.ParamKeys {
		f, _ := fieldName("params", k)
		data.Columns = append(data.Columns, col(k, "parameter "+k, f, "key", false, false))
	}
	for _, k := range data.MetricKeys {
		f, _ := fieldName("metrics", k)
		data.Columns = append(data.Columns, col(k, "latest value of metric "+k, f, "key", true, false))
	}
	for _, k := range data.TagKeys {
		f, _ := fieldName("tags", k)
		data.Columns = append(data.Columns, col(k, "tag "+k, f, "key", false, false))
	}
}

func (h *Handler) newRunRow(run tracker.RunInfo, paramKeys, metricKeys, tagKeys []string) runRow {
	row := runRow{
		ID: run.ID, ShortID: run.ID[:min(8, len(run.ID))], Name: run.Name, Experiment: run.Experiment,
		Status: string(run.Status), Error: run.Error,
		Start: formatTime(run.StartTime), StartISO: run.StartTime.Format(time.RFC3339),
		Duration: formatDuration(run.Duration()),
	}
	row.StartDate, row.StartClock, _ = strings.Cut(row.Start, " ")
	for _, k := range paramKeys {
		row.Params = append(row.Params, run.Params[k])
	}
	for _, k := range metricKeys {
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
	for _, k := range tagKeys {
		row.TagCols = append(row.TagCols, run.Tags[k])
	}
	if len(tagKeys) == 0 {
		for _, k := range slices.Sorted(maps.Keys(run.Tags)) {
			row.Tags = append(row.Tags, kv{k, run.Tags[k]})
		}
	}
	return row
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

// filterCheckJSON answers /api/filter: whether a filter and an order
// parse, and where the first error is, for the search box to show its
// caret as one types.
type filterCheckJSON struct {
	OK      bool   `json:"ok"`
	Input   string `json:"input,omitempty"`
	Message string `json:"message,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Caret   string `json:"caret,omitempty"`
}

func (h *Handler) filterCheck(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	filter := q.Get("filter")
	_, err := tracker.ParseFilter(filter)
	if err == nil {
		_, err = tracker.ParseOrder(q.Get("order"))
	}
	var ferr *tracker.FilterError
	switch {
	case err == nil:
		writeJSON(w, r, filterCheckJSON{OK: true})
	case errors.As(err, &ferr):
		v := newFilterErrorView(ferr, filter)
		writeJSON(w, r, filterCheckJSON{Input: v.Input, Message: v.Message, Line: v.Line, Column: v.Column, Caret: v.Caret})
	default:
		jsonError(w, http.StatusBadRequest, err.Error())
	}
}
