package mlflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestFloatJSON(t *testing.T) {
	tests := []struct {
		v    float64
		json string // protobuf's JSON mapping of a double
	}{
		{1.5, `1.5`},
		{-0.1, `-0.1`},
		{math.NaN(), `"NaN"`},
		{math.Inf(1), `"Infinity"`},
		{math.Inf(-1), `"-Infinity"`},
		{math.MaxFloat64, `1.7976931348623157e+308`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(Float(tt.v))
		if err != nil || string(b) != tt.json {
			t.Errorf("Marshal(%v) = %s, %v; want %s", tt.v, b, err, tt.json)
		}
		var back Float
		if err := json.Unmarshal([]byte(tt.json), &back); err != nil || !(float64(back) == tt.v || math.IsNaN(tt.v) && math.IsNaN(float64(back))) {
			t.Errorf("Unmarshal(%s) = %v, %v; want %v", tt.json, back, err, tt.v)
		}
	}
}

func TestKeyAndImagePath(t *testing.T) {
	tests := []struct{ in, key string }{
		{"d_loss", "d_loss"},
		{"fid/test", "fid/test"},
		{"lr (D)", "lr _D_"},
		{"a:b c.d-e", "a:b c.d-e"},
	}
	for _, tt := range tests {
		if got := Key(tt.in); got != tt.key {
			t.Errorf("Key(%q) = %q, want %q", tt.in, got, tt.key)
		}
	}
	paths := []struct {
		key  string
		step int64
		want string
	}{
		{"samples", 100, "ganbook/images/samples/step_100.png"},
		{"fixed/z", 0, "ganbook/images/fixed/z/step_0.png"},
		{"../up", 5, "ganbook/images/_/up/step_5.png"},
		{"a?b", 1, "ganbook/images/a_b/step_1.png"},
	}
	for _, tt := range paths {
		if got := ImagePath(tt.key, tt.step); got != tt.want {
			t.Errorf("ImagePath(%q, %d) = %q, want %q", tt.key, tt.step, got, tt.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in      string
		n       int
		want    string
		wantCut bool
	}{
		{"short", 10, "short", false},
		{strings.Repeat("a", 10), 10, strings.Repeat("a", 10), false},
		{strings.Repeat("a", 11), 10, "aaaaaaa…", true}, // 7 bytes + 3 for …
		{"ééééé", 8, "éé…", true},                       // never cuts inside a rune
	}
	for _, tt := range tests {
		got, cut := truncate(tt.in, tt.n)
		if got != tt.want || cut != tt.wantCut || len(got) > tt.n {
			t.Errorf("truncate(%q, %d) = %q, %v; want %q, %v", tt.in, tt.n, got, cut, tt.want, tt.wantCut)
		}
	}
}

// LogBatch splits what it is given into calls within MLflow's limits and
// sends everything exactly once, params and tags before metrics.
func TestLogBatchLimits(t *testing.T) {
	var mu sync.Mutex
	var calls []struct {
		Metrics []Metric `json:"metrics"`
		Params  []Param  `json:"params"`
		Tags    []Tag    `json:"tags"`
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/api/2.0/mlflow/runs/log-batch" || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "unexpected "+r.URL.Path, http.StatusBadRequest)
			return
		}
		if strings.Contains(string(b), "null") {
			http.Error(w, `{"error_code":"INTERNAL_ERROR","message":"null list"}`, http.StatusInternalServerError)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		var call struct {
			Metrics []Metric `json:"metrics"`
			Params  []Param  `json:"params"`
			Tags    []Tag    `json:"tags"`
		}
		if err := json.Unmarshal(b, &call); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		calls = append(calls, call)
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	c, err := NewClient("mlflow+" + srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		metrics, params, tags int
		wantCalls             int
	}{
		{0, 0, 1, 1},
		{2500, 0, 0, 3},
		{950, 100, 100, 2}, // 1,000 entities at most per call
		{10, 250, 30, 3},
	}
	for _, tt := range tests {
		calls = nil
		var ms []Metric
		for i := range tt.metrics {
			ms = append(ms, Metric{Key: "m", Value: Float(i), Timestamp: time.Now().UnixMilli(), Step: int64(i)})
		}
		var ps []Param
		for i := range tt.params {
			ps = append(ps, Param{fmt.Sprint("p", i), "v"})
		}
		var ts []Tag
		for i := range tt.tags {
			ts = append(ts, Tag{fmt.Sprint("t", i), "v"})
		}
		if err := c.LogBatch(context.Background(), "r", ms, ps, ts); err != nil {
			t.Fatal(err)
		}
		var nm, np, nt int
		seenMetrics := false
		for i, call := range calls {
			if len(call.Metrics) > MaxMetricsPerBatch || len(call.Params) > MaxParamsTagsPerBatch || len(call.Tags) > MaxParamsTagsPerBatch ||
				len(call.Metrics)+len(call.Params)+len(call.Tags) > MaxEntitiesPerBatch {
				t.Errorf("%+v: call %d carries %d metrics, %d params, %d tags: over MLflow's limits", tt, i, len(call.Metrics), len(call.Params), len(call.Tags))
			}
			if len(call.Params) > 0 && seenMetrics {
				t.Errorf("%+v: call %d sends params after metrics were sent", tt, i)
			}
			seenMetrics = seenMetrics || len(call.Metrics) > 0
			for j, m := range call.Metrics {
				if m.Step != int64(nm+j) {
					t.Fatalf("%+v: metric out of order: step %d, want %d", tt, m.Step, nm+j)
				}
			}
			nm, np, nt = nm+len(call.Metrics), np+len(call.Params), nt+len(call.Tags)
		}
		if nm != tt.metrics || np != tt.params || nt != tt.tags || len(calls) != tt.wantCalls {
			t.Errorf("%+v: sent %d metrics, %d params, %d tags in %d calls", tt, nm, np, nt, len(calls))
		}
	}
}

func TestUploadArtifact(t *testing.T) {
	var gotPath, gotBody string
	handler := func(server string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			gotPath, gotBody = server+" "+r.URL.EscapedPath(), string(b)
			if r.Method != http.MethodPut {
				http.Error(w, "want PUT", http.StatusMethodNotAllowed)
			}
		}
	}
	srv := httptest.NewServer(handler("tracking"))
	defer srv.Close()
	art := httptest.NewServer(handler("artifacts")) // a separate artifact server
	defer art.Close()
	c, err := NewClient("mlflow+" + srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		uri, path string
		wantPath  string // what MLflow's artifact proxy is asked for
		wantErr   error
	}{
		{"mlflow-artifacts:/1/abc/artifacts", "ganbook/record.json", "tracking /api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/ganbook/record.json", nil},
		{"mlflow-artifacts://" + art.Listener.Addr().String() + "/1/abc/artifacts", "ganbook/images/a b/step_1.png", "artifacts /api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/ganbook/images/a%20b/step_1.png", nil},
		{"s3://bucket/1/abc/artifacts", "x.png", "", ErrNoArtifactProxy},
		{"/var/mlruns/1/abc/artifacts", "x.png", "", ErrNoArtifactProxy},
	}
	for _, tt := range tests {
		gotPath = ""
		err := c.UploadArtifact(context.Background(), tt.uri, tt.path, []byte("data"))
		if !errors.Is(err, tt.wantErr) || gotPath != tt.wantPath || (tt.wantErr == nil && gotBody != "data") {
			t.Errorf("UploadArtifact(%q, %q): %v, server asked for %q; want %v, %q", tt.uri, tt.path, err, gotPath, tt.wantErr, tt.wantPath)
		}
	}
}
