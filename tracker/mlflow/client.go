package mlflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Request limits of MLflow's tracking server (mlflow/utils/validation.py,
// MLflow 2.x): a log-batch call carries at most 1000 metrics, 100 params
// and 100 tags, 1000 entities in all; values are capped in length.
const (
	MaxMetricsPerBatch    = 1000
	MaxParamsTagsPerBatch = 100
	MaxEntitiesPerBatch   = 1000
	MaxParamValueLength   = 6000
	MaxTagValueLength     = 8000
	MaxKeyLength          = 250
)

// Client calls an MLflow tracking server's REST API.
type Client struct {
	base *url.URL
	http *http.Client
}

// NewClient returns a client of the server at address, written
// mlflow+http://HOST:PORT (the form ganbook's --to takes), or plainly
// http://HOST:PORT or https://HOST:PORT.
func NewClient(address string) (*Client, error) {
	raw := strings.TrimPrefix(address, "mlflow+")
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("mlflow: bad server address %q (want mlflow+http://HOST:PORT)", address)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return &Client{base: u, http: &http.Client{Timeout: 2 * time.Minute}}, nil
}

// String is the server's address.
func (c *Client) String() string { return c.base.String() }

// APIError is an error answer of the server.
type APIError struct {
	Method, Path string
	HTTPStatus   int
	Code         string // MLflow's error_code, e.g. RESOURCE_DOES_NOT_EXIST
	Message      string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("mlflow: %s %s: HTTP %d %s: %s", e.Method, e.Path, e.HTTPStatus, e.Code, e.Message)
}

// IsNotFound reports whether err is MLflow's RESOURCE_DOES_NOT_EXIST.
func IsNotFound(err error) bool {
	var e *APIError
	return errors.As(err, &e) && (e.Code == "RESOURCE_DOES_NOT_EXIST" || e.HTTPStatus == http.StatusNotFound)
}

// do sends a request of the REST API and decodes the answer into out.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("mlflow: %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	return c.send(ctx, method, path, query, body, "application/json", out)
}

func (c *Client) send(ctx context.Context, method, path string, query url.Values, body io.Reader, contentType string, out any) error {
	target := c.base.String() + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return fmt.Errorf("mlflow: %s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("mlflow: cannot reach the server at %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("mlflow: %s %s: reading the answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		e := &APIError{Method: method, Path: path, HTTPStatus: resp.StatusCode}
		var answer struct {
			Code    string `json:"error_code"`
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &answer) == nil && answer.Message != "" {
			e.Code, e.Message = answer.Code, answer.Message
		} else {
			e.Message = strings.TrimSpace(string(data))
			if len(e.Message) > 300 {
				e.Message = e.Message[:300] + "…"
			}
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("mlflow: %s %s: unexpected answer: %w", method, path, err)
	}
	return nil
}

// Experiment is an MLflow experiment.
type Experiment struct {
	ID               string `json:"experiment_id"`
	Name             string `json:"name"`
	ArtifactLocation string `json:"artifact_location"`
	LifecycleStage   string `json:"lifecycle_stage"`
}

// ExperimentByName returns the experiment of that name; the error satisfies
// IsNotFound when there is none.
func (c *Client) ExperimentByName(ctx context.Context, name string) (Experiment, error) {
	var out struct {
		Experiment Experiment `json:"experiment"`
	}
	err := c.do(ctx, http.MethodGet, "/api/2.0/mlflow/experiments/get-by-name", url.Values{"experiment_name": {name}}, nil, &out)
	return out.Experiment, err
}

// CreateExperiment creates an experiment and returns its id.
func (c *Client) CreateExperiment(ctx context.Context, name string) (string, error) {
	var out struct {
		ID string `json:"experiment_id"`
	}
	err := c.do(ctx, http.MethodPost, "/api/2.0/mlflow/experiments/create", nil, map[string]string{"name": name}, &out)
	return out.ID, err
}

// Tag is a run tag.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Param is a run parameter.
type Param struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Metric is one point of a metric; Timestamp is in Unix milliseconds.
type Metric struct {
	Key       string `json:"key"`
	Value     Float  `json:"value"`
	Timestamp int64  `json:"timestamp"`
	Step      int64  `json:"step"`
}

// Float is a metric value. MLflow's JSON (protobuf's JSON mapping) writes
// non-finite doubles as the strings "NaN", "Infinity" and "-Infinity".
type Float float64

// MarshalJSON implements json.Marshaler.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte(`"NaN"`), nil
	case math.IsInf(v, 1):
		return []byte(`"Infinity"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-Infinity"`), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *Float) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		switch s {
		case "NaN":
			*f = Float(math.NaN())
		case "Infinity", "inf", "+Infinity":
			*f = Float(math.Inf(1))
		case "-Infinity", "-inf":
			*f = Float(math.Inf(-1))
		default:
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return fmt.Errorf("mlflow: bad metric value %q", s)
			}
			*f = Float(v)
		}
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	*f = Float(v)
	return err
}

