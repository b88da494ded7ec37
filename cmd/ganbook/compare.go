package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ganbook/ganbook/tracker"
)

func newCompareCommand() *cobra.Command {
	var asJSON, all bool
	var groups groupSelection
	cmd := &cobra.Command{
		Use:   "compare RUN RUN...",
		Short: "Compare runs: the params that differ, and the last and min of each metric",
		Long: `Compare runs side by side, or, with --group-by or --group, in seed groups:
runs sharing the grouping params form a group, and each final metric value is
shown as mean ± the half-width of a 95% Student-t interval over the group.
Grouped runs are named, or chosen with --filter or --sweep.`,
		Args: cobra.ArbitraryArgs,
	}
	db := dbFlag(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&all, "all", false, "list every param, not only those that differ")
	cmd.Flags().StringSliceVar(&groups.by, "group-by", nil, "group runs by these params (comma-separated) and show each group's mean ± 95% interval")
	cmd.Flags().BoolVar(&groups.all, "group", false, "group runs by every param that differs between them except seed")
	cmd.Flags().StringVar(&groups.filter, "filter", "", "with grouping: the runs matching this filter (see ganbook runs --filter)")
	cmd.Flags().StringVar(&groups.sweep, "sweep", "", "with grouping: the FINISHED trials of this sweep")
	cmd.Flags().StringSliceVar(&groups.curves, "curve", nil, "with grouping: also each group's mean and 95% band of these metrics at every step")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if groups.active() {
			return withStore(*db, true, func(store *tracker.Store) error {
				runs, err := groups.runs(cmd.Context(), store, args)
				if err != nil {
					return err
				}
				rep := groupRuns(runs, groups)
				if err := rep.addCurves(cmd.Context(), store, groups.curves); err != nil {
					return err
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), rep)
				}
				return printGroups(cmd.OutOrStdout(), rep)
			})
		}
		if len(args) < 2 {
			return fmt.Errorf("compare needs at least 2 runs (or --group-by/--group with --filter or --sweep)")
		}
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

// runLabel names a run in a column header: the id's first 8 digits, and
// its name when it has one of its own (the default name is those digits).
func runLabel(r tracker.RunInfo) string {
	id := r.ID[:min(8, len(r.ID))]
	if r.Name == "" || r.Name == id {
		return id
	}
	return id + " " + r.Name
}

// printComparison prints the runs side by side: one column per run. Every
// line, section titles included, has a cell per column, so that tabwriter
// aligns the whole table as one block (a line without tabs would end the
// block and let the header's columns and the values' drift apart).
func printComparison(w io.Writer, c tracker.Comparison, all bool) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	row := func(first string, cells []string) {
		fmt.Fprintln(tw, first+"\t"+strings.Join(cells, "\t"))
	}
	empty := make([]string, len(c.Runs))
	labels := make([]string, len(c.Runs))
	for i, r := range c.Runs {
		labels[i] = runLabel(r)
	}
	row("", labels)
	params := c.Params
	if all {
		row("params (* differs):", empty)
	} else {
		params = c.DifferingParams()
		row("params that differ:", empty)
	}
	for _, p := range params {
		name := "  " + p.Key
		if all && p.Differs {
			name = "* " + p.Key
		}
		cells := make([]string, 0, len(p.Values))
		for _, v := range p.Values {
			if v.Set {
				cells = append(cells, v.Value)
			} else {
				cells = append(cells, "(unset)")
			}
		}
		row(name, cells)
	}
	if len(params) == 0 {
		row("  (none)", empty)
	}
	row("metrics: last / min", empty)
	for _, m := range c.Metrics {
		cells := make([]string, 0, len(m.Values))
		for _, s := range m.Values {
			if s.Count == 0 {
				cells = append(cells, "-")
			} else {
				cells = append(cells, formatValue(s.Last)+" / "+formatValue(s.Min))
			}
		}
		row("  "+m.Key, cells)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for line := range strings.Lines(buf.String()) {
		if _, err := io.WriteString(w, strings.TrimRight(line, " \n")+"\n"); err != nil {
			return err
		}
	}
	return nil
}
