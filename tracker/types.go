package tracker

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Errors returned by the Store and its backends; test for them with errors.Is.
var (
	// ErrNotFound reports that no run matches an id or id prefix, or that a
	// run has no such image.
	ErrNotFound = errors.New("tracker: not found")
	// ErrAmbiguous reports that an id prefix matches more than one run.
	ErrAmbiguous = errors.New("tracker: ambiguous run id prefix")
	// ErrSchemaTooNew reports a database written by a newer version of this
	// program; it is refused and left untouched.
	ErrSchemaTooNew = errors.New("tracker: database schema is newer than this program")
	// ErrReadOnly reports a database that cannot be written (read-only file,
	// directory or file system), or a write to a store opened with ReadOnly.
	ErrReadOnly = errors.New("tracker: database is read-only")
	// ErrRunEnded reports a call on a Run that has already finished, failed
	// or been killed.
	ErrRunEnded = errors.New("tracker: run has ended")
	// ErrBacklog reports a point dropped because the run's write buffer is
	// full: the database has been failing or far slower than the logging.
	ErrBacklog = errors.New("tracker: write backlog full, point dropped")
	// ErrNotStored reports a run ended while its database could not be
	// written for longer than the store's end wait (WithEndWait): the data
	// it names was not stored.
	ErrNotStored = errors.New("tracker: the database could not be written before the run ended")
)

// RunStatus is the state of a run.
type RunStatus string

// The four run states. A run starts RUNNING and ends in one of the others.
const (
	StatusRunning  RunStatus = "RUNNING"
	StatusFinished RunStatus = "FINISHED"
	StatusFailed   RunStatus = "FAILED"
	// StatusKilled marks a run interrupted (Run.Kill, Ctrl-C) or one whose
	// heartbeat stopped (crash, SIGKILL, power loss).
	StatusKilled RunStatus = "KILLED"
)

// ParseRunStatus returns the status named by s, case-insensitively.
func ParseRunStatus(s string) (RunStatus, error) {
	switch st := RunStatus(strings.ToUpper(strings.TrimSpace(s))); st {
	case StatusRunning, StatusFinished, StatusFailed, StatusKilled:
		return st, nil
	}
	return "", fmt.Errorf("tracker: unknown run status %q (want RUNNING, FINISHED, FAILED or KILLED)", s)
}

// Experiment groups runs under a name.
type Experiment struct {
	Name     string    `json:"name"`
	Created  time.Time `json:"created"`
	RunCount int       `json:"run_count"`
}

// RunInfo is what is stored about a run: its identity, status, parameters,
// tags, a summary of each metric and its reproducibility record.
type RunInfo struct {
	ID         string    `json:"id"`
	Experiment string    `json:"experiment"`
	Name       string    `json:"name"`
	Status     RunStatus `json:"status"`
	// Error is the message passed to Run.Fail, or why the run was killed.
	Error     string    `json:"error,omitempty"`
	StartTime time.Time `json:"start_time"`
	// EndTime is zero while the run is RUNNING.
	EndTime   time.Time `json:"end_time,omitzero"`
	Heartbeat time.Time `json:"heartbeat"`
	// HeartbeatTimeout is how long the run may go without a heartbeat before
	// it counts as KILLED; the run's writer chose it.
	HeartbeatTimeout time.Duration `json:"heartbeat_timeout_ns"`
	// ParentID and ReproducedFrom link the run to other runs, or are empty.
	ParentID       string                   `json:"parent_id,omitempty"`
	ReproducedFrom string                   `json:"reproduced_from,omitempty"`
	Params         map[string]string        `json:"params"`
	Tags           map[string]string        `json:"tags"`
	Metrics        map[string]MetricSummary `json:"metrics"`
	Record         *ReproRecord             `json:"record,omitempty"`
}

// Duration is how long the run lasted, or has lasted until now when it is
// still RUNNING.
func (r RunInfo) Duration() time.Duration {
	if r.EndTime.IsZero() {
		return time.Since(r.StartTime)
	}
	return r.EndTime.Sub(r.StartTime)
}

// Param is one named parameter of a run. Values are stored as text; Number
// is set when the text is a finite number, so that filters compare it
// numerically.
type Param struct {
	Key    string   `json:"key"`
	Value  string   `json:"value"`
	Number *float64 `json:"number,omitempty"`
}

// NewParam builds a Param, detecting numeric values.
func NewParam(key, value string) Param {
	p := Param{Key: key, Value: value}
	if f, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
		p.Number = &f
	}
	return p
}

