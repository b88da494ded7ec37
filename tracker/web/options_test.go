package web

import (
	"context"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot"
)

func TestPrewarm(t *testing.T) {
	s := seedStore(t)
	h := NewHandler(s.reader)
	// The two most recent runs: the live run and the failed one, 5 metrics each.
	n, err := h.Prewarm(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if n != 10 || h.series.len() != 10 {
		t.Fatalf("prewarmed %d series, cache holds %d; want 10", n, h.series.len())
	}
	// Their charts are drawn from the cache: nothing more is loaded.
	for _, name := range []string{runLive, scriptName} {
		if r := do(t, h, "GET", "/runs/"+s.ids[name]+"/chart.svg?key=g_loss"); r.code != 200 {
			t.Fatalf("chart: %d", r.code)
		}
	}
	if h.series.len() != 10 {
		t.Errorf("cache holds %d series after drawing prewarmed charts, want 10", h.series.len())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewHandler(s.reader).Prewarm(ctx, 10); err == nil {
		t.Errorf("Prewarm with a cancelled context: no error")
	}
}

func TestWithKeyParams(t *testing.T) {
	s := seedStore(t)
	h := NewHandler(s.reader, WithKeyParams("lr_g", "model"))
	r := do(t, h, "GET", "/")
	headers := regexp.MustCompile(`title="parameter ([^"]+)"`).FindAllStringSubmatch(r.body, -1)
	var got []string
	for _, m := range headers {
		got = append(got, m[1])
	}
	if strings.Join(got, ",") != "lr_g,model" {
		t.Errorf("parameter columns %v, want [lr_g model]", got)
	}
	// Without the option: the parameters that differ among the runs (lr_g does not).
	r = do(t, NewHandler(s.reader), "GET", "/")
	got = nil
	for _, m := range regexp.MustCompile(`title="parameter ([^"]+)"`).FindAllStringSubmatch(r.body, -1) {
		got = append(got, m[1])
	}
	if strings.Join(got, ",") != "batch_size,loss,lr_d,model,seed" {
		t.Errorf("default parameter columns %v", got)
	}
}

// TestWithMaxPoints checks that a chart draws the downsampled series: a
// run's 301 points of d_loss become one SVG path of 50 points.
func TestWithMaxPoints(t *testing.T) {
	s := seedStore(t)
	for _, tc := range []struct{ maxPoints, want int }{{50, 50}, {1000, 301}} {
		h := NewHandler(s.reader, WithMaxPoints(tc.maxPoints))
		r := do(t, h, "GET", "/runs/"+s.ids[runBaseline]+"/chart.svg?key=d_loss")
		longest := 0
		for _, m := range regexp.MustCompile(`<path d="([^"]*)"`).FindAllStringSubmatch(r.body, -1) {
			longest = max(longest, strings.Count(m[1], "L")+1)
		}
		if longest != tc.want {
			t.Errorf("WithMaxPoints(%d): longest path has %d points, want %d", tc.maxPoints, longest, tc.want)
		}
	}
}

func TestWithCacheSize(t *testing.T) {
	s := seedStore(t)
	h := NewHandler(s.reader, WithCacheSize(3))
	for _, key := range []string{"d_loss", "g_loss", "d_real", "d_fake", "images_per_sec"} {
		do(t, h, "GET", "/runs/"+s.ids[runBaseline]+"/chart.svg?key="+key)
	}
	if h.series.len() != 3 {
		t.Errorf("cache holds %d series, want 3", h.series.len())
	}
}

func TestListenAndServe(t *testing.T) {
	s := seedStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ListenAndServe(ctx, "127.0.0.1:0", s.reader, WithPrewarm(0)) }()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ListenAndServe: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ListenAndServe did not return after its context ended")
	}
	if err := ListenAndServe(context.Background(), "256.0.0.1:1", s.reader); err == nil {
		t.Errorf("ListenAndServe on a bad address: no error")
	}
}

func TestRenderChartEdgeCases(t *testing.T) {
	tests := []struct {
		name  string
		lines []chartLine
		want  string
	}{
		{"no line", nil, "no points yet"},
		{"only NaN", []chartLine{{Series: &series{Total: 3, NonFinite: 3}}}, "no finite value to draw (3 NaN/Inf points)"},
		{"one point", []chartLine{{Series: &series{Total: 1, Points: []point{{5, 2}}}}}, "<svg"},
		{"flat", []chartLine{{Series: &series{Total: 2, Points: []point{{0, 3}, {1, 3}}}}}, "<svg"},
	}
	for _, tc := range tests {
		svg, err := renderChart("m", tc.lines)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !strings.Contains(string(svg), tc.want) {
			t.Errorf("%s: SVG lacks %q", tc.name, tc.want)
		}
	}
}

func TestPadRange(t *testing.T) {
	tests := []struct{ min, max, wantMin, wantMax float64 }{
		{0, 10, -0.4, 10.4},
		{3, 3, 1.5, 4.5}, // flat: ± half its size
		{0, 0, -0.5, 0.5},
		{-2, -2, -3, -1},
		{math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)}, // left alone
	}
	for _, tc := range tests {
		a := plot.Axis{Min: tc.min, Max: tc.max}
		padRange(&a)
		if math.Abs(a.Min-tc.wantMin) > 1e-12 || math.Abs(a.Max-tc.wantMax) > 1e-12 && !math.IsInf(tc.wantMax, 0) {
			t.Errorf("padRange(%v, %v) = %v, %v; want %v, %v", tc.min, tc.max, a.Min, a.Max, tc.wantMin, tc.wantMax)
		}
	}
}