// RunInfo is the identity and state of an MLflow run; times are Unix
// milliseconds, EndTime 0 while the run has not ended.
type RunInfo struct {
	RunID          string `json:"run_id"`
	ExperimentID   string `json:"experiment_id"`
	RunName        string `json:"run_name"`
	Status         string `json:"status"`
	StartTime      int64  `json:"start_time"`
	EndTime        int64  `json:"end_time"`
	ArtifactURI    string `json:"artifact_uri"`
	LifecycleStage string `json:"lifecycle_stage"`
}

// Run is an MLflow run with its latest metrics, params and tags.
type Run struct {
	Info RunInfo `json:"info"`
	Data struct {
		Metrics []Metric `json:"metrics"`
		Params  []Param  `json:"params"`
		Tags    []Tag    `json:"tags"`
	} `json:"data"`
}

// Tag returns the value of a tag of the run and whether it is set.
func (r Run) Tag(key string) (string, bool) {
	for _, t := range r.Data.Tags {
		if t.Key == key {
			return t.Value, true
		}
	}
	return "", false
}

// CreateRun creates a RUNNING run in an experiment.
func (c *Client) CreateRun(ctx context.Context, experimentID, name string, start time.Time, tags []Tag) (Run, error) {
	var out struct {
		Run Run `json:"run"`
	}
	err := c.do(ctx, http.MethodPost, "/api/2.0/mlflow/runs/create", nil, map[string]any{
		"experiment_id": experimentID,
		"run_name":      name,
		"start_time":    start.UnixMilli(),
		"tags":          append([]Tag{}, tags...),
	}, &out)
	return out.Run, err
}

// GetRun returns a run.
func (c *Client) GetRun(ctx context.Context, runID string) (Run, error) {
	var out struct {
		Run Run `json:"run"`
	}
	err := c.do(ctx, http.MethodGet, "/api/2.0/mlflow/runs/get", url.Values{"run_id": {runID}}, nil, &out)
	return out.Run, err
}

// SearchRuns returns the active runs of the experiments that match an
// MLflow filter expression, following every page.
func (c *Client) SearchRuns(ctx context.Context, experimentIDs []string, filter string) ([]Run, error) {
	var runs []Run
	token := ""
	for {
		req := map[string]any{"experiment_ids": experimentIDs, "filter": filter, "max_results": 1000}
		if token != "" {
			req["page_token"] = token
		}
		var out struct {
			Runs  []Run  `json:"runs"`
			Token string `json:"next_page_token"`
		}
		if err := c.do(ctx, http.MethodPost, "/api/2.0/mlflow/runs/search", nil, req, &out); err != nil {
			return nil, err
		}
		runs = append(runs, out.Runs...)
		if out.Token == "" {
			return runs, nil
		}
		token = out.Token
	}
}

// LogBatch logs metrics, params and tags to a run, in as many log-batch
// calls as MLflow's request limits need. Params and tags go first, so that
// a call that fails leaves no metric without its run's params.
func (c *Client) LogBatch(ctx context.Context, runID string, metrics []Metric, params []Param, tags []Tag) error {
	for len(params) > 0 || len(tags) > 0 || len(metrics) > 0 {
		np := min(len(params), MaxParamsTagsPerBatch)
		nt := min(len(tags), MaxParamsTagsPerBatch)
		nm := 0
		if np == len(params) && nt == len(tags) {
			nm = min(len(metrics), MaxMetricsPerBatch, MaxEntitiesPerBatch-np-nt)
		}
		// MLflow fails on a null list (HTTP 500): empty lists are sent as [].
		req := map[string]any{"run_id": runID, "params": append([]Param{}, params[:np]...),
			"tags": append([]Tag{}, tags[:nt]...), "metrics": append([]Metric{}, metrics[:nm]...)}
		if err := c.do(ctx, http.MethodPost, "/api/2.0/mlflow/runs/log-batch", nil, req, nil); err != nil {
			return err
		}
		params, tags, metrics = params[np:], tags[nt:], metrics[nm:]
	}
	return nil
}

