package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ganbook/ganbook/tracker"
	"github.com/ganbook/ganbook/tracker/mlflow"
)

func newSyncCommand() *cobra.Command {
	var from, to, experiment string
	var watch bool
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "sync --to DEST [--from SRC] [RUN...]",
		Short: "Copy runs to another store or to an MLflow server",
		Long: `Copy runs (all of them, or the RUNs named by id or id prefix) from the store
--from to DEST, which is either another ganbook store (a laptop's ganbook.db into
the team's server, or back) or an MLflow tracking server, mlflow+http://HOST:PORT.

Syncing is idempotent: a run already copied whole is left alone, and a copy that
was interrupted is completed by the next sync. Between stores, runs still RUNNING
are skipped. To MLflow, a RUNNING run is copied as far as it has got, and the
next sync appends what it logged since; --watch keeps doing so every --interval
until interrupted, or until the RUNs named have ended and been copied.`,
	}
	cmd.Flags().StringVar(&from, "from", defaultDB(), "store to copy from (env GANBOOK_DB)")
	cmd.Flags().StringVar(&to, "to", "", "store to copy to, or mlflow+http://HOST:PORT")
	cmd.Flags().StringVar(&experiment, "experiment", "", "MLflow experiment for every run (default: each run's own experiment's name)")
	cmd.Flags().BoolVar(&watch, "watch", false, "keep mirroring live runs until interrupted")
	cmd.Flags().DurationVar(&interval, "interval", 5*time.Second, "with --watch, time between two rounds")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if to == "" {
			return errors.New("sync: --to is required (a store, or mlflow+http://HOST:PORT)")
		}
		if interval <= 0 {
			return fmt.Errorf("sync: --interval %s: want a positive duration", interval)
		}
		if experiment != "" && !strings.HasPrefix(to, "mlflow+") {
			return errors.New("sync: --experiment applies to an MLflow destination only")
		}
		// The source is opened first, so that a wrong --from creates nothing.
		return withStore(from, true, func(src *tracker.Store) error {
			var target syncTarget
			if strings.HasPrefix(to, "mlflow+") {
				client, err := mlflow.NewClient(to)
				if err != nil {
					return err
				}
				target = &mlflowTarget{syncer: &mlflow.Syncer{Client: client, Experiment: experiment}}
			} else {
				dst, err := openStore(to)
				if err != nil {
					return err
				}
				defer dst.Close()
				target = storeTarget{dst}
			}
			ctx := cmd.Context()
			if watch {
				var stop context.CancelFunc
				ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
				defer stop()
			}
			return syncRuns(ctx, cmd.OutOrStdout(), src, target, args, watch, interval)
		})
	}
	return cmd
}

// syncTarget is where sync copies runs to.
type syncTarget interface {
	// sync copies one run; line says what it did, done that the run has
	// ended and is copied whole.
	sync(ctx context.Context, src *tracker.Store, run tracker.RunInfo) (line string, done bool, err error)
}

// syncRuns syncs the runs named (all when none) once, or with watch in
// rounds until ctx ends or every run named is done. A line is printed for
// each run whenever its state changes.
func syncRuns(ctx context.Context, w io.Writer, src *tracker.Store, target syncTarget, names []string, watch bool, interval time.Duration) error {
	last := map[string]string{} // run id → the last line printed
	done := map[string]bool{}
	for {
		runs, err := selectRuns(ctx, src, names)
		if err != nil {
			return err
		}
		var failed []error
		pending := 0
		for _, run := range runs {
			if done[run.ID] {
				continue
			}
			line, ok, err := target.sync(ctx, src, run)
			if ctx.Err() != nil && watch {
				return nil
			}
			if err != nil {
				failed = append(failed, err)
				fmt.Fprintf(w, "failed   %s %s: %v\n", short(run.ID), run.Name, err)
				continue
			}
			done[run.ID] = ok
			if !ok {
				pending++
			}
			if line != last[run.ID] {
				fmt.Fprintf(w, "%s %s\n", short(run.ID), line)
				last[run.ID] = line
			}
		}
		if !watch || (len(names) > 0 && pending == 0 && len(failed) == 0) {
			if len(failed) > 0 {
				return fmt.Errorf("sync: %d of %d runs not copied whole; the first: %w", len(failed), len(runs), failed[0])
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		}
	}
}

// selectRuns returns the runs named by id or prefix, or every run, oldest
// first, so that a run is copied before the runs that link to it.
func selectRuns(ctx context.Context, src *tracker.Store, names []string) ([]tracker.RunInfo, error) {
	if len(names) == 0 {
		return src.Runs(ctx, tracker.RunQuery{OrderBy: "start_time ASC"})
	}
	runs := make([]tracker.RunInfo, 0, len(names))
	for _, name := range names {
		r, err := src.Run(ctx, name)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	return runs, nil
}

type storeTarget struct{ dst *tracker.Store }

func (t storeTarget) sync(ctx context.Context, src *tracker.Store, run tracker.RunInfo) (string, bool, error) {
	res, err := tracker.CopyRun(ctx, t.dst, src, run.ID)
	switch {
	case err != nil:
		return "", false, err
	case res.Running:
		return fmt.Sprintf("%s: skipped, still RUNNING (sync it once it has ended)", run.Name), false, nil
	case res.Copied:
		return fmt.Sprintf("%s: copied (%d params, %d tags, %d points, %d images)", run.Name, res.Params, res.Tags, res.Points, res.Images), true, nil
	}
	return fmt.Sprintf("%s: already there", run.Name), true, nil
}

type mlflowTarget struct{ syncer *mlflow.Syncer }

func (t *mlflowTarget) sync(ctx context.Context, src *tracker.Store, run tracker.RunInfo) (string, bool, error) {
	res, err := t.syncer.SyncRun(ctx, src, run.ID)
	if err != nil {
		return "", false, err
	}
	if res.UpToDate {
		return fmt.Sprintf("%s: already in MLflow (run %s)", run.Name, res.MLflowRunID), true, nil
	}
	verb := "updated"
	if res.Created {
		verb = "created"
	}
	line := fmt.Sprintf("%s: %s MLflow run %s (%d params, %d tags, %d points, %d artifacts)",
		run.Name, verb, res.MLflowRunID, res.Params, res.Tags, res.Points, res.Artifacts)
	if len(res.Truncated) > 0 {
		line += fmt.Sprintf("; cut to MLflow's length limits: %s", strings.Join(res.Truncated, ", "))
	}
	live := run.Status == tracker.StatusRunning
	if live {
		if res.Points+res.Artifacts+res.Tags == 0 {
			line = fmt.Sprintf("%s: RUNNING, nothing new", run.Name)
		} else {
			line += ", still RUNNING"
		}
	}
	return line, !live, nil
}
