package web

import (
	"context"
	"math"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ganbook/ganbook/tracker"
)

func pts(ys ...float64) []point {
	out := make([]point, len(ys))
	for i, y := range ys {
		out[i] = point{float64(i), y}
	}
	return out
}

// TestLTTBHandChecked checks LTTB against a case worked by hand.
//
// Seven points, y = 0 1 5 2 0 6 0 at x = 0…6, down to 4 points: the first
// and last are kept; the 5 points between fall into 2 buckets of 2.5
// points: bucket 0 = x 1,2 and bucket 1 = x 3,4,5.
//
// Bucket 0: A = (0,0); the next bucket's average is C = ((3+4+5)/3,
// (2+0+6)/3) = (4, 8/3). Triangle areas by the shoelace formula:
// (1,1): ½|0 + 1·(8/3) + 4·(0−1)| = ½·4/3 = 2/3;
// (2,5): ½|0 + 2·(8/3) + 4·(0−5)| = ½·44/3 = 22/3. Keep (2,5).
//
// Bucket 1: A = (2,5); the next "bucket" is the last point, C = (6,0):
// (3,2): ½|2(2−0) + 3(0−5) + 6(5−2)| = ½·7 = 3.5;
// (4,0): ½|2(0−0) + 4(0−5) + 6(5−0)| = ½·10 = 5;
// (5,6): ½|2(6−0) + 5(0−5) + 6(5−6)| = ½·|12−25−6| = 9.5. Keep (5,6).
func TestLTTBHandChecked(t *testing.T) {
	tests := []struct {
		name      string
		in        []point
		threshold int
		want      []point
	}{
		{"worked example", pts(0, 1, 5, 2, 0, 6, 0), 4, []point{{0, 0}, {2, 5}, {5, 6}, {6, 0}}},
		// Same points, 3 kept: one bucket, x 1…5, between A = (0,0) and
		// C = (6,0): area = ½|0·(y−0) + x·(0−0) + 6·(0−y)| = 3y, so the
		// highest point, (5,6), is kept.
		{"one bucket", pts(0, 1, 5, 2, 0, 6, 0), 3, []point{{0, 0}, {5, 6}, {6, 0}}},
		{"short series kept", pts(1, 2, 3), 5, pts(1, 2, 3)},
		{"threshold equal to length", pts(3, 1, 2, 9), 4, pts(3, 1, 2, 9)},
		{"threshold below 3 keeps all", pts(3, 1, 2, 9), 2, pts(3, 1, 2, 9)},
		{"empty", nil, 10, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := lttb(tc.in, tc.threshold); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("lttb(%v, %d) = %v, want %v", tc.in, tc.threshold, got, tc.want)
			}
		})
	}
}

// TestLTTBKeepsSpikes checks what the downsampling is for: a long series
// keeps its single-point extremes, its ends and its length budget, where
// striding would drop the spikes.
func TestLTTBKeepsSpikes(t *testing.T) {
	const n = 100000
	in := make([]point, n)
	for i := range in {
		in[i] = point{float64(i), math.Sin(float64(i) / 5000)}
	}
	in[31337].Y, in[77777].Y = 40, -30
	out := lttb(in, 1000)
	if len(out) != 1000 {
		t.Fatalf("%d points, want 1000", len(out))
	}
	if out[0] != in[0] || out[len(out)-1] != in[n-1] {
		t.Errorf("ends not kept: %v … %v", out[0], out[len(out)-1])
	}
	var hasMax, hasMin bool
	for i, p := range out {
		hasMax = hasMax || p == in[31337]
		hasMin = hasMin || p == in[77777]
		if i > 0 && p.X <= out[i-1].X {
			t.Fatalf("x not increasing at %d", i)
		}
	}
	if !hasMax || !hasMin {
		t.Errorf("spikes lost: max kept %v, min kept %v", hasMax, hasMin)
	}
}

// TestPrepareSeries checks what a chart draws of an envelope: the finite
// points among each range's first, min, max and last, in step order, each
// once; the non-finite values counted, not drawn.
func TestPrepareSeries(t *testing.T) {
	at := func(step int64, v float64) tracker.MetricPoint { return tracker.MetricPoint{Step: step, Value: v} }
	ptr := func(p tracker.MetricPoint) *tracker.MetricPoint { return &p }
	env := tracker.MetricEnvelope{Count: 13, Width: 4, Buckets: []tracker.EnvelopeBucket{
		// Steps 0-3: 1, NaN, 5, 2 — first 1 (the min), max 5, last 2.
		{Start: 0, Count: 4, NaN: 1, First: at(0, 1), Min: ptr(at(0, 1)), Max: ptr(at(2, 5)), Last: at(3, 2)},
		// Steps 4-7: +Inf, 3, -Inf, 4 — first +Inf (not drawn), min 3, max
		// 4, also the last.
		{Start: 4, Count: 4, PosInf: 1, NegInf: 1, First: at(4, math.Inf(1)), Min: ptr(at(5, 3)), Max: ptr(at(7, 4)), Last: at(7, 4)},
		// Steps 8-11: NaN at 8 and at 11, nothing to draw.
		{Start: 8, Count: 2, NaN: 2, First: at(8, math.NaN()), Last: at(11, math.NaN())},
		// Step 12 logged three times: 6, 6.5, 7.
		{Start: 12, Count: 3, First: at(12, 6), Min: ptr(at(12, 6)), Max: ptr(at(12, 7)), Last: at(12, 7)},
	}}
	s := prepareSeries(env, 100)
	if s.Total != 13 || s.NonFinite != 5 {
		t.Errorf("Total %d NonFinite %d, want 13 and 5", s.Total, s.NonFinite)
	}
	if want := []point{{0, 1}, {2, 5}, {3, 2}, {5, 3}, {7, 4}, {12, 6}, {12, 7}}; !reflect.DeepEqual(s.Points, want) {
		t.Errorf("points %v, want %v", s.Points, want)
	}
	// Over the budget, LTTB keeps the ends and the salient points.
	if s := prepareSeries(env, 3); !reflect.DeepEqual(s.Points, []point{{0, 1}, {2, 5}, {12, 7}}) {
		t.Errorf("budget 3: points %v", s.Points)
	}
}

