package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ganbook/ganbook/tracker"
)

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
	fmt.Fprintf(tw, "duration\t%s\n", tracker.FormatDuration(r.Duration()))
	if r.ParentID != "" {
		fmt.Fprintf(tw, "continues\t%s\n", r.ParentID)
	}
	if r.ReproducedFrom != "" {
		fmt.Fprintf(tw, "reproduces\t%s\n", r.ReproducedFrom)
	}
	section := func(title string) { fmt.Fprintf(tw, "\n%s\t\n", title) }
	section("params")
	for _, k := range slices.Sorted(maps.Keys(r.Params)) {
		fmt.Fprintf(tw, "  %s\t%s\n", k, r.Params[k])
	}
	if len(r.Tags) > 0 {
		section("tags")
		for _, k := range slices.Sorted(maps.Keys(r.Tags)) {
			fmt.Fprintf(tw, "  %s\t%s\n", k, r.Tags[k])
		}
	}
	section("metrics\tlast (step)\tmin (step)\tpoints")
	for _, k := range slices.Sorted(maps.Keys(r.Metrics)) {
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
			fmt.Fprintf(tw, "  data\t%s (%d bytes) sha256 %s\n", d.Path, d.Size, short(d.SHA256))
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
