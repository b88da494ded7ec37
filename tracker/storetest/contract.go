package storetest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ganbook/ganbook/tracker"
)

func samePoint(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
}

func testNonFiniteRoundTrip(t *testing.T, tg Target) {
	ctx := context.Background()
	s, _ := tg.open(t)
	run, err := s.StartRun(ctx, "", "nan", nil)
	if err != nil {
		t.Fatal(err)
	}
	values := []float64{1.5, math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1),
		5e-324, math.MaxFloat64, -math.MaxFloat64, 0.1, 3}
	for i, v := range values {
		if err := run.LogMetric("x", int64(i), v); err != nil {
			t.Fatal(err)
		}
	}
	run.LogMetric("all_nan", 0, math.NaN())
	run.LogMetric("all_nan", 1, math.NaN())
	run.LogMetric("last_inf", 0, 2)
	run.LogMetric("last_inf", 1, math.Inf(1))
	if err := run.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := s.Metric(ctx, run.ID(), "x")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(values) {
		t.Fatalf("got %d points, want %d", len(got), len(values))
	}
	for i, p := range got {
		if p.Step != int64(i) || !samePoint(p.Value, values[i]) {
			t.Errorf("point %d = step %d value %v (bits %#x); want step %d value %v (bits %#x)",
				i, p.Step, p.Value, math.Float64bits(p.Value), i, values[i], math.Float64bits(values[i]))
		}
	}
	info, err := s.Run(ctx, run.ID())
	if err != nil {
		t.Fatal(err)
	}
	// Summaries computed by hand from the values above.
	tests := []struct {
		key         string
		count       int64
		last, min   float64
		lastS, minS int64
		description string
	}{
		{"x", 11, 3, math.Inf(-1), 10, 3, "min over non-NaN values is -Inf at step 3"},
		{"all_nan", 2, math.NaN(), math.NaN(), 1, 0, "no non-NaN value: min is NaN"},
		{"last_inf", 2, math.Inf(1), 2, 1, 0, "last is +Inf"},
	}
	for _, tt := range tests {
		m := info.Metrics[tt.key]
		if m.Count != tt.count || !samePoint(m.Last, tt.last) || !samePoint(m.Min, tt.min) || m.LastStep != tt.lastS || (!math.IsNaN(tt.min) && m.MinStep != tt.minS) {
			t.Errorf("%s (%s): summary %+v; want count %d last %v@%d min %v@%d", tt.key, tt.description, m, tt.count, tt.last, tt.lastS, tt.min, tt.minS)
		}
	}
	// JSON carries non-finite values as strings and reads them back.
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"value":"NaN"`, `"value":"+Inf"`, `"value":"-Inf"`, `"value":1.5`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("JSON lacks %s: %s", want, b)
		}
	}
	var back []tracker.MetricPoint
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for i := range back {
		if !samePoint(back[i].Value, got[i].Value) && !(got[i].Value == 0 && back[i].Value == 0) {
			t.Errorf("JSON round trip of point %d: %v, want %v", i, back[i].Value, got[i].Value)
		}
	}
	if _, err := json.Marshal(info); err != nil {
		t.Errorf("RunInfo with NaN summaries does not marshal: %v", err)
	}
}

func testLifecycleAndQueries(t *testing.T, tg Target) {
	ctx := context.Background()
	s, _ := tg.open(t)
	rec := tracker.ReproRecord{GitCommit: "abc123", GoVersion: "go1.26", OS: "linux", Arch: "amd64", Seed: 42,
		Config: json.RawMessage(`{"lr":0.0002}`), Datasets: []tracker.FileHash{{Path: "x.gz", Size: 3, SHA256: "00"}},
		CommandLine: []string{"ganbook", "train"}, Modules: map[string]string{"m": "v1"}}
	run, err := s.StartRun(ctx, "mnist", "first", map[string]any{"lr": float32(2e-4), "batch": 64, "opt": "adam"},
		tracker.WithTags(map[string]string{"phase": "dev"}), tracker.WithRecord(rec))
	if err != nil {
		t.Fatal(err)
	}
	if len(run.ID()) != 32 {
		t.Errorf("run id %q is not 32 hex digits", run.ID())
	}
	for step := range int64(10) {
		run.LogMetrics(step, map[string]float64{"d_loss": 1 / float64(step+1), "g_loss": float64(step)})
	}
	var pngBuf bytes.Buffer
	img := image.NewGray(image.Rect(0, 0, 2, 2))
	img.Set(1, 1, color.White)
	png.Encode(&pngBuf, img)
	if err := run.LogImage("samples", 5, pngBuf.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := run.LogImage("samples", 9, pngBuf.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := run.LogImage("bad", 1, []byte("GIF89a")); err == nil {
		t.Error("LogImage accepted a GIF")
	}
	run.SetTag("phase", "final") // overwrites the start tag
	if err := run.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	live, err := s.Run(ctx, run.ID()[:6])
	if err != nil {
		t.Fatal(err)
	}
	if live.Status != tracker.StatusRunning || !live.EndTime.IsZero() {
		t.Errorf("live run: status %s end %v; want RUNNING, no end", live.Status, live.EndTime)
	}
	if err := run.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if err := run.Finish(ctx); !errors.Is(err, tracker.ErrRunEnded) {
		t.Errorf("second Finish: %v; want ErrRunEnded", err)
	}
	if err := run.LogMetric("d_loss", 11, 0); !errors.Is(err, tracker.ErrRunEnded) {
		t.Errorf("LogMetric after Finish: %v; want ErrRunEnded", err)
	}
	if err := run.Close(); err != nil {
		t.Errorf("Close after Finish: %v", err)
	}

	info, err := s.Run(ctx, run.ID())
	if err != nil {
		t.Fatal(err)
	}
	if info.Status != tracker.StatusFinished || info.EndTime.IsZero() || info.Experiment != "mnist" || info.Name != "first" {
		t.Errorf("run info %+v", info)
	}
	wantParams := map[string]string{"lr": "0.0002", "batch": "64", "opt": "adam"}
	if !reflect.DeepEqual(info.Params, wantParams) {
		t.Errorf("params %v; want %v", info.Params, wantParams)
	}
	if info.Tags["phase"] != "final" {
		t.Errorf("tags %v; want phase=final", info.Tags)
	}
	if info.Record == nil || !reflect.DeepEqual(*info.Record, rec) {
		t.Errorf("record %+v; want %+v", info.Record, rec)
	}
	// d_loss = 1/(step+1): last 0.1 at step 9, min 0.1 at step 9; g_loss = step: last 9, min 0 at 0.
	if m := info.Metrics["d_loss"]; m.Count != 10 || m.LastStep != 9 || m.Last != 0.1 || m.Min != 0.1 || m.MinStep != 9 {
		t.Errorf("d_loss summary %+v", m)
	}
	if m := info.Metrics["g_loss"]; m.Count != 10 || m.Last != 9 || m.Min != 0 || m.MinStep != 0 {
		t.Errorf("g_loss summary %+v", m)
	}
	series, err := s.Metric(ctx, run.ID(), "g_loss")
	if err != nil || len(series) != 10 || series[3].Value != 3 || series[3].Step != 3 {
		t.Errorf("g_loss series %v, %v", series, err)
	}
	if empty, err := s.Metric(ctx, run.ID(), "nope"); err != nil || len(empty) != 0 {
		t.Errorf("unknown metric: %v, %v; want empty, nil", empty, err)
	}
	images, err := s.Images(ctx, run.ID())
	if err != nil || len(images) != 2 || images[0].Step != 5 || images[1].Step != 9 || images[0].Size != pngBuf.Len() {
		t.Errorf("images %+v, %v", images, err)
	}
	got, err := s.Image(ctx, run.ID(), "samples", 9)
	if err != nil || !bytes.Equal(got.PNG, pngBuf.Bytes()) {
		t.Errorf("image bytes differ (%v)", err)
	}
	if _, err := s.Image(ctx, run.ID(), "samples", 7); !errors.Is(err, tracker.ErrNotFound) {
		t.Errorf("missing image: %v; want ErrNotFound", err)
	}
	if err := s.SetTag(ctx, run.ID(), "reviewed", "yes"); err != nil {
		t.Fatal(err)
	}
	exps, err := s.Experiments(ctx)
	if err != nil || len(exps) != 1 || exps[0].Name != "mnist" || exps[0].RunCount != 1 {
		t.Errorf("experiments %+v, %v", exps, err)
	}

	// A reproduction links back to the first run.
	again, err := s.StartRun(ctx, "mnist", "again", nil, tracker.WithReproducedFrom(run.ID()[:8]))
	if err != nil {
		t.Fatal(err)
	}
	again.Fail(ctx, errors.New("diverged"))
	ai, _ := s.Run(ctx, again.ID())
	if ai.ReproducedFrom != run.ID() || ai.Status != tracker.StatusFailed || ai.Error != "diverged" {
		t.Errorf("reproduction %+v", ai)
	}
	if err := s.DeleteRun(ctx, run.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Metric(ctx, run.ID(), "g_loss"); !errors.Is(err, tracker.ErrNotFound) {
		t.Errorf("deleted run's metric: %v; want ErrNotFound", err)
	}
	ai, _ = s.Run(ctx, again.ID())
	if ai.ReproducedFrom != "" {
		t.Errorf("link to a deleted run kept: %q", ai.ReproducedFrom)
	}
}

func testKillFlushesFirst(t *testing.T, tg Target) {
	ctx := context.Background()
	// A flush interval far longer than the test: only Kill's flush can store the points.
	s, path := tg.open(t, tracker.WithFlushInterval(time.Hour))
	run, err := s.StartRun(ctx, "", "interrupted", nil)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20000 // spans several transactions
	for i := range n {
		run.LogMetric("loss", int64(i), float64(i))
	}
	if err := run.Kill(ctx); err != nil {
		t.Fatal(err)
	}
	series, err := s.Metric(ctx, run.ID(), "loss")
	if err != nil || len(series) != n {
		t.Fatalf("after Kill: %d points, %v; want %d", len(series), err, n)
	}
	if st := rawStatus(t, path, run.ID()); st != "KILLED" {
		t.Errorf("stored status %s; want KILLED", st)
	}
	// Close of a store ends its live runs as KILLED too.
	other, _ := s.StartRun(ctx, "", "left open", nil)
	other.LogMetric("loss", 0, 1)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if st := rawStatus(t, path, other.ID()); st != "KILLED" {
		t.Errorf("run left open at Close: stored status %s; want KILLED", st)
	}
}

func testDeleteLiveRun(t *testing.T, tg Target) {
	ctx := context.Background()
	s, _ := tg.open(t)
	run, err := s.StartRun(ctx, "", "doomed", nil)
	if err != nil {
		t.Fatal(err)
	}
	run.LogMetric("loss", 0, 1)
	if err := run.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRun(ctx, run.ID()); err != nil {
		t.Fatal(err)
	}
	run.LogMetric("loss", 1, 1)
	if err := run.Flush(ctx); !errors.Is(err, tracker.ErrNotFound) {
		t.Errorf("Flush of a deleted run: %v; want ErrNotFound", err)
	}
	if err := run.LogMetric("loss", 2, 1); !errors.Is(err, tracker.ErrNotFound) {
		t.Errorf("LogMetric after a failed write: %v; want the write's ErrNotFound", err)
	}
	if err := run.Finish(ctx); !errors.Is(err, tracker.ErrNotFound) {
		t.Errorf("Finish of a deleted run: %v; want ErrNotFound", err)
	}
}

func testRunIDs(t *testing.T, tg Target) {
	ctx := context.Background()
	s, _ := tg.open(t)
	var ids []string
	// 17 runs: two must share their first hex digit.
	for i := range 17 {
		r, err := s.StartRun(ctx, "", fmt.Sprint(i), nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Finish(ctx)
		ids = append(ids, r.ID())
	}
	slices.Sort(ids)
	var shared string
	for i := 1; i < len(ids); i++ {
		if ids[i][0] == ids[i-1][0] {
			shared = ids[i][:1]
		}
	}
	// The shortest prefix of ids[0] that no other id shares.
	unique := ids[0]
	for k := 1; k <= 32; k++ {
		if !strings.HasPrefix(ids[1], ids[0][:k]) {
			unique = ids[0][:k]
			break
		}
	}
	absent := strings.Repeat("f", 32)
	if slices.Contains(ids, absent) {
		t.Fatal("improbable id")
	}
	tests := []struct {
		ref  string
		want string // the resolved id, or "" for an error
		err  error
	}{
		{ids[0], ids[0], nil},
		{strings.ToUpper(ids[3]), ids[3], nil},
		{unique, ids[0], nil},
		{shared, "", tracker.ErrAmbiguous},
		{absent, "", tracker.ErrNotFound},
		{"zz", "", tracker.ErrNotFound},
		{"", "", tracker.ErrNotFound},
		{"'; DROP TABLE runs; --", "", tracker.ErrNotFound},
	}
	for _, tt := range tests {
		info, err := s.Run(ctx, tt.ref)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("Run(%q) error %v; want %v", tt.ref, err, tt.err)
			}
			continue
		}
		if err != nil || info.ID != tt.want {
			t.Errorf("Run(%q) = %s, %v; want %s", tt.ref, info.ID, err, tt.want)
		}
	}
	// Every query by run reference reports the same errors.
	if _, err := s.Metric(ctx, shared, "x"); !errors.Is(err, tracker.ErrAmbiguous) {
		t.Errorf("Metric(ambiguous): %v", err)
	}
	if _, err := s.Compare(ctx, ids[0], absent); !errors.Is(err, tracker.ErrNotFound) {
		t.Errorf("Compare(unknown): %v", err)
	}
	if err := s.DeleteRun(ctx, absent); !errors.Is(err, tracker.ErrNotFound) {
		t.Errorf("DeleteRun(unknown): %v", err)
	}
	if err := s.SetTag(ctx, shared, "k", "v"); !errors.Is(err, tracker.ErrAmbiguous) {
		t.Errorf("SetTag(ambiguous): %v", err)
	}
}

// filterFixture stores five runs whose values the filter and order tests
// reason about by hand:
//
//	name  status    lr_d          opt   d_loss (latest)         tags
//	r1    FINISHED  0.0002        adam  0.5 (min 0.4)           best=yes
//	r2    FINISHED  1e-3 (text)   sgd   0.9                     -
//	r3    FAILED    0.0002        adam  0.65                    best=no
//	r4    KILLED    2e-4 (float32) -    NaN (earlier 0.1)       -
//	r5    RUNNING   -             adam  -                       note=o'brien
func filterFixture(t *testing.T, tg Target) *tracker.Store {
	t.Helper()
	ctx := context.Background()
	s, _ := tg.open(t)
	start := func(name string, params map[string]any, tags map[string]string) *tracker.Run {
		r, err := s.StartRun(ctx, "mnist", name, params, tracker.WithTags(tags))
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond) // distinct start times for ordering
		return r
	}
	r1 := start("r1", map[string]any{"lr_d": 0.0002, "opt": "adam"}, map[string]string{"best": "yes"})
	r1.LogMetric("d_loss", 0, 0.4)
	r1.LogMetric("d_loss", 1, 0.5)
	r1.Finish(ctx)
	r2 := start("r2", map[string]any{"lr_d": "1e-3", "opt": "sgd"}, nil)
	r2.LogMetric("d_loss", 0, 0.9)
	r2.Finish(ctx)
	r3 := start("r3", map[string]any{"lr_d": 0.0002, "opt": "adam"}, map[string]string{"best": "no"})
	r3.LogMetric("d_loss", 0, 0.65)
	r3.Fail(ctx, errors.New("boom"))
	r4 := start("r4", map[string]any{"lr_d": float32(2e-4)}, nil)
	r4.LogMetric("d_loss", 0, 0.1)
	r4.LogMetric("d_loss", 1, math.NaN())
	r4.Kill(ctx)
	r5 := start("r5", map[string]any{"opt": "adam"}, map[string]string{"note": "o'brien"})
	t.Cleanup(func() { r5.Finish(ctx) })
	return s
}

func names(runs []tracker.RunInfo) string {
	var out []string
	for _, r := range runs {
		out = append(out, r.Name)
	}
	return strings.Join(out, ",")
}

func testFilterEndToEnd(t *testing.T, tg Target) {
	ctx := context.Background()
	s := filterFixture(t, tg)
	tests := []struct {
		filter string
		want   string // names in the default order, newest first
	}{
		{"", "r5,r4,r3,r2,r1"},
		{"params.lr_d = 0.0002 and metrics.d_loss < 0.7 and status = 'FINISHED'", "r1"},
		{"params.lr_d = 0.0002", "r4,r3,r1"}, // 2e-4 as float32 formats as "0.0002"
		{"params.lr_d = 2e-4", "r4,r3,r1"},   // numeric comparison, not text
		{"params.lr_d > 0.0005", "r2"},       // "1e-3" stored as text is still a number
		{"params.lr_d = '1e-3'", "r2"},       // quoted: text comparison
		{"params.lr_d = '0.001'", ""},        // ... which is exact
		{"params.opt != 'adam'", "r2"},       // runs without the param do not match
		{"metrics.d_loss < 0.7", "r3,r1"},    // r4's latest is NaN: no order comparison holds
		{"metrics.d_loss >= 0.5", "r3,r2,r1"},
		{"metrics.d_loss != 0.5", "r4,r3,r2"}, // NaN differs from every number
		{"metrics.d_loss = 0.5", "r1"},
		{"status = 'FINISHED' or status = 'FAILED'", "r3,r2,r1"},
		{"status != 'FINISHED'", "r5,r4,r3"},
		{"status = 'running'", "r5"},
		{"status = 'KILLED'", "r4"},
		{"(params.opt = 'adam' or params.opt = 'sgd') and metrics.d_loss > 0.6", "r3,r2"},
		{"params.opt = 'adam' or params.opt = 'sgd' and metrics.d_loss > 0.6", "r5,r3,r2,r1"},
		{"tags.best = 'yes'", "r1"},
		{"tags.best != 'yes'", "r3"},
		{`tags.note = "o'brien"`, "r5"},
		{"name = 'r2' or name >= 'r4'", "r5,r4,r2"},
		{"experiment = 'mnist' and name < 'r2'", "r1"},
		{"experiment = 'other'", ""},
		{"start_time > 0 and end_time > 0", "r4,r3,r2,r1"}, // the live run has no end time
		{"start_time < '2000-01-01'", ""},
		{`name = 'x\' OR 1=1 --'`, ""}, // user text is data, never SQL
	}
	for _, tt := range tests {
		runs, err := s.Runs(ctx, tracker.RunQuery{Filter: tt.filter})
		if err != nil {
			t.Errorf("filter %q: %v", tt.filter, err)
			continue
		}
		if got := names(runs); got != tt.want {
			t.Errorf("filter %q = [%s]; want [%s]", tt.filter, got, tt.want)
		}
	}
	// IDs filter by exact value.
	all, _ := s.Runs(ctx, tracker.RunQuery{})
	if runs, err := s.Runs(ctx, tracker.RunQuery{Filter: fmt.Sprintf("id = '%s'", all[2].ID)}); err != nil || names(runs) != "r3" {
		t.Errorf("id filter: [%s], %v", names(runs), err)
	}
	// A malformed filter reaches the caller as a *FilterError.
	var fe *tracker.FilterError
	if _, err := s.Runs(ctx, tracker.RunQuery{Filter: "metrics.d_loss <"}); !errors.As(err, &fe) || fe.Pos.Column != 17 {
		t.Errorf("malformed filter error %v", err)
	}
}

func testOrderEndToEnd(t *testing.T, tg Target) {
	ctx := context.Background()
	s := filterFixture(t, tg)
	tests := []struct {
		order string
		limit int
		off   int
		want  string
	}{
		{"", 0, 0, "r5,r4,r3,r2,r1"},
		{"start_time", 0, 0, "r1,r2,r3,r4,r5"},
		{"name desc", 0, 0, "r5,r4,r3,r2,r1"},
		// Missing (r5) and NaN (r4) come last; ties fall back to newest first.
		{"metrics.d_loss", 0, 0, "r1,r3,r2,r5,r4"},
		{"metrics.d_loss desc", 0, 0, "r2,r3,r1,r5,r4"},
		// Numeric params numerically: 0.0002 (r4,r3,r1 tie, newest first) < 1e-3; r5 has none.
		{"params.lr_d desc", 0, 0, "r2,r4,r3,r1,r5"},
		{"params.opt, name desc", 0, 0, "r5,r3,r1,r2,r4"},
		{"tags.best", 0, 0, "r3,r1,r5,r4,r2"},
		{"status, name", 0, 0, "r3,r1,r2,r4,r5"}, // FAILED < FINISHED < KILLED < RUNNING
		{"start_time", 2, 1, "r2,r3"},
		{"start_time", 0, 3, "r4,r5"},
	}
	for _, tt := range tests {
		runs, err := s.Runs(ctx, tracker.RunQuery{OrderBy: tt.order, Limit: tt.limit, Offset: tt.off})
		if err != nil {
			t.Errorf("order %q: %v", tt.order, err)
			continue
		}
		if got := names(runs); got != tt.want {
			t.Errorf("order %q limit %d offset %d = [%s]; want [%s]", tt.order, tt.limit, tt.off, got, tt.want)
		}
	}
	if _, err := s.Runs(ctx, tracker.RunQuery{OrderBy: "colour"}); err == nil {
		t.Error("unknown order field accepted")
	}
}

func testCompare(t *testing.T, tg Target) {
	ctx := context.Background()
	s, _ := tg.open(t)
	a, _ := s.StartRun(ctx, "", "a", map[string]any{"lr": 0.0002, "batch": 64, "opt": "adam"})
	b, _ := s.StartRun(ctx, "", "b", map[string]any{"lr": "2e-4", "batch": 128, "beta1": 0.5})
	for i, v := range []float64{3, 1, 2} {
		a.LogMetric("d_loss", int64(i), v)
	}
	b.LogMetric("d_loss", 0, 0.5)
	b.LogMetric("fid", 0, 30)
	a.Finish(ctx)
	b.Finish(ctx)
	c, err := s.Compare(ctx, a.ID()[:10], b.ID())
	if err != nil {
		t.Fatal(err)
	}
	set := func(v string) tracker.ParamValue { return tracker.ParamValue{Value: v, Set: true} }
	unset := tracker.ParamValue{}
	wantParams := []tracker.ParamComparison{
		{Key: "batch", Values: []tracker.ParamValue{set("64"), set("128")}, Differs: true},
		{Key: "beta1", Values: []tracker.ParamValue{unset, set("0.5")}, Differs: true},
		{Key: "lr", Values: []tracker.ParamValue{set("0.0002"), set("2e-4")}, Differs: false}, // same number
		{Key: "opt", Values: []tracker.ParamValue{set("adam"), unset}, Differs: true},
	}
	if !reflect.DeepEqual(c.Params, wantParams) {
		t.Errorf("params\n got %+v\nwant %+v", c.Params, wantParams)
	}
	if d := c.DifferingParams(); len(d) != 3 {
		t.Errorf("DifferingParams: %+v", d)
	}
	if len(c.Metrics) != 2 || c.Metrics[0].Key != "d_loss" || c.Metrics[1].Key != "fid" {
		t.Fatalf("metrics %+v", c.Metrics)
	}
	da, db := c.Metrics[0].Values[0], c.Metrics[0].Values[1]
	if da.Last != 2 || da.Min != 1 || da.MinStep != 1 || db.Last != 0.5 || db.Min != 0.5 {
		t.Errorf("d_loss: a %+v b %+v", da, db)
	}
	if fa := c.Metrics[1].Values[0]; fa.Count != 0 {
		t.Errorf("fid of a run that never logged it: %+v", fa)
	}
	if _, err := json.Marshal(c); err != nil {
		t.Errorf("comparison does not marshal: %v", err)
	}
}

func testReadOnlyStore(t *testing.T, tg Target) {
	ctx := context.Background()
	s, path := tg.open(t)
	r, _ := s.StartRun(ctx, "", "x", map[string]any{"a": 1})
	r.LogMetric("m", 0, 1)
	r.Finish(ctx)
	s.Close()
	ro, err := tracker.Open(path, tracker.ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.StartRun(ctx, "", "y", nil); !errors.Is(err, tracker.ErrReadOnly) {
		t.Errorf("StartRun on a read-only store: %v", err)
	}
	if err := ro.SetTag(ctx, r.ID(), "k", "v"); !errors.Is(err, tracker.ErrReadOnly) {
		t.Errorf("SetTag on a read-only store: %v", err)
	}
	if err := ro.DeleteRun(ctx, r.ID()); !errors.Is(err, tracker.ErrReadOnly) {
		t.Errorf("DeleteRun on a read-only store: %v", err)
	}
	runs, err := ro.Runs(ctx, tracker.RunQuery{Filter: "metrics.m = 1"})
	if err != nil || len(runs) != 1 {
		t.Errorf("query on a read-only store: %d runs, %v", len(runs), err)
	}
}

// TestHeartbeatTimeout follows a helper process with a 100 ms heartbeat and
// a 1 s timeout: while it lives its run is RUNNING; stopped (SIGSTOP) past
// the timeout it reads as KILLED — a read-only store reports that without
// storing it, a read-write store stores it; continued (SIGCONT) it is
// RUNNING again; killed (SIGKILL) it is KILLED for good, ending at its last
// heartbeat, with every point flushed before the kill stored.
func testHeartbeatTimeout(t *testing.T, tg Target) {
	ctx := context.Background()
	path := tg.NewDatabase(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=crash", "TRACKER_DB="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("helper said nothing: %v", err)
	}
	id := strings.TrimSpace(line)
	s, err := tracker.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	status := func() tracker.RunStatus {
		t.Helper()
		info, err := s.Run(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return info.Status
	}
	const pastTimeout = 1500 * time.Millisecond

	time.Sleep(pastTimeout) // only live heartbeats keep it RUNNING this long
	if st := status(); st != tracker.StatusRunning {
		t.Fatalf("live helper's run: %s; want RUNNING", st)
	}

	tg.stopIdle(t, path, cmd.Process)
	time.Sleep(pastTimeout)
	if st := rawStatus(t, path, id); st != "RUNNING" {
		t.Fatalf("stored status %s before any query; want RUNNING", st)
	}
	ro, err := tracker.Open(path, tracker.ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	runs, err := ro.Runs(ctx, tracker.RunQuery{Filter: "status = 'KILLED'"})
	ro.Close()
	if err != nil || len(runs) != 1 || runs[0].ID != id {
		t.Fatalf("read-only listing of KILLED runs: %v, %v", runs, err)
	}
	if st := rawStatus(t, path, id); st != "RUNNING" {
		t.Errorf("a read-only store stored %s", st)
	}
	if st := status(); st != tracker.StatusKilled {
		t.Errorf("stopped helper's run: %s; want KILLED", st)
	}
	if st := rawStatus(t, path, id); st != "KILLED" {
		t.Errorf("stored status %s after a query; want KILLED", st)
	}

	cmd.Process.Signal(syscall.SIGCONT)
	time.Sleep(500 * time.Millisecond)
	if st := status(); st != tracker.StatusRunning {
		t.Errorf("continued helper's run: %s; want RUNNING again", st)
	}

	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	killedAt := time.Now()
	time.Sleep(pastTimeout)
	info, err := s.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if info.Status != tracker.StatusKilled || info.EndTime.IsZero() || info.EndTime.After(killedAt) || info.Error == "" {
		t.Errorf("after SIGKILL: %s end %v (killed at %v) error %q; want KILLED ending at the last heartbeat", info.Status, info.EndTime, killedAt, info.Error)
	}
	if st := rawStatus(t, path, id); st != "KILLED" {
		t.Errorf("stored status %s; want KILLED", st)
	}
	series, err := s.Metric(ctx, id, "loss")
	if err != nil || len(series) < 100 {
		t.Fatalf("%d points stored, %v; want at least the 100 flushed before the kill", len(series), err)
	}
	for i, p := range series {
		if p.Step != int64(i) || p.Value != float64(i) {
			t.Fatalf("point %d: %+v", i, p)
		}
	}
}

// TestConcurrentProcesses has 8 processes log 5,000 points each to one new
// database at once.
func testConcurrentProcesses(t *testing.T, tg Target) {
	const procs, points = 8, 5000
	path := tg.NewDatabase(t)
	start := time.Now().Add(time.Second).UnixNano()
	cmds := make([]*exec.Cmd, procs)
	outputs := make([]*bytes.Buffer, procs)
	for i := range procs {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), helperEnv+"=log", "TRACKER_DB="+path,
			fmt.Sprintf("TRACKER_INDEX=%d", i), fmt.Sprintf("TRACKER_POINTS=%d", points), fmt.Sprintf("TRACKER_START=%d", start))
		outputs[i] = new(bytes.Buffer)
		cmd.Stdout, cmd.Stderr = outputs[i], outputs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil || outputs[i].Len() > 0 {
			t.Errorf("process %d: %v\n%s", i, err, outputs[i])
		}
	}
	ctx := context.Background()
	s, err := tracker.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runs, err := s.Runs(ctx, tracker.RunQuery{OrderBy: "params.index"})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != procs {
		t.Fatalf("%d runs; want %d", len(runs), procs)
	}
	total := 0
	for i, r := range runs {
		if r.Status != tracker.StatusFinished || r.Metrics["loss"].Count != points {
			t.Errorf("run %s: status %s, %d points in summary", r.Name, r.Status, r.Metrics["loss"].Count)
		}
		series, err := s.Metric(ctx, r.ID, "loss")
		if err != nil {
			t.Fatal(err)
		}
		total += len(series)
		for s, p := range series {
			if p.Step != int64(s) || p.Value != float64(i)*1e6+float64(s) {
				t.Errorf("run %s point %d: %+v", r.Name, s, p)
				break
			}
		}
	}
	if total != procs*points {
		t.Errorf("%d points stored; want %d", total, procs*points)
	}
	// The rollups, written by interleaved transactions of 8 processes, hold
	// every point: 5,000 steps in ranges of 64, the first point of each the
	// minimum and the last the maximum of its increasing values.
	for i, r := range runs {
		env, err := s.MetricEnvelope(ctx, r.ID, "loss", 100)
		if err != nil {
			t.Fatal(err)
		}
		if env.Count != points || env.Width != 64 || len(env.Buckets) != (points+63)/64 {
			t.Errorf("run %s: envelope of %d points in %d buckets of width %d", r.Name, env.Count, len(env.Buckets), env.Width)
			continue
		}
		for j, b := range env.Buckets {
			lo, hi := int64(64*j), min(int64(64*j+63), points-1)
			base := float64(i) * 1e6
			if b.Start != lo || b.Count != hi-lo+1 || b.First.Step != lo || b.Last.Step != hi ||
				b.Min == nil || b.Min.Step != lo || b.Min.Value != base+float64(lo) || b.Max.Step != hi || b.Max.Value != base+float64(hi) {
				t.Errorf("run %s bucket %d: %+v", r.Name, j, b)
				break
			}
		}
	}
}

// TestMetricEnvelopeAndSince goes through the Store: run id prefixes,
// unknown runs and keys, and points logged by a live run.
func testMetricEnvelopeAndSince(t *testing.T, tg Target) {
	s, _ := tg.open(t)
	ctx := context.Background()
	run, err := s.StartRun(ctx, "e", "live", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	// Steps 0..99 with a NaN at 50, then step 10 logged again.
	for step := range int64(100) {
		v := float64(step)
		if step == 50 {
			v = math.NaN()
		}
		run.LogMetric("loss", step, v)
	}
	run.LogMetric("loss", 10, -7)
	if err := run.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	prefix := run.ID()[:6]
	env, err := s.MetricEnvelope(ctx, prefix, "loss", 50)
	if err != nil {
		t.Fatal(err)
	}
	// 101 points in 50 ranges of 2 steps: range 5 (steps 10-11) has 3
	// points and minimum -7 at step 10, range 25 (steps 50-51) a NaN.
	if env.Count != 101 || env.Width != 2 || len(env.Buckets) != 50 {
		t.Fatalf("envelope: %d points, width %d, %d buckets", env.Count, env.Width, len(env.Buckets))
	}
	b5, b25 := env.Buckets[5], env.Buckets[25]
	if b5.Count != 3 || b5.Min.Value != -7 || b5.Min.Step != 10 || b5.First.Value != 10 || b5.Max.Value != 11 || b5.Last.Step != 11 {
		t.Errorf("bucket 5: %+v (min %+v)", b5, *b5.Min)
	}
	if b25.NaN != 1 || b25.Finite() != 1 || env.NonFinite() != 1 {
		t.Errorf("bucket 25: %+v", b25)
	}
	since, err := s.MetricSince(ctx, prefix, "loss", 97)
	if err != nil || len(since) != 2 || since[0].Step != 98 || since[1].Step != 99 {
		t.Errorf("MetricSince(97): %+v, %v", since, err)
	}
	if env, err := s.MetricEnvelope(ctx, prefix, "never", 10); err != nil || env.Count != 0 || len(env.Buckets) != 0 {
		t.Errorf("unlogged key: %+v, %v", env, err)
	}
	if _, err := s.MetricEnvelope(ctx, "ffffffffff", "loss", 10); !errors.Is(err, tracker.ErrNotFound) {
		t.Errorf("unknown run: %v", err)
	}
	if _, err := s.MetricSince(ctx, "ffffffffff", "loss", 0); !errors.Is(err, tracker.ErrNotFound) {
		t.Errorf("unknown run: %v", err)
	}
}

func testStoreLogMetricsOnAnEndedRun(t *testing.T, tg Target) {
	ctx := context.Background()
	store, _ := tg.open(t)
	run, err := store.StartRun(ctx, "e", "ended", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if err := store.LogMetrics(ctx, run.ID()[:6], 42, map[string]float64{"fid": 12.5, "coverage": 10}); err != nil {
		t.Fatal(err)
	}
	points, err := store.Metric(ctx, run.ID(), "fid")
	if err != nil {
		t.Fatal(err)
	}
	if len(points) != 1 || points[0].Step != 42 || points[0].Value != 12.5 {
		t.Errorf("fid series = %+v, want one point 12.5 at step 42", points)
	}
}
