package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ganbook/ganbook/tracker"
	"github.com/ganbook/ganbook/tracker/mlflow"
)

// ganbookCache is ganbook's cache directory, where scripts/deps/mlflow.sh
// puts MLflow's virtual environment.
func ganbookCache() string {
	if v := os.Getenv("GANBOOK_CACHE"); v != "" {
		return v
	}
	if v := os.Getenv("XDG_CACHE_HOME"); v != "" {
		return filepath.Join(v, "ganbook")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "ganbook")
}

// mlflowServer is a real MLflow tracking server started for a test.
type mlflowServer struct {
	url    string // http://127.0.0.1:PORT
	python string // the venv's python, with MLflow's client
}

// startMLflow starts MLflow from its venv on a free loopback port with a
// SQLite backend store and a local artifact directory. Without the venv the
// test skips, and fails with CI=true.
func startMLflow(t *testing.T) *mlflowServer {
	t.Helper()
	venv := filepath.Join(ganbookCache(), "venv-mlflow")
	bin := filepath.Join(venv, "bin", "mlflow")
	// scripts/deps/mlflow.sh stamps the venv with the hash of the pinned
	// requirements it installed: a missing or stale venv is not used.
	req, err := os.ReadFile(filepath.Join("..", "..", "scripts", "deps", "mlflow-requirements.txt"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(req)
	if stamp, err := os.ReadFile(filepath.Join(venv, ".requirements.sha256")); err != nil || strings.TrimSpace(string(stamp)) != hex.EncodeToString(sum[:]) {
		msg := fmt.Sprintf("MLflow not installed at %s as scripts/deps/mlflow-requirements.txt pins it (run scripts/deps/mlflow.sh)", venv)
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true: " + msg)
		}
		t.Skip(msg)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	cmd := exec.Command(bin, "server", "--host", "127.0.0.1", "--port", strconv.Itoa(port), "--workers", "1",
		"--backend-store-uri", "sqlite:///"+filepath.Join(dir, "mlflow.db"),
		"--artifacts-destination", filepath.Join(dir, "artifacts"))
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // gunicorn's workers die with it
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	s := &mlflowServer{url: fmt.Sprintf("http://127.0.0.1:%d", port), python: filepath.Join(venv, "bin", "python")}
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get(s.url + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case <-exited:
			t.Fatalf("mlflow server exited:\n%s", log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("mlflow server not up after 90 s:\n%s", log.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// mlRun is one run as MLflow's own Python client reads it back
// (testdata/mlflow_dump.py).
type mlRun struct {
	Experiment      string            `json:"experiment"`
	ExperimentStage string            `json:"experiment_stage"`
	RunID           string            `json:"run_id"`
	RunName         string            `json:"run_name"`
	Status          string            `json:"status"`
	StartTime       int64             `json:"start_time"`
	EndTime         *int64            `json:"end_time"`
	LifecycleStage  string            `json:"lifecycle_stage"`
	Params          map[string]string `json:"params"`
	Tags            map[string]string `json:"tags"`
	Metrics         map[string][]struct {
		Step      int64  `json:"step"`
		Timestamp int64  `json:"timestamp"`
		Value     string `json:"value"`
	} `json:"metrics"`
	Artifacts map[string]struct {
		SHA256 string `json:"sha256"`
		Size   int    `json:"size"`
		Text   string `json:"text"`
	} `json:"artifacts"`
}

// dump reads every run of the server through MLflow's Python client.
func (s *mlflowServer) dump(t *testing.T) []mlRun {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("testdata", "mlflow_dump.py"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(s.python, script, s.url)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "MLFLOW_TRACKING_URI="+s.url)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("mlflow_dump.py: %v\n%s", err, stderr.String())
	}
	var runs []mlRun
	if err := json.Unmarshal(out, &runs); err != nil {
		t.Fatalf("mlflow_dump.py output: %v\n%s", err, out)
	}
	return runs
}

// counts is how many runs, params, tags, metric points and artifacts the
// server holds: a sync that adds nothing leaves them unchanged.
func counts(runs []mlRun) map[string]int {
	c := map[string]int{"runs": len(runs)}
	for _, r := range runs {
		c["params"] += len(r.Params)
		c["tags"] += len(r.Tags)
		c["artifacts"] += len(r.Artifacts)
		for _, pts := range r.Metrics {
			c["points"] += len(pts)
		}
	}
	return c
}

func byGanbookID(t *testing.T, runs []mlRun, id string) mlRun {
	t.Helper()
	var found []mlRun
	for _, r := range runs {
		if r.Tags["ganbook.source_run_id"] == id {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d MLflow runs copy ganbook run %s, want 1", len(found), id)
	}
	return found[0]
}

func pngGrid(t *testing.T, shade uint8) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 6, 4))
	img.Set(2, 1, color.Gray{shade})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// mlflowFixture is a tracker database holding the runs the MLflow tests sync.
type mlflowFixture struct {
	db       string
	store    *tracker.Store
	finished string // FINISHED: non-finite points, 2,500-point series, images, tags, record, a 7,000-char param
	failed   string // FAILED, linked to finished
	live     *tracker.Run
}

const longParamLen = 7000

func newMLflowFixture(t *testing.T) *mlflowFixture {
	t.Helper()
	ctx := context.Background()
	f := &mlflowFixture{db: filepath.Join(t.TempDir(), "ganbook.db")}
	var err error
	f.store, err = tracker.Open(f.db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.store.Close() })
	rec := tracker.ReproRecord{GitCommit: "0123abc", GoVersion: "go1.26.8", OS: "linux", Arch: "amd64", NumCPU: 2, Seed: 42,
		Config: json.RawMessage(`{"lr_d":0.0002}`), CommandLine: []string{"ganbook", "train", "--seed", "42"},
		Modules: map[string]string{"github.com/gomlx/gomlx": "v0.28.2"}}
	run, err := f.store.StartRun(ctx, "mnist-gan", "baseline",
		map[string]any{"lr_d": 2e-4, "model": "mlp", "notes": strings.Repeat("x", longParamLen)},
		tracker.WithTags(map[string]string{"team": "vision"}), tracker.WithRecord(rec))
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range []float64{1.5, math.NaN(), math.Inf(1), math.Inf(-1), 0.25} {
		run.LogMetric("d_loss", int64(i), v)
	}
	for i := range 2500 {
		run.LogMetric("g_loss", int64(i), math.Sin(float64(i)))
	}
	run.LogImage("samples", 0, pngGrid(t, 10))
	run.LogImage("samples", 500, pngGrid(t, 200))
	run.LogImage("fixed/z", 500, pngGrid(t, 99))
	if err := run.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	f.finished = run.ID()
	failed, err := f.store.StartRun(ctx, "mnist-gan", "lr-too-high", map[string]any{"lr_d": 0.1}, tracker.WithParent(run.ID()))
	if err != nil {
		t.Fatal(err)
	}
	failed.LogMetric("d_loss", 0, 3)
	if err := failed.Fail(ctx, errors.New("diverged at step 1")); err != nil {
		t.Fatal(err)
	}
	f.failed = failed.ID()
	f.live, err = f.store.StartRun(ctx, "mnist-gan", "live", map[string]any{"lr_d": 1e-3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.live.Close() })
	for i := range 10 {
		f.live.LogMetric("d_loss", int64(i), float64(i))
	}
	if err := f.live.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return f
}

// mlflowValue is what MLflow's SQL store keeps of a value: its documented
// rule is that ±Inf are stored as ±1.7976931348623157e308.
func mlflowValue(v float64) float64 {
	switch {
	case math.IsInf(v, 1):
		return 1.7976931348623157e308
	case math.IsInf(v, -1):
		return -1.7976931348623157e308
	}
	return v
}

// checkMirrors compares the MLflow copy of a run with the run in the store,
// point by point.
func checkMirrors(t *testing.T, store *tracker.Store, got mlRun, id string) {
	t.Helper()
	ctx := context.Background()
	want, err := store.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.RunName != want.Name || got.Status != string(want.Status) || got.StartTime != want.StartTime.UnixMilli() || got.Experiment != want.Experiment {
		t.Errorf("run %s: MLflow has %s %q %s start %d; want %s %q %s start %d", id, got.Experiment, got.RunName, got.Status, got.StartTime,
			want.Experiment, want.Name, want.Status, want.StartTime.UnixMilli())
	}
	if want.Status == tracker.StatusRunning {
		if got.EndTime != nil {
			t.Errorf("run %s is RUNNING but MLflow has end time %d", id, *got.EndTime)
		}
	} else if got.EndTime == nil || *got.EndTime != want.EndTime.UnixMilli() {
		t.Errorf("run %s: MLflow end time %v, want %d", id, got.EndTime, want.EndTime.UnixMilli())
	}
	if len(got.Params) != len(want.Params) {
		t.Errorf("run %s: MLflow params %v, want %v", id, got.Params, want.Params)
	}
	for k, v := range want.Params {
		if len(v) > 6000 { // MLflow 2.x's limit on a param value
			if g := got.Params[k]; len(g) > 6000 || !strings.HasPrefix(v, strings.TrimSuffix(g, "…")) {
				t.Errorf("run %s: param %s (%d chars) is %d chars in MLflow, want a prefix of at most 6000", id, k, len(v), len(g))
			}
		} else if got.Params[k] != v {
			t.Errorf("run %s: param %s = %q in MLflow, want %q", id, k, got.Params[k], v)
		}
	}
	for k, v := range want.Tags {
		if got.Tags[k] != v {
			t.Errorf("run %s: tag %s = %q in MLflow, want %q", id, k, got.Tags[k], v)
		}
	}
	if got.Tags["ganbook.run_id"] != id {
		t.Errorf("run %s not marked synced: ganbook.run_id = %q", id, got.Tags["ganbook.run_id"])
	}
	if want.Error != "" && got.Tags["ganbook.error"] != want.Error {
		t.Errorf("run %s: ganbook.error %q, want %q", id, got.Tags["ganbook.error"], want.Error)
	}
	if want.ParentID != "" && got.Tags["ganbook.parent_id"] != want.ParentID {
		t.Errorf("run %s: ganbook.parent_id %q, want %q", id, got.Tags["ganbook.parent_id"], want.ParentID)
	}
	if len(got.Metrics) != len(want.Metrics) {
		t.Errorf("run %s: MLflow metrics %d keys, want %d", id, len(got.Metrics), len(want.Metrics))
	}
	for key := range want.Metrics {
		points, err := store.Metric(ctx, id, key)
		if err != nil {
			t.Fatal(err)
		}
		hist := got.Metrics[key]
		if len(hist) != len(points) {
			t.Errorf("run %s %s: %d points in MLflow, want %d", id, key, len(hist), len(points))
			continue
		}
		sort.SliceStable(hist, func(i, j int) bool { return hist[i].Step < hist[j].Step })
		for i, p := range points {
			h := hist[i]
			v, err := strconv.ParseFloat(h.Value, 64)
			if err != nil {
				t.Fatalf("MLflow value %q: %v", h.Value, err)
			}
			wantV := mlflowValue(p.Value)
			if h.Step != p.Step || h.Timestamp != p.Time.UnixMilli() || !(v == wantV || math.IsNaN(v) && math.IsNaN(wantV)) {
				t.Errorf("run %s %s point %d: MLflow step %d time %d value %v; want step %d time %d value %v (ganbook %v)",
					id, key, i, h.Step, h.Timestamp, v, p.Step, p.Time.UnixMilli(), wantV, p.Value)
			}
		}
	}
	images, err := store.Images(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := 0
	for _, im := range images {
		img, err := store.Image(ctx, id, im.Key, im.Step)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(img.PNG)
		path := fmt.Sprintf("ganbook/images/%s/step_%d.png", im.Key, im.Step)
		if a, ok := got.Artifacts[path]; !ok || a.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("run %s: artifact %s = %+v, want the image's %d bytes", id, path, a, len(img.PNG))
		}
		wantFiles++
	}
	if want.Record != nil {
		wantFiles++
		var rec, wantRec any
		b, _ := json.Marshal(want.Record)
		json.Unmarshal(b, &wantRec)
		if err := json.Unmarshal([]byte(got.Artifacts["ganbook/record.json"].Text), &rec); err != nil || !reflect.DeepEqual(rec, wantRec) {
			t.Errorf("run %s: record.json %q (%v), want %+v", id, got.Artifacts["ganbook/record.json"].Text, err, *want.Record)
		}
		for tag, v := range map[string]string{"git_commit": want.Record.GitCommit, "seed": strconv.FormatInt(want.Record.Seed, 10),
			"config": string(want.Record.Config), "go_version": want.Record.GoVersion} {
			if got.Tags["ganbook.record."+tag] != v {
				t.Errorf("run %s: tag ganbook.record.%s = %q, want %q", id, tag, got.Tags["ganbook.record."+tag], v)
			}
		}
	}
	if len(got.Artifacts) != wantFiles {
		t.Errorf("run %s: %d artifacts in MLflow, want %d", id, len(got.Artifacts), wantFiles)
	}
}

func syncCLI(t *testing.T, args ...string) result {
	t.Helper()
	return runGanbook(t, t.TempDir(), nil, append([]string{"sync"}, args...)...)
}

func TestSyncToMLflow(t *testing.T) {
	server := startMLflow(t)
	f := newMLflowFixture(t)
	to := "mlflow+" + server.url
	ctx := context.Background()

	r := syncCLI(t, "--from", f.db, "--to", to)
	if r.exitCode != 0 {
		t.Fatalf("sync: exit %d\n%s%s", r.exitCode, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "still RUNNING") || !strings.Contains(r.stdout, "cut to MLflow's length limits: param notes") {
		t.Errorf("sync output lacks the live run's or the cut param's line:\n%s", r.stdout)
	}
	runs := server.dump(t)
	if len(runs) != 3 {
		t.Fatalf("MLflow has %d runs, want 3", len(runs))
	}
	for _, id := range []string{f.finished, f.failed, f.live.ID()} {
		checkMirrors(t, f.store, byGanbookID(t, runs, id), id)
	}
	if parent, child := byGanbookID(t, runs, f.finished), byGanbookID(t, runs, f.failed); child.Tags["mlflow.parentRunId"] != parent.RunID {
		t.Errorf("child's mlflow.parentRunId = %q, want its parent's MLflow run %s", child.Tags["mlflow.parentRunId"], parent.RunID)
	}

	t.Run("second sync adds nothing", func(t *testing.T) {
		before := counts(runs) // as the first sync left MLflow
		r := syncCLI(t, "--from", f.db, "--to", to)
		if r.exitCode != 0 {
			t.Fatalf("sync: exit %d\n%s%s", r.exitCode, r.stdout, r.stderr)
		}
		if n := strings.Count(r.stdout, "already in MLflow"); n != 2 {
			t.Errorf("second sync: %d runs already in MLflow, want 2 (the ended ones):\n%s", n, r.stdout)
		}
		if after := counts(server.dump(t)); !reflect.DeepEqual(after, before) {
			t.Errorf("second sync changed MLflow: before %v, after %v", before, after)
		}
	})

	t.Run("new points of a live run are appended", func(t *testing.T) {
		for i := 10; i < 20; i++ {
			f.live.LogMetric("d_loss", int64(i), float64(i)*1.5)
		}
		f.live.LogMetric("g_loss", 0, math.NaN())
		f.live.LogImage("samples", 19, pngGrid(t, 77))
		if err := f.live.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		r := syncCLI(t, "--from", f.db, "--to", to, f.live.ID()[:8])
		if r.exitCode != 0 || !strings.Contains(r.stdout, "11 points, 1 artifacts") {
			t.Fatalf("sync of the live run: exit %d, want 11 new points and 1 artifact\n%s%s", r.exitCode, r.stdout, r.stderr)
		}
		checkMirrors(t, f.store, byGanbookID(t, server.dump(t), f.live.ID()), f.live.ID())
	})

	t.Run("watch mirrors the live run until it ends", func(t *testing.T) {
		cmd := exec.Command(ganbookBin, "sync", "--watch", "--interval", "100ms", "--from", f.db, "--to", to, f.live.ID())
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		for i := 20; i < 40; i++ {
			f.live.LogMetric("d_loss", int64(i), float64(i))
			time.Sleep(20 * time.Millisecond)
		}
		if err := f.live.Finish(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("sync --watch: %v\n%s", err, out.String())
			}
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("sync --watch still running 60 s after the run ended:\n%s", out.String())
		}
		checkMirrors(t, f.store, byGanbookID(t, server.dump(t), f.live.ID()), f.live.ID())
	})

	t.Run("an artifact upload failing halfway leaves the run unmarked", func(t *testing.T) {
		target, _ := url.Parse(server.url)
		proxy := httputil.NewSingleHostReverseProxy(target)
		var puts atomic.Int32
		front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPut && puts.Add(1) == 2 {
				http.Error(w, `{"error_code": "INTERNAL_ERROR", "message": "disk full"}`, http.StatusInternalServerError)
				return
			}
			proxy.ServeHTTP(w, r)
		}))
		defer front.Close()
		r := syncCLI(t, "--from", f.db, "--to", "mlflow+"+front.URL, "--experiment", "halfway", f.finished)
		if r.exitCode == 0 || !strings.Contains(r.stderr, "not fully copied") || !strings.Contains(r.stderr, "disk full") {
			t.Fatalf("sync through a failing upload: exit %d, want a clear error\n%s%s", r.exitCode, r.stdout, r.stderr)
		}
		client, err := mlflow.NewClient(to)
		if err != nil {
			t.Fatal(err)
		}
		exp, err := client.ExperimentByName(ctx, "halfway")
		if err != nil {
			t.Fatal(err)
		}
		partial, err := client.SearchRuns(ctx, []string{exp.ID}, "")
		if err != nil || len(partial) != 1 {
			t.Fatalf("%d runs in experiment halfway (%v), want the partial copy", len(partial), err)
		}
		if v, ok := partial[0].Tag("ganbook.run_id"); ok {
			t.Fatalf("the partial copy %s is marked synced (ganbook.run_id %q)", partial[0].Info.RunID, v)
		}
		r = syncCLI(t, "--from", f.db, "--to", to, "--experiment", "halfway", f.finished)
		if r.exitCode != 0 || !strings.Contains(r.stdout, "updated MLflow run "+partial[0].Info.RunID) {
			t.Fatalf("sync after the failure: exit %d, want the partial copy completed\n%s%s", r.exitCode, r.stdout, r.stderr)
		}
		var halfway []mlRun
		for _, run := range server.dump(t) {
			if run.Experiment == "halfway" {
				halfway = append(halfway, run)
			}
		}
		if len(halfway) != 1 {
			t.Fatalf("%d runs in experiment halfway, want 1", len(halfway))
		}
		halfway[0].Experiment = "mnist-gan" // checkMirrors compares experiments by name
		checkMirrors(t, f.store, halfway[0], f.finished)
	})

	t.Run("bad destinations give clear errors", func(t *testing.T) {
		closed, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		down := "mlflow+http://" + closed.Addr().String()
		closed.Close()
		refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "forbidden by policy", http.StatusForbidden)
		}))
		defer refusing.Close()
		deleted := "deleted-exp"
		var id struct {
			ID string `json:"experiment_id"`
		}
		for _, call := range []struct{ path, body string }{
			{"/api/2.0/mlflow/experiments/create", `{"name":"` + deleted + `"}`},
			{"/api/2.0/mlflow/experiments/delete", ""},
		} {
			body := call.body
			if body == "" {
				body = `{"experiment_id":"` + id.ID + `"}`
			}
			resp, err := http.Post(server.url+call.path, "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			json.NewDecoder(resp.Body).Decode(&id)
			resp.Body.Close()
		}
		tests := []struct {
			name string
			args []string
			want string
		}{
			{"server down", []string{"--to", down}, "cannot reach the server"},
			{"server refusing", []string{"--to", "mlflow+" + refusing.URL}, "HTTP 403"},
			{"deleted experiment", []string{"--to", to, "--experiment", deleted}, "is deleted in MLflow"},
			{"not an address", []string{"--to", "mlflow+ftp://x"}, "want mlflow+http://HOST:PORT"},
			{"unknown run", []string{"--to", to, "ffffffffff"}, "not found"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := syncCLI(t, append([]string{"--from", f.db}, tt.args...)...)
				if r.exitCode == 0 || !strings.Contains(r.stderr+r.stdout, tt.want) {
					t.Errorf("exit %d, want an error saying %q:\n%s%s", r.exitCode, tt.want, r.stdout, r.stderr)
				}
			})
		}
	})
}

