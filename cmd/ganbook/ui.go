package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ganbook/ganbook/gantrack"
	"github.com/ganbook/ganbook/tracker"
	"github.com/ganbook/ganbook/tracker/web"
)

// ganMetrics are the metrics `ganbook train` logs, in the order the web
// pages show them; other metrics (quality metrics) follow by name.
var ganMetrics = gantrack.StepMetricKeys

// newUICommand returns `ganbook ui`, which serves the tracker's runs as web
// pages until interrupted.
func newUICommand() *cobra.Command {
	var dbPath, addr string
	cmd := &cobra.Command{
		Use:   "ui",
		Short: "Browse, chart and compare the tracked runs in a web browser",
		Long: `ui serves the runs of the tracker database as web pages: the runs table with
filters, each run's curves and sample grids, and comparisons of 2 to 10 runs.
Running runs update live. The database is opened read-only, and the server
answers GET and HEAD only.

It listens on 127.0.0.1:8080 by default, so only this machine can see the
runs; an --addr on another interface shows them to the network.`,
		Example: "  ganbook ui --db runs.db\n  ganbook ui --addr 127.0.0.1:9000",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := tracker.Open(dbPath, tracker.ReadOnly())
			if err != nil {
				return fmt.Errorf("--db %s: %w", tracker.RedactURL(dbPath), err)
			}
			defer store.Close()
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("--addr %s: %w", addr, err)
			}
			if !web.IsLoopback(ln.Addr().String()) {
				fmt.Fprintf(cmd.ErrOrStderr(), "ganbook ui: warning: listening on %s, not on loopback: anyone who can reach it can read the runs\n", ln.Addr())
			}
			fmt.Fprintf(cmd.OutOrStdout(), "ganbook ui: serving %s at http://%s/ (Ctrl-C to stop)\n", tracker.RedactURL(dbPath), ln.Addr())
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
			defer stop()
			return web.Serve(ctx, ln, store, web.WithMetricOrder(ganMetrics...))
		},
	}
	cmd.Flags().StringVar(&dbPath, "db", defaultDB(), "tracker database (default from $GANBOOK_DB)")
	cmd.Flags().StringVar(&addr, "addr", web.DefaultAddr, "host:port to listen on")
	return cmd
}
