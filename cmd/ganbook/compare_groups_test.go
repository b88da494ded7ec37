package main

import (
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// storeRuns writes finished runs with the given params and one "fid" point
// each into a fresh database, and returns its path.
func storeRuns(t *testing.T, runs []map[string]any, fids []float64) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "runs.db")
	store, err := openStore(db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	for i, params := range runs {
		run, err := store.StartRun(ctx, "groups", "", params)
		if err != nil {
			t.Fatal(err)
		}
		if err := run.LogMetric("fid", 10, fids[i]); err != nil {
			t.Fatal(err)
		}
		if err := run.Finish(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// The golden intervals are t·s/√n with t(0.975, 2) = 4.302653 from a printed
// t table and s worked by hand.
func TestCompareGroupBy(t *testing.T) {
	p := func(loss string, seed int) map[string]any {
		return map[string]any{"loss": loss, "model": "mlp", "seed": seed}
	}
	db := storeRuns(t,
		[]map[string]any{p("minimax", 1), p("minimax", 2), p("minimax", 3), p("nonsaturating", 1), p("nonsaturating", 2), p("nonsaturating", 3)},
		[]float64{20, 22, 24, 30, 31, 35})
	// minimax: mean 22, s = 2 → half 4.302653·2/√3 = 4.968276 → [17.03, 26.97]
	// nonsaturating: mean 32, s = √7 → half 4.302653·√7/√3 = 6.572411 → [25.43, 38.57]: they overlap.
	want := map[string][2]float64{
		"loss=minimax":       {22, 4.302653 * 2 / math.Sqrt(3)},
		"loss=nonsaturating": {32, 4.302653 * math.Sqrt(7) / math.Sqrt(3)},
	}
	tests := []struct {
		name string
		args []string
	}{
		{"group-by", []string{"--group-by", "loss", "--filter", "params.model = 'mlp'"}},
		{"group", []string{"--group", "--filter", "experiment = 'groups'"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runGanbook(t, t.TempDir(), nil, append([]string{"compare", "--db", db, "--json"}, tc.args...)...)
			if r.exitCode != 0 {
				t.Fatalf("exit %d: %s", r.exitCode, r.stderr)
			}
			var rep struct {
				Groups []struct {
					Label  string
					Finals map[string]struct {
						N         int
						Mean      float64
						HalfWidth float64 `json:"half_width"`
					}
				}
			}
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatalf("%v\n%s", err, r.stdout)
			}
			if len(rep.Groups) != 2 {
				t.Fatalf("%d groups, want 2:\n%s", len(rep.Groups), r.stdout)
			}
			for _, g := range rep.Groups {
				w, ok := want[g.Label]
				fid := g.Finals["fid"]
				if !ok || fid.N != 3 || math.Abs(fid.Mean-w[0]) > 1e-9 || math.Abs(fid.HalfWidth-w[1]) > 1e-5 {
					t.Errorf("group %q fid = %+v, want n 3, mean ± half %v", g.Label, fid, w)
				}
			}
		})
	}
	r := runGanbook(t, t.TempDir(), nil, "compare", "--db", db, "--group-by", "loss", "--filter", "params.model = 'mlp'")
	for _, line := range []string{"G1  loss=minimax", "n=3  22 ± 4.9683", "n=3  32 ± 6.5724", "intervals overlap: G1~G2"} {
		if !strings.Contains(r.stdout, line) {
			t.Errorf("output lacks %q:\n%s%s", line, r.stdout, r.stderr)
		}
	}
	if r := runGanbook(t, t.TempDir(), nil, "compare", "--db", db, "--group-by", "loss"); r.exitCode == 0 || !strings.Contains(r.stderr, "--filter") {
		t.Errorf("grouping without runs: exit %d, stderr %q; want a failure naming --filter", r.exitCode, r.stderr)
	}
}