// UpdateRun sets a run's status (RUNNING, FINISHED, FAILED or KILLED) and,
// when end is not zero, its end time.
func (c *Client) UpdateRun(ctx context.Context, runID, status string, end time.Time) error {
	req := map[string]any{"run_id": runID, "status": status}
	if !end.IsZero() {
		req["end_time"] = end.UnixMilli()
	}
	return c.do(ctx, http.MethodPost, "/api/2.0/mlflow/runs/update", nil, req, nil)
}

// MetricHistory returns every point of a run's metric.
func (c *Client) MetricHistory(ctx context.Context, runID, key string) ([]Metric, error) {
	var points []Metric
	token := ""
	for {
		q := url.Values{"run_id": {runID}, "metric_key": {key}}
		if token != "" {
			q.Set("page_token", token)
		}
		var out struct {
			Metrics []Metric `json:"metrics"`
			Token   string   `json:"next_page_token"`
		}
		if err := c.do(ctx, http.MethodGet, "/api/2.0/mlflow/metrics/get-history", q, nil, &out); err != nil {
			return nil, err
		}
		points = append(points, out.Metrics...)
		if out.Token == "" {
			return points, nil
		}
		token = out.Token
	}
}

// FileInfo is one entry of a run's artifact listing.
type FileInfo struct {
	Path     string `json:"path"`
	IsDir    bool   `json:"is_dir"`
	FileSize int64  `json:"file_size"`
}

// ListArtifacts lists the artifacts of a run under dir ("" for the root),
// descending into directories.
func (c *Client) ListArtifacts(ctx context.Context, runID, dir string) ([]FileInfo, error) {
	var out struct {
		Files []FileInfo `json:"files"`
	}
	q := url.Values{"run_id": {runID}}
	if dir != "" {
		q.Set("path", dir)
	}
	if err := c.do(ctx, http.MethodGet, "/api/2.0/mlflow/artifacts/list", q, nil, &out); err != nil {
		return nil, err
	}
	var files []FileInfo
	for _, f := range out.Files {
		if !f.IsDir {
			files = append(files, f)
			continue
		}
		sub, err := c.ListArtifacts(ctx, runID, f.Path)
		if err != nil {
			return nil, err
		}
		files = append(files, sub...)
	}
	return files, nil
}

// ErrNoArtifactProxy reports a server that does not proxy artifact uploads.
var ErrNoArtifactProxy = errors.New("mlflow: the server does not proxy artifacts (start it with mlflow server --serve-artifacts)")

// UploadArtifact stores data as the artifact at path (slash-separated,
// relative to the run's artifact root) of a run whose artifact URI is
// artifactURI, through the server's artifact proxy.
func (c *Client) UploadArtifact(ctx context.Context, artifactURI, path string, data []byte) error {
	u, err := url.Parse(artifactURI)
	if err != nil || u.Scheme != "mlflow-artifacts" {
		return fmt.Errorf("%w: the run's artifact URI is %q", ErrNoArtifactProxy, artifactURI)
	}
	root := strings.Trim(u.Path, "/")
	p := "/api/2.0/mlflow-artifacts/artifacts/" + escapePath(root+"/"+path)
	target := c
	if u.Host != "" && u.Host != c.base.Host {
		// mlflow-artifacts://HOST:PORT/… names a separate artifact server,
		// reached with the tracking server's scheme, as MLflow's client does.
		target = &Client{base: &url.URL{Scheme: c.base.Scheme, Host: u.Host}, http: c.http}
	}
	return target.send(ctx, http.MethodPut, p, nil, bytes.NewReader(data), "application/octet-stream", nil)
}

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}
