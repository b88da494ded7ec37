package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ganbook/ganbook/gantrack"
	"github.com/ganbook/ganbook/tracker"
)

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// formatValue prints a metric value as the web UI does.
func formatValue(v float64) string { return tracker.FormatMetric(v) }

// defaultRunColumns are the columns of `ganbook runs` without --columns.
var defaultRunColumns = []string{
	"id", "name", "experiment", "status", "started", "duration",
	"params.model", "params.dataset", "params.loss", "params.steps", "params.batch", "params.lr_d", "params.lr_g",
	"metrics." + gantrack.DLoss, "metrics." + gantrack.GLoss, "metrics." + gantrack.DReal, "metrics." + gantrack.DFake,
}

// runColumn is one column of `ganbook runs`: its header and a run's value.
type runColumn struct {
	header string
	value  func(tracker.RunInfo) string
}

// runAttributes are the columns that are not params, metrics or tags.
var runAttributes = map[string]runColumn{
	"id":         {"ID", func(r tracker.RunInfo) string { return r.ID[:min(8, len(r.ID))] }},
	"name":       {"NAME", func(r tracker.RunInfo) string { return orDash(r.Name) }},
	"experiment": {"EXPERIMENT", func(r tracker.RunInfo) string { return orDash(r.Experiment) }},
	"status":     {"STATUS", func(r tracker.RunInfo) string { return string(r.Status) }},
	"started":    {"STARTED", func(r tracker.RunInfo) string { return r.StartTime.Local().Format("2006-01-02 15:04:05") }},
	"duration":   {"DURATION", func(r tracker.RunInfo) string { return tracker.FormatDuration(r.Duration()) }},
}

// parseRunColumns reads --columns: attributes (id, name, experiment, status,
// started, duration) and params.KEY, metrics.KEY (the last value), tags.KEY.
func parseRunColumns(specs []string) ([]runColumn, error) {
	var cols []runColumn
	for _, spec := range specs {
		spec = strings.TrimSpace(spec)
		if c, ok := runAttributes[spec]; ok {
			cols = append(cols, c)
			continue
		}
		kind, key, _ := strings.Cut(spec, ".")
		if key == "" {
			kind = ""
		}
		switch kind {
		case "params":
			cols = append(cols, runColumn{key, func(r tracker.RunInfo) string { return orDash(r.Params[key]) }})
		case "tags":
			cols = append(cols, runColumn{key, func(r tracker.RunInfo) string { return orDash(r.Tags[key]) }})
		case "metrics":
			cols = append(cols, runColumn{key, func(r tracker.RunInfo) string {
				if s, ok := r.Metrics[key]; ok && s.Count > 0 {
					return formatValue(s.Last)
				}
				return "-"
			}})
		default:
			return nil, fmt.Errorf("--columns %q: want one of %s, or params.KEY, metrics.KEY, tags.KEY",
				spec, strings.Join(slices.Sorted(maps.Keys(runAttributes)), ", "))
		}
	}
	if len(cols) == 0 {
		return nil, errors.New("--columns: no columns")
	}
	return cols, nil
}

func newRunsCommand() *cobra.Command {
	var filter, orderBy string
	var limit int
	var asJSON bool
	columns := defaultRunColumns
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List recorded runs",
		Long: `List recorded runs, newest first. --filter takes MLflow-style expressions:

  ganbook runs --filter "params.lr_d = 0.0002 and metrics.d_loss < 0.7 and status = 'FINISHED'"

on params.KEY, metrics.KEY (latest value), tags.KEY and the attributes status, name,
experiment, id and start_time; with and, or, parentheses and = != < <= > >=.
--columns chooses the table's columns, e.g. --columns id,name,params.lr_d,metrics.fid.`,
		Args: cobra.NoArgs,
	}
	db := dbFlag(cmd)
	cmd.Flags().StringVar(&filter, "filter", "", "filter expression")
	cmd.Flags().StringVar(&orderBy, "order-by", "", `order, e.g. "metrics.d_loss ASC, start_time DESC" (default start_time DESC)`)
	cmd.Flags().IntVar(&limit, "limit", 0, "show at most this many runs")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringSliceVar(&columns, "columns", columns,
		"table columns: id, name, experiment, status, started, duration, params.KEY, metrics.KEY, tags.KEY")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cols, err := parseRunColumns(columns)
		if err != nil {
			return err
		}
		return withStore(*db, false, func(store *tracker.Store) error {
			runs, err := store.Runs(cmd.Context(), tracker.RunQuery{Filter: filter, OrderBy: orderBy, Limit: limit})
			if err != nil {
				return err
			}
			if asJSON {
				if runs == nil {
					runs = []tracker.RunInfo{}
				}
				return writeJSON(cmd.OutOrStdout(), runs)
			}
			return printRunsTable(cmd.OutOrStdout(), runs, cols)
		})
	}
	return cmd
}

func printRunsTable(w io.Writer, runs []tracker.RunInfo, cols []runColumn) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := make([]string, len(cols))
	for i, c := range cols {
		row[i] = c.header
	}
	fmt.Fprintln(tw, strings.Join(row, "\t"))
	for _, r := range runs {
		for i, c := range cols {
			row[i] = c.value(r)
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	if len(runs) == 0 {
		fmt.Fprintln(tw, "(no runs)")
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