// FormatParam renders a parameter value as text: numbers in the shortest form
// that reads back exactly (float32 values as float32, so 2e-4 stays "0.0002"),
// booleans as true/false, fmt.Stringers through String, the rest through fmt.
func FormatParam(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case uint:
		return strconv.FormatUint(uint64(x), 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case uint32:
		return strconv.FormatUint(uint64(x), 10)
	case bool:
		return strconv.FormatBool(x)
	case time.Duration:
		return x.String()
	case fmt.Stringer:
		return x.String()
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// MetricPoint is one logged value of a metric. Time has millisecond
// precision once stored. Value may be NaN or ±Inf; both are stored and read
// back as such, and JSON carries them as the strings "NaN", "+Inf", "-Inf".
type MetricPoint struct {
	Key   string    `json:"key"`
	Step  int64     `json:"step"`
	Time  time.Time `json:"time"`
	Value float64   `json:"value"`
}

// MarshalJSON writes non-finite values as strings, which encoding/json
// cannot otherwise represent.
func (p MetricPoint) MarshalJSON() ([]byte, error) {
	type plain MetricPoint
	return json.Marshal(struct {
		plain
		Value JSONFloat `json:"value"`
	}{plain(p), JSONFloat(p.Value)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (p *MetricPoint) UnmarshalJSON(b []byte) error {
	type plain MetricPoint
	var v struct {
		plain
		Value JSONFloat `json:"value"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = MetricPoint(v.plain)
	p.Value = float64(v.Value)
	return nil
}

// MetricSummary describes a metric's whole series in a run: its latest point
// (the one with the highest step; the last logged among equal steps), its
// minimum over the non-NaN values and the number of points.
type MetricSummary struct {
	Key      string    `json:"key"`
	Count    int64     `json:"count"`
	LastStep int64     `json:"last_step"`
	LastTime time.Time `json:"last_time"`
	Last     float64   `json:"last"`
	// Min is NaN when every value is NaN.
	Min     float64 `json:"min"`
	MinStep int64   `json:"min_step"`
}

// MarshalJSON writes non-finite values as strings.
func (m MetricSummary) MarshalJSON() ([]byte, error) {
	type plain MetricSummary
	return json.Marshal(struct {
		plain
		Last JSONFloat `json:"last"`
		Min  JSONFloat `json:"min"`
	}{plain(m), JSONFloat(m.Last), JSONFloat(m.Min)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (m *MetricSummary) UnmarshalJSON(b []byte) error {
	type plain MetricSummary
	var v struct {
		plain
		Last JSONFloat `json:"last"`
		Min  JSONFloat `json:"min"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*m = MetricSummary(v.plain)
	m.Last, m.Min = float64(v.Last), float64(v.Min)
	return nil
}

// JSONFloat is a float64 whose JSON form is a number when finite and the
// string "NaN", "+Inf" or "-Inf" otherwise.
type JSONFloat float64

// MarshalJSON implements json.Marshaler.
func (f JSONFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte(`"NaN"`), nil
	case math.IsInf(v, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-Inf"`), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *JSONFloat) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		switch s {
		case "NaN":
			*f = JSONFloat(math.NaN())
		case "+Inf", "Inf":
			*f = JSONFloat(math.Inf(1))
		case "-Inf":
			*f = JSONFloat(math.Inf(-1))
		default:
			return fmt.Errorf("tracker: bad float %q", s)
		}
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = JSONFloat(v)
	return nil
}

// ImageInfo describes a stored image without its bytes.
type ImageInfo struct {
	Key  string    `json:"key"`
	Step int64     `json:"step"`
	Time time.Time `json:"time"`
	Size int       `json:"size"`
}

// Image is a stored PNG image.
type Image struct {
	ImageInfo
	PNG []byte `json:"-"`
}

// Tag is a key/value label of a run; tags, unlike params, may change.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// RunQuery selects and orders runs.
type RunQuery struct {
	// Filter is a filter expression (see ParseFilter); empty selects all runs.
	Filter string
	// OrderBy is a comma-separated list of fields, each optionally followed
	// by ASC or DESC (see ParseOrder); empty orders by start_time DESC.
	OrderBy string
	// Limit caps the number of runs returned; 0 means no limit.
	Limit int
	// Offset skips that many runs of the ordered result.
	Offset int
}

// Comparison lines up several runs: every parameter key with each run's
// value, and every metric with each run's summary.
type Comparison struct {
	Runs    []RunInfo          `json:"runs"`
	Params  []ParamComparison  `json:"params"`
	Metrics []MetricComparison `json:"metrics"`
}

// ParamComparison is one parameter across the compared runs.
type ParamComparison struct {
	Key string `json:"key"`
	// Values holds one entry per compared run, in the order of Comparison.Runs.
	Values []ParamValue `json:"values"`
	// Differs is true when the runs do not all have the same value (a run
	// without the parameter differs from one with it).
	Differs bool `json:"differs"`
}

// ParamValue is one run's value of a parameter; Set is false when the run
// has no such parameter.
type ParamValue struct {
	Value string `json:"value"`
	Set   bool   `json:"set"`
}

// MetricComparison is one metric across the compared runs.
type MetricComparison struct {
	Key string `json:"key"`
	// Values holds one summary per compared run, in the order of
	// Comparison.Runs; Count is 0 for a run that never logged the metric.
	Values []MetricSummary `json:"values"`
}

// DifferingParams returns the parameters whose values differ across the runs.
func (c Comparison) DifferingParams() []ParamComparison {
	var out []ParamComparison
	for _, p := range c.Params {
		if p.Differs {
			out = append(out, p)
		}
	}
	return out
}

// FormatMetric writes a metric value with five significant digits and the
// non-finite values as NaN, +Inf and -Inf: how the CLI and the web UI show
// metrics, so that the two agree.
func FormatMetric(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', 5, 64)
}
