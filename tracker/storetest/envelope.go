package storetest

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ganbook/ganbook/tracker"
)

// longSeries is the logging order of the points of testLongEnvelope: steps
// 0…19,999 with NaN, ±Inf, −0 and 0, ties of value at different steps, a
// stretch of non-finite values only; then, logged later, points at steps
// already logged (a new minimum at step 10, ties of the extremes at their
// steps, second points at steps 0 and 19,999).
// Each point's time is its position in this list in ms, so that the test
// sees which of two equal points an envelope picked.
func longSeries(start time.Time) []tracker.MetricPoint {
	var pts []tracker.MetricPoint
	add := func(step int64, v float64) {
		pts = append(pts, tracker.MetricPoint{Key: "loss", Step: step, Time: start.Add(time.Duration(len(pts)) * time.Millisecond), Value: v})
	}
	negZero := math.Copysign(0, -1)
	for step := range int64(20000) {
		v := math.Sin(float64(step)/300) * float64(1+step%7)
		switch {
		case step >= 5100 && step < 5400: // range 5120…5375 of width 256 holds no finite value
			v = []float64{math.NaN(), math.Inf(1), math.Inf(-1)}[step%3]
		case step%997 == 0:
			v = math.NaN()
		case step%1009 == 0:
			v = math.Inf(1)
		case step%1013 == 0:
			v = math.Inf(-1)
		case step%500 == 1:
			v = negZero
		case step%500 == 2:
			v = 0
		case step%250 == 3:
			v = 7 // the largest finite value, several times in a range
		}
		add(step, v)
	}
	add(10, -1e9)           // a new minimum, at a step logged before
	add(10, -1e9)           // the same again: the first logged stays the minimum
	add(0, 3)               // a second point at the lowest step: not the first
	add(19999, math.Inf(1)) // a second point at the highest step: the last
	add(6000, math.NaN())
	add(3, 7) // ties the maximum at its step: the first logged stays the maximum
	return pts
}

// testLongEnvelope writes a series longer than any envelope reads point by
// point, in batches, so that each batch's summaries merge with those
// stored before, and checks envelopes of 100 and 10 ranges
// against a fold of the points done here. The range widths are worked out
// by hand: 20,000 steps in at most 100 ranges of a multiple of 64 steps
// take ranges of 256 steps (313 buckets of 64 → 4 a range); in at most 10
// ranges of a multiple of 512, 2,048 steps (40 buckets of 512 → 4 a range).
func testLongEnvelope(t *testing.T, tg Target) {
	ctx := context.Background()
	b, err := tracker.OpenBackend(tg.NewDatabase(t), tracker.BackendConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	start := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	id := strings.Repeat("5e", 16)
	if err := b.CreateRun(ctx, tracker.NewRun{ID: id, Experiment: "long", Name: "long", StartTime: start, HeartbeatTimeout: time.Hour}); err != nil {
		t.Fatal(err)
	}
	pts := longSeries(start)
	// Steps 0…19,999 in batches of 3,000 points, each pair swapped, so that
	// a range's points of lower steps come later at some batch boundaries
	// and earlier at others; then the points logged later, one a batch.
	var batches [][]tracker.MetricPoint
	for _, i := range []int{3000, 0, 9000, 6000, 15000, 12000, 18000} {
		batches = append(batches, pts[i:min(i+3000, 20000)])
	}
	for i := 20000; i < len(pts); i++ {
		batches = append(batches, pts[i:i+1])
	}
	for _, batch := range batches {
		if err := b.WriteBatch(ctx, tracker.Batch{RunID: id, Metrics: batch}); err != nil {
			t.Fatal(err)
		}
	}
	s := tracker.NewStore(b)
	stored, err := s.Metric(ctx, id, "loss")
	if err != nil || len(stored) != len(pts) {
		t.Fatalf("%d points read back, %v; want %d", len(stored), err, len(pts))
	}
	for _, tc := range []struct {
		buckets int
		width   int64
	}{{100, 256}, {10, 2048}} {
		t.Run(fmt.Sprint(tc.buckets), func(t *testing.T) {
			env, err := s.MetricEnvelope(ctx, id, "loss", tc.buckets)
			if err != nil {
				t.Fatal(err)
			}
			want := foldEnvelope(stored, tc.width)
			if env.Width != tc.width || env.Count != int64(len(pts)) || len(env.Buckets) != len(want) {
				t.Fatalf("envelope of %d points, width %d, %d ranges; want %d, %d, %d", env.Count, env.Width, len(env.Buckets), len(pts), tc.width, len(want))
			}
			for i, got := range env.Buckets {
				if d := diffBucket(got, want[i]); d != "" {
					t.Errorf("range %d (steps %d…): %s", i, want[i].Start, d)
				}
			}
		})
	}
}

// foldEnvelope summarises points, ordered by step then logging order, in
// ranges of width steps from step 0, by the definitions of
// tracker.EnvelopeBucket.
func foldEnvelope(points []tracker.MetricPoint, width int64) []tracker.EnvelopeBucket {
	var out []tracker.EnvelopeBucket
	for _, p := range points {
		start := p.Step / width * width
		if len(out) == 0 || out[len(out)-1].Start != start {
			out = append(out, tracker.EnvelopeBucket{Start: start, First: p})
		}
		b := &out[len(out)-1]
		b.Count++
		b.Last = p // the points come by step, then logging order
		switch {
		case math.IsNaN(p.Value):
			b.NaN++
		case math.IsInf(p.Value, 1):
			b.PosInf++
		case math.IsInf(p.Value, -1):
			b.NegInf++
		default:
			// Strict comparisons keep the earliest in this order: the
			// lowest step, then the first logged.
			if b.Min == nil || p.Value < b.Min.Value {
				q := p
				b.Min = &q
			}
			if b.Max == nil || p.Value > b.Max.Value {
				q := p
				b.Max = &q
			}
		}
	}
	return out
}

// diffBucket says how two envelope ranges differ, "" if they do not;
// values compare by their bits, NaN equal to NaN.
func diffBucket(got, want tracker.EnvelopeBucket) string {
	var d []string
	if got.Start != want.Start || got.Count != want.Count || got.NaN != want.NaN || got.PosInf != want.PosInf || got.NegInf != want.NegInf {
		d = append(d, fmt.Sprintf("start %d count %d NaN %d +Inf %d -Inf %d; want %d %d %d %d %d",
			got.Start, got.Count, got.NaN, got.PosInf, got.NegInf, want.Start, want.Count, want.NaN, want.PosInf, want.NegInf))
	}
	point := func(name string, g, w *tracker.MetricPoint) {
		switch {
		case g == nil && w == nil:
		case g == nil || w == nil:
			d = append(d, fmt.Sprintf("%s %v; want %v", name, g, w))
		case g.Step != w.Step || !g.Time.Equal(w.Time) || !samePoint(g.Value, w.Value):
			d = append(d, fmt.Sprintf("%s step %d time %s value %v (bits %#x); want %d %s %v (%#x)", name,
				g.Step, g.Time.UTC().Format("15:04:05.000"), g.Value, math.Float64bits(g.Value),
				w.Step, w.Time.UTC().Format("15:04:05.000"), w.Value, math.Float64bits(w.Value)))
		}
	}
	point("first", &got.First, &want.First)
	point("last", &got.Last, &want.Last)
	point("min", got.Min, want.Min)
	point("max", got.Max, want.Max)
	return strings.Join(d, "; ")
}