// envelopeOf is a loader's answer: the envelope of two points, 1 at step
// 0 and 2 at step 1.
func envelopeOf(metric string) tracker.MetricEnvelope {
	p0 := tracker.MetricPoint{Key: metric, Step: 0, Value: 1}
	p1 := tracker.MetricPoint{Key: metric, Step: 1, Value: 2}
	return tracker.MetricEnvelope{Key: metric, Count: 2, Width: 1, Buckets: []tracker.EnvelopeBucket{
		{Start: 0, Count: 1, First: p0, Last: p0, Min: &p0, Max: &p0},
		{Start: 1, Count: 1, First: p1, Last: p1, Min: &p1, Max: &p1},
	}}
}

func TestSeriesCache(t *testing.T) {
	var loads atomic.Int64
	load := func(ctx context.Context, run, metric string, buckets int) (tracker.MetricEnvelope, error) {
		loads.Add(1)
		if buckets != 100 {
			t.Errorf("loader asked for %d buckets, want the chart's 100 points", buckets)
		}
		return envelopeOf(metric), nil
	}
	c := newSeriesCache(load, 100, 2)
	now := time.Now()
	info := func(id string, status tracker.RunStatus, count int64) tracker.RunInfo {
		return tracker.RunInfo{ID: id, Status: status, Metrics: map[string]tracker.MetricSummary{
			"m": {Key: "m", Count: count, LastStep: count - 1, LastTime: now},
		}}
	}
	ctx := context.Background()
	steps := []struct {
		name      string
		run       tracker.RunInfo
		wantLoads int64
	}{
		{"first read loads", info("a", tracker.StatusFinished, 2), 1},
		{"same version is cached", info("a", tracker.StatusFinished, 2), 1},
		{"new point reloads", info("a", tracker.StatusFinished, 3), 2},
		{"other run loads", info("b", tracker.StatusFinished, 2), 3},
		{"third run evicts the oldest (size 2)", info("c", tracker.StatusFinished, 2), 4},
		{"evicted run loads again", info("a", tracker.StatusFinished, 3), 5},
		{"running run loads", info("r", tracker.StatusRunning, 2), 6},
		{"running run's news within the refresh time: cached copy", info("r", tracker.StatusRunning, 3), 6},
	}
	for _, st := range steps {
		if _, err := c.get(ctx, st.run, "m"); err != nil {
			t.Fatal(err)
		}
		if got := loads.Load(); got != st.wantLoads {
			t.Errorf("%s: %d loads, want %d", st.name, got, st.wantLoads)
		}
	}
	if c.len() != 2 {
		t.Errorf("cache holds %d series, want 2", c.len())
	}
	// After the refresh time the running run's news are read.
	c.minRefresh = 0
	time.Sleep(time.Millisecond)
	c.get(ctx, info("r", tracker.StatusRunning, 3), "m")
	if loads.Load() != 7 {
		t.Errorf("running run not reloaded after the refresh time")
	}
	// A metric the run never logged loads nothing.
	if s, _ := c.get(ctx, info("a", tracker.StatusFinished, 3), "other"); len(s.Points) != 0 || loads.Load() != 7 {
		t.Errorf("absent metric: %v, %d loads", s, loads.Load())
	}
}

// TestSeriesCacheLoadsOnce checks that concurrent requests for one series
// share one load.
func TestSeriesCacheLoadsOnce(t *testing.T) {
	var loads atomic.Int64
	release := make(chan struct{})
	load := func(ctx context.Context, run, metric string, buckets int) (tracker.MetricEnvelope, error) {
		loads.Add(1)
		<-release
		return envelopeOf(metric), nil
	}
	c := newSeriesCache(load, 100, 10)
	run := tracker.RunInfo{ID: "a", Status: tracker.StatusFinished, Metrics: map[string]tracker.MetricSummary{"m": {Count: 1}}}
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			_, err := c.get(context.Background(), run, "m")
			errs <- err
		}()
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if loads.Load() != 1 {
		t.Errorf("%d loads for 8 concurrent requests, want 1", loads.Load())
	}
}
