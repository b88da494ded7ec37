package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/gantrack"
	"github.com/ganbook/ganbook/tracker"
)

// reproducedMetrics are the series `ganbook reproduce` compares.
var reproducedMetrics = []string{gantrack.DLoss, gantrack.GLoss, gantrack.DReal, gantrack.DFake}

func newReproduceCommand() *cobra.Command {
	var out, dataDir string
	var strict bool
	cmd := &cobra.Command{
		Use:   "reproduce RUN",
		Short: "Re-run a recorded run from its stored config and seed, and compare the loss series",
		Long: `Re-run a recorded run with its stored configuration and seed, record it as a new
run linked to the first, and report whether the two runs' D and G loss series match
bitwise (expected on the same backend and code) or how far they differ. Differences
of code, versions, backend or data between the record and now are printed as warnings.`,
		Args: cobra.ExactArgs(1),
	}
	db := dbFlag(cmd)
	cmd.Flags().StringVar(&out, "out", "", "output directory (default runs/reproduce-<run>-<time>)")
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "directory holding the dataset's IDX files")
	cmd.Flags().BoolVar(&strict, "strict", false, "exit with status 3 unless the series match bitwise")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		var original tracker.RunInfo
		err := withStore(*db, false, func(store *tracker.Store) (err error) {
			original, err = store.Run(ctx, args[0])
			return err
		})
		if err != nil {
			return err
		}
		if original.Record == nil || len(original.Record.Config) == 0 {
			return fmt.Errorf("run %s has no recorded config to reproduce", original.ID[:8])
		}
		cfg, err := gan.ConfigFromJSON(original.Record.Config)
		if err != nil {
			return fmt.Errorf("run %s: reading its recorded config: %w", original.ID[:8], err)
		}
		if out == "" {
			out = filepath.Join("runs", "reproduce-"+original.ID[:8]+"-"+time.Now().Format("20060102-150405"))
		}
		f := &trainFlags{
			cfg: cfg, out: out, dataDir: dataDir, db: *db,
			name: original.Name + "-repro", experiment: original.Experiment,
			reproducedFrom: original.ID,
		}
		res, err := runTrain(ctx, cmd.OutOrStdout(), cmd.ErrOrStderr(), f)
		if err != nil {
			return err
		}
		var match bool
		err = withStore(*db, false, func(store *tracker.Store) error {
			match, err = reportReproduction(ctx, cmd.OutOrStdout(), cmd.ErrOrStderr(), store, original, res.runID)
			return err
		})
		if err != nil {
			return err
		}
		if strict && !match {
			return &exitError{code: 3, err: fmt.Errorf("run %s does not reproduce %s bitwise", res.runID[:8], original.ID[:8])}
		}
		return nil
	}
	return cmd
}

// seriesDiff compares two metric series step by step.
type seriesDiff struct {
	steps        int     // steps present in both
	missing      int     // steps present in only one
	differing    int     // steps whose values are not bitwise equal
	firstDiff    int64   // first differing step, when differing > 0
	maxAbs       float64 // largest |a−b|
	bitwiseEqual bool
}

func compareSeries(a, b []tracker.MetricPoint) seriesDiff {
	bByStep := make(map[int64]float64, len(b))
	for _, p := range b {
		bByStep[p.Step] = p.Value
	}
	d := seriesDiff{firstDiff: -1}
	for _, p := range a {
		v, ok := bByStep[p.Step]
		if !ok {
			d.missing++
			continue
		}
		delete(bByStep, p.Step)
		d.steps++
		if math.Float64bits(v) != math.Float64bits(p.Value) {
			d.differing++
			if d.firstDiff < 0 || p.Step < d.firstDiff {
				d.firstDiff = p.Step
			}
			if diff := math.Abs(v - p.Value); diff > d.maxAbs || math.IsNaN(diff) {
				d.maxAbs = diff
			}
		}
	}
	d.missing += len(bByStep)
	d.bitwiseEqual = d.differing == 0 && d.missing == 0 && d.steps > 0
	return d
}

// reportReproduction prints the record's differences as warnings and the
// series comparison, tags the new run with the verdict, and returns whether
// every compared series matches bitwise.
func reportReproduction(ctx context.Context, stdout, stderr io.Writer, store *tracker.Store, original tracker.RunInfo, newID string) (bool, error) {
	repro, err := store.Run(ctx, newID)
	if err != nil {
		return false, err
	}
	if repro.Record != nil {
		for _, w := range original.Record.Differences(*repro.Record) {
			fmt.Fprintf(stderr, "ganbook: warning: %s\n", w)
		}
	}
	allMatch := true
	for _, key := range reproducedMetrics {
		a, err := store.Metric(ctx, original.ID, key)
		if err != nil {
			return false, err
		}
		b, err := store.Metric(ctx, newID, key)
		if err != nil {
			return false, err
		}
		d := compareSeries(a, b)
		switch {
		case d.bitwiseEqual:
			fmt.Fprintf(stdout, "%-7s bitwise match over %d steps\n", key, d.steps)
		default:
			allMatch = false
			fmt.Fprintf(stdout, "%-7s differs: %d of %d steps differ (first at step %d), max |Δ| %s, %d steps in only one run\n",
				key, d.differing, d.steps, d.firstDiff, formatValue(d.maxAbs), d.missing)
		}
	}
	verdict := "bitwise"
	if !allMatch {
		verdict = "differs"
	}
	fmt.Fprintf(stdout, "reproduction of %s by %s: %s\n", original.ID[:8], newID[:8], verdict)
	return allMatch, store.SetTag(ctx, newID, "reproduction", verdict)
}
