package tracked

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ganbook/ganbook/tracker"
	_ "github.com/ganbook/ganbook/tracker/sqlite"
)

// t(0.975, 2), from the tables: the 95 % interval of three values.
const tQuantile2 = 4.302652729749464

// logGroup records one run per level: every metric is 100 for the first 10 steps (outside the
// end window) and level for the 50 after.
func logGroup(t *testing.T, store *tracker.Store, levels ...float64) []string {
	t.Helper()
	ctx := context.Background()
	var ids []string
	for _, level := range levels {
		run, err := store.StartRun(ctx, "groups", "g", map[string]any{"seed": level})
		if err != nil {
			t.Fatal(err)
		}
		for step := int64(1); step <= 60; step++ {
			v := level
			if step <= 10 {
				v = 100
			}
			values := map[string]float64{}
			for _, k := range EndMetrics {
				values[k] = v
			}
			if err := run.LogMetrics(step, values); err != nil {
				t.Fatal(err)
			}
		}
		if err := run.Finish(ctx); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, run.ID())
	}
	return ids
}

func TestLoadSeedGroup(t *testing.T) {
	ctx := context.Background()
	store, err := tracker.Open(filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	load := func(name string, levels ...float64) SeedGroup {
		g, err := LoadSeedGroup(ctx, store, name, logGroup(t, store, levels...), 1)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	low, near, far := load("low", 1, 2, 3), load("near", 3, 4, 5), load("far", 10, 11, 12)

	// Ends 1, 2, 3: mean 2, standard deviation 1, half-width t·1/√3.
	half := tQuantile2 / math.Sqrt(3)
	for _, k := range EndMetrics {
		iv := low.End[k]
		if iv.N != 3 || math.Abs(float64(iv.Mean)-2) > 1e-12 || math.Abs(float64(iv.HalfWidth)-half) > 1e-9 {
			t.Errorf("%s: %d runs, %v ± %v; want 3, 2 ± %v", k, iv.N, iv.Mean, iv.HalfWidth, half)
		}
		if got := low.Ends[k]; len(got) != 3 || got[0] != 1 || got[2] != 3 {
			t.Errorf("%s: ends %v, want [1 2 3]", k, got)
		}
		band := low.Bands[k]
		if len(band) != 60 || band[0].Step != 1 || float64(band[0].Mean) != 100 || float64(band[0].HalfWidth) != 0 ||
			math.Abs(float64(band[59].Mean)-2) > 1e-12 || math.Abs(float64(band[59].HalfWidth)-half) > 1e-9 {
			t.Errorf("%s: band of %d points, first %+v, last %+v", k, len(band), band[0], band[len(band)-1])
		}
	}
	tests := []struct {
		a, b SeedGroup
		want bool
	}{
		{low, far, true},   // [−0.48, 4.48] and [8.52, 13.48]
		{low, near, false}, // [−0.48, 4.48] and [1.52, 6.48]
		{near, far, true},
	}
	for _, tt := range tests {
		for _, k := range EndMetrics {
			if got := Separated(tt.a, tt.b, k); got != tt.want || Separated(tt.b, tt.a, k) != got {
				t.Errorf("Separated(%s, %s, %s) = %v, want %v", tt.a.Name, tt.b.Name, k, got, tt.want)
			}
		}
	}
	if got, want := FormatInterval(low.End[DFake], 2), "2.00 ± 2.48"; got != want {
		t.Errorf("FormatInterval = %q, want %q", got, want)
	}
	svg, err := GroupsSVG([]SeedGroup{low, near, far}, 1)
	if err != nil || !strings.HasPrefix(svg, "<svg") || strings.Count(svg, "near (3 seeds)") != 1 {
		t.Errorf("GroupsSVG: %v, %d legends of near", err, strings.Count(svg, "near (3 seeds)"))
	}
	if got := SeparatedSteps(low, far, DReal); !slices.Equal(got, []Stretch{{From: 11, To: 60}}) {
		t.Errorf("low vs far: stretches %v, want 11–60 below", got)
	}
	if got := SeparatedSteps(far, low, DReal); !slices.Equal(got, []Stretch{{From: 11, To: 60, Above: true}}) {
		t.Errorf("far vs low: stretches %v, want 11–60 above", got)
	}
	if got := SeparatedSteps(low, near, DReal); len(got) != 0 {
		t.Errorf("low vs near: stretches %v, want none", got)
	}
	if _, err := LoadSeedGroup(ctx, store, "none", []string{"no-such-run"}, 1); err == nil {
		t.Error("LoadSeedGroup of an unknown run: no error")
	}
}

func TestSeparatedSteps(t *testing.T) {
	// Bands of one run each: an interval without width is its mean alone.
	band := func(means ...float64) SeedGroup {
		g := SeedGroup{Bands: map[string][]tracker.BandPoint{}}
		for i, m := range means {
			g.Bands[DFake] = append(g.Bands[DFake], tracker.BandPoint{Step: int64(i + 1), Interval: tracker.TInterval([]float64{m}, Level)})
		}
		return g
	}
	a, b := band(0, 0, 5, 5, 0, -5, -5, 5), band(0, 0, 0, 0, 0, 0, 0, 0)
	want := []Stretch{{From: 3, To: 4, Above: true}, {From: 6, To: 7}, {From: 8, To: 8, Above: true}}
	if got := SeparatedSteps(a, b, DFake); !slices.Equal(got, want) {
		t.Errorf("SeparatedSteps = %v, want %v", got, want)
	}
	if got := SeparatedSteps(a, band(0, 0), DFake); !slices.Equal(got, nil) {
		t.Errorf("steps only a has: %v, want none", got)
	}
}
