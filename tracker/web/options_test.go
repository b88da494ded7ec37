package web

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
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
		if r := do(t, h, "GET", "/api/series?key=g_loss&run="+s.ids[name]); r.code != 200 {
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

// TestWithMaxPoints checks that a chart gets the downsampled series: a
// run's 301 points of d_loss become 50, and each point's band holds it.
func TestWithMaxPoints(t *testing.T) {
	s := seedStore(t)
	for _, tc := range []struct {
		maxPoints, want int
		downsampled     bool
	}{{50, 50, true}, {1000, 301, false}} {
		h := NewHandler(s.reader, WithMaxPoints(tc.maxPoints))
		r := do(t, h, "GET", "/api/series?key=d_loss&run="+s.ids[runBaseline])
		var out seriesJSON
		if err := json.Unmarshal([]byte(r.body), &out); err != nil {
			t.Fatalf("%d: %v\n%s", r.code, err, r.body)
		}
		got := out.Runs[0]
		if len(got.Step) != tc.want || len(got.Value) != tc.want || len(got.Time) != tc.want || got.Downsampled != tc.downsampled {
			t.Errorf("WithMaxPoints(%d): %d points (downsampled %v), want %d (%v)", tc.maxPoints, len(got.Step), got.Downsampled, tc.want, tc.downsampled)
		}
		for i := range got.Value {
			if got.Lo[i] > got.Value[i] || got.Hi[i] < got.Value[i] {
				t.Errorf("point %d: value %v outside its band [%v, %v]", i, got.Value[i], got.Lo[i], got.Hi[i])
			}
		}
	}
}

func TestWithCacheSize(t *testing.T) {
	s := seedStore(t)
	h := NewHandler(s.reader, WithCacheSize(3))
	for _, key := range []string{"d_loss", "g_loss", "d_real", "d_fake", "images_per_sec"} {
		do(t, h, "GET", "/api/series?key="+key+"&run="+s.ids[runBaseline])
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
