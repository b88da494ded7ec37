package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ganbook/ganbook/tracker"
)

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// formatValue prints a metric value as the web UI does.
func formatValue(v float64) string { return tracker.FormatMetric(v) }

func formatDuration(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// keyParams are the columns of `ganbook runs` besides the attributes.
var keyParams = []string{"model", "dataset", "loss", "steps", "batch", "lr_d", "lr_g"}
var keyMetrics = []string{"d_loss", "g_loss", "d_real", "d_fake"}

func newRunsCommand() *cobra.Command {
	var filter, orderBy string
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List recorded runs",
		Long: `List recorded runs, newest first. --filter takes MLflow-style expressions:

  ganbook runs --filter "params.lr_d = 0.0002 and metrics.d_loss < 0.7 and status = 'FINISHED'"

on params.KEY, metrics.KEY (latest value), tags.KEY and the attributes status, name,
experiment, id and start_time; with and, or, parentheses and = != < <= > >=.`,
		Args: cobra.NoArgs,
	}
	db := dbFlag(cmd)
	cmd.Flags().StringVar(&filter, "filter", "", "filter expression")
	cmd.Flags().StringVar(&orderBy, "order-by", "", `order, e.g. "metrics.d_loss ASC, start_time DESC" (default start_time DESC)`)
	cmd.Flags().IntVar(&limit, "limit", 0, "show at most this many runs")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
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
			return printRunsTable(cmd.OutOrStdout(), runs)
		})
	}
	return cmd
}

func printRunsTable(w io.Writer, runs []tracker.RunInfo) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := []string{"ID", "NAME", "STATUS", "STARTED", "DURATION"}
	header = append(header, keyParams...)
	header = append(header, keyMetrics...)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range runs {
		row := []string{r.ID[:8], r.Name, string(r.Status), r.StartTime.Local().Format("2006-01-02 15:04:05"), formatDuration(r.Duration())}
		for _, p := range keyParams {
			row = append(row, orDash(r.Params[p]))
		}
		for _, m := range keyMetrics {
			if s, ok := r.Metrics[m]; ok && s.Count > 0 {
				row = append(row, formatValue(s.Last))
			} else {
				row = append(row, "-")
			}
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

func newShowCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show RUN",
		Short: "Show one run: params, metrics, tags, images and its reproducibility record",
		Args:  cobra.ExactArgs(1),
	}
	db := dbFlag(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return withStore(*db, false, func(store *tracker.Store) error {
			ctx := cmd.Context()
			run, err := store.Run(ctx, args[0])
			if err != nil {
				return err
			}
			images, err := store.Images(ctx, run.ID)
			if err != nil {
				return err
			}
			if asJSON {
				if images == nil {
					images = []tracker.ImageInfo{}
				}
				return writeJSON(cmd.OutOrStdout(), struct {
					tracker.RunInfo
					Images []tracker.ImageInfo `json:"images"`
				}{run, images})
			}
			return printRun(cmd.OutOrStdout(), run, images)
		})
	}
	return cmd
}

