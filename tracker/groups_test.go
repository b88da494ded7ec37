package tracker_test

import (
	"math"
	"slices"
	"testing"

	"github.com/ganbook/ganbook/tracker"
)

// The golden half-widths are t·s/√n with t read from a printed t table
// (t(0.975, 2) = 4.302653, t(0.975, 4) = 2.776445) and s worked by hand.
func TestTInterval(t *testing.T) {
	tests := []struct {
		name           string
		values         []float64
		n              int
		mean, sd, half float64
		wantNaNHalf    bool
	}{
		{"three seeds", []float64{1, 2, 3}, 3, 2, 1, 4.302653 / math.Sqrt(3), false},
		{"five seeds", []float64{10, 12, 14, 16, 18}, 5, 14, math.Sqrt(10), 2.776445 * math.Sqrt(10) / math.Sqrt(5), false},
		{"equal values", []float64{7, 7, 7}, 3, 7, 0, 0, false},
		{"one value", []float64{4}, 1, 4, math.NaN(), math.NaN(), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			iv := tracker.TInterval(tc.values, 0.95)
			if iv.N != tc.n {
				t.Errorf("N = %d, want %d", iv.N, tc.n)
			}
			if !approxEqual(float64(iv.Mean), tc.mean) {
				t.Errorf("Mean = %v, want %v", iv.Mean, tc.mean)
			}
			if tc.wantNaNHalf {
				if !math.IsNaN(float64(iv.HalfWidth)) {
					t.Errorf("HalfWidth = %v, want NaN for a single value", iv.HalfWidth)
				}
				return
			}
			if !approxEqual(float64(iv.StdDev), tc.sd) {
				t.Errorf("StdDev = %v, want %v", iv.StdDev, tc.sd)
			}
			if !approxEqual(float64(iv.HalfWidth), tc.half) {
				t.Errorf("HalfWidth = %v, want %v", iv.HalfWidth, tc.half)
			}
		})
	}
}

func approxEqual(got, want float64) bool {
	return math.Abs(got-want) <= 1e-6*math.Max(1, math.Abs(want))
}

func TestIntervalOverlaps(t *testing.T) {
	a := tracker.TInterval([]float64{1, 2, 3}, 0.95)            // [-0.484, 4.484]
	b := tracker.TInterval([]float64{4, 5, 6}, 0.95)            // [2.516, 7.484]
	c := tracker.TInterval([]float64{10, 12, 14, 16, 18}, 0.95) // [10.074, 17.926]
	point := tracker.TInterval([]float64{11}, 0.95)
	empty := tracker.TInterval(nil, 0.95)
	tests := []struct {
		name string
		x, y tracker.Interval
		want bool
	}{
		{"overlapping", a, b, true},
		{"apart", a, c, false},
		{"apart, other order", c, b, false},
		{"point inside", point, c, true},
		{"point outside", point, b, false},
		{"empty", empty, a, false},
	}
	for _, tc := range tests {
		if got := tc.x.Overlaps(tc.y); got != tc.want {
			t.Errorf("%s: Overlaps = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestGroupRuns(t *testing.T) {
	run := func(id, loss, lr, seed string, fid float64) tracker.RunInfo {
		return tracker.RunInfo{
			ID:      id,
			Params:  map[string]string{"loss": loss, "lr_d": lr, "seed": seed, "model": "mlp"},
			Metrics: map[string]tracker.MetricSummary{"fid": {Key: "fid", Count: 3, Last: fid}},
		}
	}
	runs := []tracker.RunInfo{
		run("1", "minimax", "0.0002", "1", 0.5),
		run("2", "nonsaturating", "0.0002", "1", 10),
		run("3", "minimax", "0.0002", "2", 0.7),
		run("4", "nonsaturating", "0.0002", "2", 12),
		run("5", "minimax", "0.0002", "3", 0.9),
		run("6", "nonsaturating", "0.0001", "1", 14),
	}
	tests := []struct {
		name   string
		by     []string
		labels []string
		sizes  []int
	}{
		{"differing params but seed", nil, []string{"loss=minimax lr_d=0.0002", "loss=nonsaturating lr_d=0.0001", "loss=nonsaturating lr_d=0.0002"}, []int{3, 1, 2}},
		{"by loss", []string{"loss"}, []string{"loss=minimax", "loss=nonsaturating"}, []int{3, 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			groups := tracker.GroupRuns(runs, tc.by)
			var labels []string
			var sizes []int
			for _, g := range groups {
				labels = append(labels, g.Label)
				sizes = append(sizes, len(g.Runs))
			}
			if !slices.Equal(labels, tc.labels) || !slices.Equal(sizes, tc.sizes) {
				t.Fatalf("groups %q of sizes %v, want %q of sizes %v", labels, sizes, tc.labels, tc.sizes)
			}
		})
	}
	// minimax: 0.5, 0.7, 0.9 → mean 0.7, s = 0.2, half = 4.302653·0.2/√3.
	fid := tracker.GroupRuns(runs, nil)[0].Finals["fid"]
	if fid.N != 3 || !approxEqual(float64(fid.Mean), 0.7) || !approxEqual(float64(fid.HalfWidth), 4.302653*0.2/math.Sqrt(3)) {
		t.Errorf("minimax fid = %+v, want n 3, mean 0.7, half-width %v", fid, 4.302653*0.2/math.Sqrt(3))
	}
}

func TestCurveBand(t *testing.T) {
	pts := func(vals ...float64) []tracker.MetricPoint {
		var out []tracker.MetricPoint
		for i := 0; i < len(vals); i += 2 {
			out = append(out, tracker.MetricPoint{Step: int64(vals[i]), Value: vals[i+1]})
		}
		return out
	}
	series := [][]tracker.MetricPoint{
		pts(1, 1, 2, 10, 3, 5),
		pts(1, 2, 2, 12),
		pts(1, 9, 1, 3, 2, 14, 3, math.NaN()), // step 1 logged twice: 3 counts
	}
	band := tracker.CurveBand(series, 0.95)
	tests := []struct {
		step       int64
		n          int
		mean, half float64
	}{
		{1, 3, 2, 4.302653 / math.Sqrt(3)},      // 1, 2, 3: s = 1
		{2, 3, 12, 4.302653 * 2 / math.Sqrt(3)}, // 10, 12, 14: s = 2
		{3, 1, 5, math.NaN()},                   // NaN left out
	}
	if len(band) != len(tests) {
		t.Fatalf("%d band points, want %d: %+v", len(band), len(tests), band)
	}
	for i, tc := range tests {
		b := band[i]
		if b.Step != tc.step || b.N != tc.n || !approxEqual(float64(b.Mean), tc.mean) ||
			(math.IsNaN(tc.half) != math.IsNaN(float64(b.HalfWidth))) || (!math.IsNaN(tc.half) && !approxEqual(float64(b.HalfWidth), tc.half)) {
			t.Errorf("band[%d] = %+v, want step %d n %d mean %v half %v", i, b, tc.step, tc.n, tc.mean, tc.half)
		}
	}
}