func TestSyncBetweenStores(t *testing.T) {
	ctx := context.Background()
	f := newMLflowFixture(t) // the same runs: FINISHED, FAILED and RUNNING
	dst := filepath.Join(t.TempDir(), "team.db")

	r := syncCLI(t, "--from", f.db, "--to", dst)
	if r.exitCode != 0 {
		t.Fatalf("sync: exit %d\n%s%s", r.exitCode, r.stdout, r.stderr)
	}
	tests := []struct {
		id, want string
	}{
		{f.finished, "copied (3 params, 1 tags, 2505 points, 3 images)"},
		{f.failed, "copied (1 params, 0 tags, 1 points, 0 images)"},
		{f.live.ID(), "skipped, still RUNNING"},
	}
	for _, tt := range tests {
		if !strings.Contains(r.stdout, short(tt.id)+" ") || !strings.Contains(r.stdout, tt.want) {
			t.Errorf("sync output lacks %q for %s:\n%s", tt.want, short(tt.id), r.stdout)
		}
	}
	copied := listRuns(t, dst)
	if len(copied) != 2 {
		t.Fatalf("destination holds %d runs, want 2: %+v", len(copied), copied)
	}
	out, err := tracker.Open(dst, tracker.ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	for _, id := range []string{f.finished, f.failed} {
		want, _ := f.store.Run(ctx, id)
		got, err := out.Run(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want.Heartbeat, got.Heartbeat = time.Time{}, time.Time{}
		if g, w := asJSON(t, got), asJSON(t, want); g != w {
			t.Errorf("copy of %s:\n got %.2000s\nwant %.2000s", id, g, w)
		}
		for key := range want.Metrics {
			wp, _ := f.store.Metric(ctx, id, key)
			gp, _ := out.Metric(ctx, id, key)
			if asJSON(t, gp) != asJSON(t, wp) { // JSON keeps NaN and ±Inf apart
				t.Errorf("copy of %s: metric %s differs", id, key)
			}
		}
	}

	r = syncCLI(t, "--from", f.db, "--to", dst)
	if r.exitCode != 0 || strings.Count(r.stdout, "already there") != 2 || strings.Contains(r.stdout, "copied") {
		t.Errorf("second sync: exit %d, want both runs already there and nothing copied:\n%s%s", r.exitCode, r.stdout, r.stderr)
	}
	if err := f.live.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	r = syncCLI(t, "--from", f.db, "--to", dst)
	if r.exitCode != 0 || !strings.Contains(r.stdout, short(f.live.ID())+" live: copied") {
		t.Errorf("sync after the live run ended: exit %d, want it copied:\n%s%s", r.exitCode, r.stdout, r.stderr)
	}
	missing := filepath.Join(t.TempDir(), "missing.db")
	untouched := filepath.Join(t.TempDir(), "untouched.db")
	bad := []struct {
		name string
		args []string
		want string
	}{
		{"no destination", []string{"--from", f.db}, "--to is required"},
		{"missing source", []string{"--from", missing, "--to", untouched}, "does not exist"},
		{"--experiment between stores", []string{"--from", f.db, "--to", untouched, "--experiment", "x"}, "--experiment applies to an MLflow destination only"},
		{"unknown run", []string{"--from", f.db, "--to", untouched, "0000000000"}, "not found"},
		{"bad interval", []string{"--from", f.db, "--to", untouched, "--watch", "--interval", "0s"}, "want a positive duration"},
	}
	for _, tt := range bad {
		r := syncCLI(t, tt.args...)
		if r.exitCode == 0 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%s: exit %d, want an error saying %q:\n%s", tt.name, r.exitCode, tt.want, r.stderr)
		}
	}
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("a sync from a missing store created it")
	}
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
