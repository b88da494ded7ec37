package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/ganbook/ganbook/tracker"
)

// sweepTag is the tag naming the sweep a run is a trial of.
const sweepTag = tracker.SweepTag

// groupSelection is how `ganbook compare` picks and groups runs for seed
// groups: --group-by or --group, with the runs named, filtered or swept.
type groupSelection struct {
	by     []string
	all    bool
	filter string
	sweep  string
	curves []string // metrics whose per-step mean and band to show
}

func (g groupSelection) active() bool { return len(g.by) > 0 || g.all }

// runs returns the runs named by ids, or those matching --filter and --sweep.
func (g groupSelection) runs(ctx context.Context, store *tracker.Store, ids []string) ([]tracker.RunInfo, error) {
	if len(ids) > 0 {
		if g.filter != "" || g.sweep != "" {
			return nil, fmt.Errorf("name runs or give --filter/--sweep, not both")
		}
		var runs []tracker.RunInfo
		for _, id := range ids {
			r, err := store.Run(ctx, id)
			if err != nil {
				return nil, fmt.Errorf("run %s: %w", id, err)
			}
			runs = append(runs, r)
		}
		return runs, nil
	}
	var parts []string
	if g.filter != "" {
		parts = append(parts, "("+g.filter+")")
	}
	if g.sweep != "" {
		// A trial interrupted and resumed has a KILLED run and a FINISHED one.
		parts = append(parts, fmt.Sprintf("tags.%s = %s and status = 'FINISHED'", sweepTag, tracker.FilterString(g.sweep)))
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("grouping needs runs: name them, or give --filter or --sweep")
	}
	runs, err := store.Runs(ctx, tracker.RunQuery{Filter: strings.Join(parts, " and "), OrderBy: "start_time ASC"})
	if err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("no runs match %s", strings.Join(parts, " and "))
	}
	return runs, nil
}

// groupReport is what `ganbook compare --group-by … --json` prints.
type groupReport struct {
	By     []string        `json:"by"`
	Method string          `json:"method"`
	Groups []tracker.Group `json:"groups"`
	// Curves holds, per group label and metric, the mean and 95% band at
	// every step (--curve).
	Curves map[string]map[string][]tracker.BandPoint `json:"curves,omitempty"`
}

// addCurves reads the --curve metrics of every grouped run and computes
// each group's band.
func (rep *groupReport) addCurves(ctx context.Context, store *tracker.Store, metrics []string) error {
	if len(metrics) == 0 {
		return nil
	}
	rep.Curves = map[string]map[string][]tracker.BandPoint{}
	for _, g := range rep.Groups {
		rep.Curves[g.Label] = map[string][]tracker.BandPoint{}
		for _, m := range metrics {
			var series [][]tracker.MetricPoint
			for _, r := range g.Runs {
				points, err := store.Metric(ctx, r.ID, m)
				if err != nil {
					return fmt.Errorf("run %s metric %s: %w", r.ID[:min(8, len(r.ID))], m, err)
				}
				series = append(series, points)
			}
			rep.Curves[g.Label][m] = tracker.CurveBand(series, 0.95)
		}
	}
	return nil
}

const intervalMethod = "mean ± half-width of the two-sided 95% Student-t interval over the group's runs: t(0.975, n-1)·s/√n, s the sample standard deviation"

func groupRuns(runs []tracker.RunInfo, sel groupSelection) groupReport {
	by := sel.by
	if sel.all {
		by = tracker.GroupKeys(runs)
	}
	return groupReport{By: by, Method: intervalMethod, Groups: tracker.GroupRuns(runs, by)}
}

// printGroups lists the groups, then each metric's final value per group as
// mean ± half-interval, and which groups' intervals overlap.
func printGroups(w io.Writer, rep groupReport) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "groups by %s:\n", orDash(strings.Join(rep.By, ",")))
	for i, g := range rep.Groups {
		fmt.Fprintf(tw, "  G%d\t%s\tn=%d\n", i+1, orDash(g.Label), len(g.Runs))
	}
	fmt.Fprintf(tw, "final metric values: %s\n", rep.Method)
	var metrics []string
	for _, g := range rep.Groups {
		for k := range g.Finals {
			if !slices.Contains(metrics, k) {
				metrics = append(metrics, k)
			}
		}
	}
	slices.Sort(metrics)
	for _, m := range metrics {
		fmt.Fprintf(tw, "%s\n", m)
		for i, g := range rep.Groups {
			iv, ok := g.Finals[m]
			if !ok {
				fmt.Fprintf(tw, "  G%d\tn=0\t-\n", i+1)
				continue
			}
			fmt.Fprintf(tw, "  G%d\tn=%d\t%s\n", i+1, iv.N, formatInterval(iv))
		}
		var overlaps []string
		for i := range rep.Groups {
			for j := i + 1; j < len(rep.Groups); j++ {
				a, aok := rep.Groups[i].Finals[m]
				b, bok := rep.Groups[j].Finals[m]
				if aok && bok && a.Overlaps(b) {
					overlaps = append(overlaps, fmt.Sprintf("G%d~G%d", i+1, j+1))
				}
			}
		}
		if len(rep.Groups) > 1 {
			if len(overlaps) == 0 {
				fmt.Fprintf(tw, "  intervals overlap: none\n")
			} else {
				fmt.Fprintf(tw, "  intervals overlap: %s (not told apart at this n)\n", strings.Join(overlaps, " "))
			}
		}
	}
	for _, m := range slices.Sorted(maps.Keys(curveMetrics(rep))) {
		fmt.Fprintf(tw, "%s by step (mean ± 95%% half-interval; at most %d steps shown, --json for all)\n", m, curveRows)
		for i, g := range rep.Groups {
			band := rep.Curves[g.Label][m]
			for j := range min(len(band), curveRows) {
				b := band[j*len(band)/min(len(band), curveRows)]
				if j == min(len(band), curveRows)-1 {
					b = band[len(band)-1]
				}
				fmt.Fprintf(tw, "  G%d\tstep %d\tn=%d\t%s\n", i+1, b.Step, b.N, formatInterval(b.Interval))
			}
		}
	}
	return tw.Flush()
}

// curveRows is how many steps of each curve the text output shows.
const curveRows = 10

func curveMetrics(rep groupReport) map[string]bool {
	out := map[string]bool{}
	for _, byMetric := range rep.Curves {
		for m := range byMetric {
			out[m] = true
		}
	}
	return out
}

func formatInterval(iv tracker.Interval) string {
	if math.IsNaN(float64(iv.HalfWidth)) {
		return formatValue(float64(iv.Mean)) + " ± ? (one run)"
	}
	return formatValue(float64(iv.Mean)) + " ± " + formatValue(float64(iv.HalfWidth))
}
