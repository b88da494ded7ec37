package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/ganbook/ganbook/tracker"
)

func newExportCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "export RUN",
		Short: "Export a run's metric series as CSV or JSON",
		Args:  cobra.ExactArgs(1),
	}
	db := dbFlag(cmd)
	cmd.Flags().StringVar(&format, "format", "csv", "csv or json")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if format != "csv" && format != "json" {
			return fmt.Errorf("--format %q: want csv or json", format)
		}
		return withStore(*db, false, func(store *tracker.Store) error {
			return exportRun(cmd.Context(), cmd.OutOrStdout(), store, args[0], format)
		})
	}
	return cmd
}

func exportRun(ctx context.Context, w io.Writer, store *tracker.Store, id, format string) error {
	run, err := store.Run(ctx, id)
	if err != nil {
		return err
	}
	series := map[string][]tracker.MetricPoint{}
	for _, key := range slices.Sorted(maps.Keys(run.Metrics)) {
		points, err := store.Metric(ctx, run.ID, key)
		if err != nil {
			return err
		}
		series[key] = points
	}
	if format == "json" {
		return writeJSON(w, struct {
			Run     tracker.RunInfo                  `json:"run"`
			Metrics map[string][]tracker.MetricPoint `json:"metrics"`
		}{run, series})
	}
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"run", "key", "step", "time", "value"}); err != nil {
		return err
	}
	for _, key := range slices.Sorted(maps.Keys(series)) {
		for _, p := range series[key] {
			row := []string{run.ID, key, strconv.FormatInt(p.Step, 10), p.Time.UTC().Format(time.RFC3339Nano),
				strconv.FormatFloat(p.Value, 'g', -1, 64)}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
