package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ganbook/ganbook/tracker"
)

// isTerminal tells whether the command's input is a terminal, where rm may
// ask for confirmation; tests replace it.
var isTerminal = func(in io.Reader) bool {
	f, ok := in.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newRmCommand() *cobra.Command {
	var yes, keepSpace bool
	cmd := &cobra.Command{
		Use:   "rm RUN...",
		Short: "Delete runs and everything recorded for them",
		Long: `rm deletes runs (ids or unique id prefixes) with their params, metrics, images,
tags and records, then gives the space back to the file system and says how much
was freed. It lists the runs and asks for confirmation on a terminal; --yes skips
the question, and without a terminal --yes is required.`,
		Args: cobra.MinimumNArgs(1),
	}
	db := dbFlag(cmd)
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "delete without asking")
	cmd.Flags().BoolVar(&keepSpace, "no-compact", false, "leave the freed space in the database file (compacting rewrites it)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return withStore(*db, false, func(store *tracker.Store) error {
			ctx, out := cmd.Context(), cmd.OutOrStdout()
			var runs []tracker.RunInfo
			seen := map[string]bool{}
			for _, ref := range args {
				run, err := store.Run(ctx, ref)
				if err != nil {
					return err
				}
				if !seen[run.ID] {
					seen[run.ID] = true
					runs = append(runs, run)
				}
			}
			if !yes {
				ok, err := confirmDeletion(cmd.InOrStdin(), out, runs)
				if err != nil || !ok {
					return err
				}
			}
			for _, run := range runs {
				if err := store.DeleteRun(ctx, run.ID); err != nil {
					return err
				}
				fmt.Fprintf(out, "deleted %s (%s)\n", run.ID, run.Name)
			}
			if keepSpace {
				return nil
			}
			before, after, err := store.Compact(ctx)
			switch {
			case errors.Is(err, tracker.ErrNoCompaction):
				return nil
			case err != nil:
				fmt.Fprintf(cmd.ErrOrStderr(), "ganbook rm: the runs are deleted, but their space was not reclaimed (another process may be writing; run rm again later): %v\n", err)
				return nil
			}
			if after >= before {
				fmt.Fprintf(out, "freed space kept for reuse inside the database (%s); the server gives little back to the file system\n", formatBytes(after))
				return nil
			}
			fmt.Fprintf(out, "freed %s: the database went from %s to %s\n", formatBytes(before-after), formatBytes(before), formatBytes(after))
			return nil
		})
	}
	return cmd
}

// errNeedsYes refuses a deletion nobody confirmed.
var errNeedsYes = errors.New("rm: refusing to delete without confirmation: the input is not a terminal; pass --yes to delete anyway")

// confirmDeletion lists the runs and asks whether to delete them. Without a
// terminal it refuses; on one, anything but y or yes declines.
func confirmDeletion(in io.Reader, out io.Writer, runs []tracker.RunInfo) (bool, error) {
	if !isTerminal(in) {
		return false, errNeedsYes
	}
	for _, r := range runs {
		points := int64(0)
		for _, m := range r.Metrics {
			points += m.Count
		}
		fmt.Fprintf(out, "  %s  %-20s %-8s %s, %d points\n", r.ID[:8], r.Name, r.Status, r.StartTime.Local().Format("2006-01-02 15:04"), points)
	}
	fmt.Fprintf(out, "Delete %d run(s) and everything recorded for them? [y/N] ", len(runs))
	answer, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && answer == "" {
		fmt.Fprintln(out)
		return false, fmt.Errorf("rm: no answer: %w", err)
	}
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return true, nil
	}
	fmt.Fprintln(out, "nothing deleted")
	return false, nil
}

// formatBytes prints a size in bytes, KiB, MiB or GiB.
func formatBytes(n int64) string {
	abs := max(n, -n)
	switch {
	case abs < 1<<10:
		return fmt.Sprintf("%d B", n)
	case abs < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case abs < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
}