func printRun(w io.Writer, r tracker.RunInfo, images []tracker.ImageInfo) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "run\t%s\n", r.ID)
	fmt.Fprintf(tw, "name\t%s\n", r.Name)
	fmt.Fprintf(tw, "experiment\t%s\n", r.Experiment)
	fmt.Fprintf(tw, "status\t%s\n", r.Status)
	if r.Error != "" {
		fmt.Fprintf(tw, "error\t%s\n", r.Error)
	}
	fmt.Fprintf(tw, "started\t%s\n", r.StartTime.Local().Format(time.RFC3339))
	fmt.Fprintf(tw, "duration\t%s\n", formatDuration(r.Duration()))
	if r.ParentID != "" {
		fmt.Fprintf(tw, "continues\t%s\n", r.ParentID)
	}
	if r.ReproducedFrom != "" {
		fmt.Fprintf(tw, "reproduces\t%s\n", r.ReproducedFrom)
	}
	section := func(title string) { fmt.Fprintf(tw, "\n%s\t\n", title) }
	section("params")
	for _, k := range sortedKeys(r.Params) {
		fmt.Fprintf(tw, "  %s\t%s\n", k, r.Params[k])
	}
	if len(r.Tags) > 0 {
		section("tags")
		for _, k := range sortedKeys(r.Tags) {
			fmt.Fprintf(tw, "  %s\t%s\n", k, r.Tags[k])
		}
	}
	section("metrics\tlast (step)\tmin (step)\tpoints")
	for _, k := range sortedKeys(r.Metrics) {
		m := r.Metrics[k]
		fmt.Fprintf(tw, "  %s\t%s (%d)\t%s (%d)\t%d\n", k, formatValue(m.Last), m.LastStep, formatValue(m.Min), m.MinStep, m.Count)
	}
	if len(images) > 0 {
		last := images[len(images)-1]
		section("images")
		fmt.Fprintf(tw, "  %d images, last %q at step %d\t\n", len(images), last.Key, last.Step)
	}
	if rec := r.Record; rec != nil {
		section("reproducibility")
		dirty := ""
		if rec.GitDirty {
			dirty = " (uncommitted changes, diff sha256 " + short(rec.GitDiffSHA256) + ")"
		}
		fmt.Fprintf(tw, "  git\t%s%s\n", orDash(rec.GitCommit), dirty)
		fmt.Fprintf(tw, "  go\t%s\n", rec.GoVersion)
		fmt.Fprintf(tw, "  gomlx\t%s\n", orDash(rec.Modules["github.com/gomlx/gomlx"]))
		fmt.Fprintf(tw, "  backend\t%s\n", rec.Backend)
		fmt.Fprintf(tw, "  machine\t%s/%s, %s, %d CPUs\n", rec.OS, rec.Arch, rec.CPU, rec.NumCPU)
		fmt.Fprintf(tw, "  seed\t%d\n", rec.Seed)
		for _, d := range rec.Datasets {
			fmt.Fprintf(tw, "  data\t%s sha256 %s\n", d.Path, short(d.SHA256))
		}
		fmt.Fprintf(tw, "  command\t%s\n", strings.Join(rec.CommandLine, " "))
	}
	return tw.Flush()
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func newCompareCommand() *cobra.Command {
	var asJSON, all bool
	cmd := &cobra.Command{
		Use:   "compare RUN RUN...",
		Short: "Compare runs: the params that differ, and the last and min of each metric",
		Args:  cobra.MinimumNArgs(2),
	}
	db := dbFlag(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&all, "all", false, "list every param, not only those that differ")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return withStore(*db, false, func(store *tracker.Store) error {
			c, err := store.Compare(cmd.Context(), args...)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), c)
			}
			return printComparison(cmd.OutOrStdout(), c, all)
		})
	}
	return cmd
}

func printComparison(w io.Writer, c tracker.Comparison, all bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := []string{""}
	for _, r := range c.Runs {
		header = append(header, r.ID[:8]+" "+r.Name)
	}
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	params := c.Params
	if !all {
		params = c.DifferingParams()
	}
	if all {
		fmt.Fprintln(tw, "params (* differs):")
	} else {
		fmt.Fprintln(tw, "params that differ:")
	}
	for _, p := range params {
		name := "  " + p.Key
		if all && p.Differs {
			name = "* " + p.Key
		}
		row := []string{name}
		for _, v := range p.Values {
			if v.Set {
				row = append(row, v.Value)
			} else {
				row = append(row, "(unset)")
			}
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	if len(params) == 0 {
		fmt.Fprintln(tw, "  (none)")
	}
	fmt.Fprintln(tw, "metrics: last / min")
	for _, m := range c.Metrics {
		row := []string{"  " + m.Key}
		for _, s := range m.Values {
			if s.Count == 0 {
				row = append(row, "-")
			} else {
				row = append(row, formatValue(s.Last)+" / "+formatValue(s.Min))
			}
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

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
	for _, key := range sortedKeys(run.Metrics) {
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
	for _, key := range sortedKeys(series) {
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

func newTagCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tag RUN key=value...",
		Short: "Set tags on a run",
		Args:  cobra.MinimumNArgs(2),
	}
	db := dbFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		tags, err := parseTags("tag", args[1:])
		if err != nil {
			return err
		}
		return withStore(*db, false, func(store *tracker.Store) error {
			for _, k := range sortedKeys(tags) {
				if err := store.SetTag(cmd.Context(), args[0], k, tags[k]); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return cmd
}
