package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ganbook/ganbook/tracker"
)

// tableRuns are two runs as the tracker lists them: one unnamed (its name
// is its id's first 8 digits), one named.
func tableRuns() []tracker.RunInfo {
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	return []tracker.RunInfo{
		{
			ID: "9628e21b00000000000000000000000a", Name: "9628e21b", Experiment: "mnist-mlp", Status: tracker.StatusFinished,
			StartTime: start, EndTime: start.Add(90 * time.Second),
			Params:  map[string]string{"lr_d": "0.0002", "model": "mlp", "batch": "128"},
			Tags:    map[string]string{"note": "first"},
			Metrics: map[string]tracker.MetricSummary{"d_loss": {Count: 3, Last: 0.61, Min: 0.5}, "fid": {Count: 1, Last: 12.5, Min: 12.5}},
		},
		{
			ID: "a1b2c3d4e5f60000000000000000000b", Name: "a-rather-long-run-name", Experiment: "sweep", Status: tracker.StatusKilled,
			StartTime: start, EndTime: start.Add(2 * time.Second),
			Params:  map[string]string{"lr_d": "0.001", "model": "mlp"},
			Metrics: map[string]tracker.MetricSummary{"d_loss": {Count: 2, Last: 0.7, Min: 0.69}},
		},
	}
}

// columnStarts returns where each of cells begins in line, in order, or nil
// when one is missing.
func columnStarts(line string, cells []string) []int {
	var starts []int
	from := 0
	for _, c := range cells {
		i := strings.Index(line[from:], c)
		if i < 0 {
			return nil
		}
		starts = append(starts, from+i)
		from += i + len(c)
	}
	return starts
}

func TestCompareHeaderLinesUpWithValues(t *testing.T) {
	runs := tableRuns()
	c := tracker.Comparison{
		Runs: runs,
		Params: []tracker.ParamComparison{
			{Key: "a_long_parameter_name_indeed", Values: []tracker.ParamValue{{Value: "1", Set: true}, {Value: "2", Set: true}}, Differs: true},
			{Key: "lr_d", Values: []tracker.ParamValue{{Value: "0.0002", Set: true}, {Value: "0.001", Set: true}}, Differs: true},
			{Key: "model", Values: []tracker.ParamValue{{Value: "mlp", Set: true}, {Value: "mlp", Set: true}}},
		},
		Metrics: []tracker.MetricComparison{
			{Key: "d_loss", Values: []tracker.MetricSummary{runs[0].Metrics["d_loss"], runs[1].Metrics["d_loss"]}},
		},
	}
	for _, all := range []bool{false, true} {
		var out bytes.Buffer
		if err := printComparison(&out, c, all); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
		// Hand-written: the unnamed run is labelled by its id alone.
		header := []string{"9628e21b", "a1b2c3d4 a-rather-long-run-name"}
		if strings.Count(lines[0], "9628e21b") != 1 {
			t.Errorf("all=%v: the unnamed run's id appears %d times in the header %q, want once", all, strings.Count(lines[0], "9628e21b"), lines[0])
		}
		want := columnStarts(lines[0], header)
		if want == nil {
			t.Fatalf("all=%v: header %q lacks %q", all, lines[0], header)
		}
		rows := map[string][]string{
			"a_long_parameter_name_indeed": {"1", "2"},
			"lr_d":                         {"0.0002", "0.001"},
			"d_loss":                       {"0.61 / 0.5", "0.7 / 0.69"},
		}
		if all {
			rows["model"] = []string{"mlp", "mlp"}
		}
		found := 0
		for _, line := range lines[1:] {
			for key, cells := range rows {
				if !strings.HasPrefix(strings.TrimLeft(line, " *"), key+" ") {
					continue
				}
				found++
				got := columnStarts(line[strings.Index(line, key)+len(key):], cells)
				for i := range got {
					got[i] += strings.Index(line, key) + len(key)
				}
				if got == nil || got[0] != want[0] || got[1] != want[1] {
					t.Errorf("all=%v: row %q has its values at %v, the header %q its runs at %v", all, line, got, lines[0], want)
				}
			}
			if strings.HasSuffix(line, " ") {
				t.Errorf("all=%v: trailing spaces in %q", all, line)
			}
		}
		if found != len(rows) {
			t.Errorf("all=%v: found %d of the %d rows in\n%s", all, found, len(rows), out.String())
		}
	}
}

func TestRunsColumns(t *testing.T) {
	runs := tableRuns()
	for _, tc := range []struct {
		name    string
		columns []string
		header  []string
		rows    [][]string // cells of each run, hand-written
	}{
		{"chosen", []string{"id", "params.lr_d", "metrics.fid", "tags.note"},
			[]string{"ID", "lr_d", "fid", "note"},
			[][]string{{"9628e21b", "0.0002", "12.5", "first"}, {"a1b2c3d4", "0.001", "-", "-"}}},
		{"experiment and duration", []string{"name", "experiment", "duration", "status"},
			[]string{"NAME", "EXPERIMENT", "DURATION", "STATUS"},
			[][]string{{"9628e21b", "mnist-mlp", "1m30s", "FINISHED"}, {"a-rather-long-run-name", "sweep", "2s", "KILLED"}}},
		{"default has the experiment", defaultRunColumns,
			[]string{"ID", "NAME", "EXPERIMENT", "STATUS", "STARTED", "DURATION", "model", "lr_d", "d_loss"},
			[][]string{{"9628e21b", "mnist-mlp", "FINISHED", "mlp", "128", "0.0002", "0.61"}, {"a1b2c3d4", "sweep", "KILLED", "mlp", "-", "0.001", "0.7"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cols, err := parseRunColumns(tc.columns)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := printRunsTable(&out, runs, cols); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
			if len(lines) != 1+len(runs) {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), 1+len(runs), out.String())
			}
			if columnStarts(lines[0], tc.header) == nil {
				t.Errorf("header %q lacks %q in order", lines[0], tc.header)
			}
			for i, cells := range tc.rows {
				if columnStarts(lines[1+i], cells) == nil {
					t.Errorf("row %q lacks %q in order", lines[1+i], cells)
				}
			}
		})
	}
	for _, bad := range [][]string{{"params."}, {"lr_d"}, {"metric.fid"}, {}} {
		if _, err := parseRunColumns(bad); err == nil {
			t.Errorf("parseRunColumns(%q) accepted", bad)
		}
	}
}
