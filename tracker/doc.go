// Package tracker records machine-learning experiment runs — parameters,
// metric series, sample images, tags and a reproducibility record — and
// answers queries about them.
//
// It is modelled on database/sql: Open returns a *Store that is safe for
// concurrent use, StartRun returns a *Run handle, and every failure is an
// error value. The storage itself lives in a backend package that registers
// itself for a URL scheme, in the way database/sql drivers do, and Open picks
// the backend by the scheme of its location: a bare path or "sqlite:PATH"
// for github.com/ganbook/ganbook/tracker/sqlite, "postgres://…" for
// github.com/ganbook/ganbook/tracker/postgres. Package tracker/storetest is
// the contract every backend passes:
//
//	import (
//		"github.com/ganbook/ganbook/tracker"
//		_ "github.com/ganbook/ganbook/tracker/sqlite"
//	)
//
//	store, err := tracker.Open("ganbook.db")
//	run, err := store.StartRun(ctx, "mnist", "baseline", map[string]any{"lr_d": 2e-4})
//	run.LogMetric("d_loss", step, loss) // buffered; written in batches off the caller's goroutine
//	err = run.Finish(ctx)
//
// # Liveness
//
// While a run is live a background goroutine writes its buffered points every
// flush interval and refreshes its heartbeat. A RUNNING run whose heartbeat is
// older than its heartbeat timeout (recorded with the run) is reported as
// KILLED by every query, and stored as KILLED by the next query of a store
// opened read-write. Should the process wake up again (it was suspended, not
// dead), its next heartbeat makes the run RUNNING again. Run.Kill flushes
// first, so a Ctrl-C handler that calls it loses no logged point.
//
// # Filters
//
// Runs are selected with MLflow-style filter expressions, parsed by ParseFilter:
//
//	params.lr_d = 0.0002 and metrics.d_loss < 0.7 and status = 'FINISHED'
//
// Fields are params.KEY, metrics.KEY (the metric's latest value), tags.KEY and
// the attributes status, name, id, experiment, start_time and end_time.
// Operators are = != < <= > >=, combined with and, or and parentheses. A
// quoted value compares as text; an unquoted number compares numerically
// (a parameter compares numerically when its value is a number). Keys with
// unusual characters are written in backquotes: metrics.`fid/test`.
//
// # Long series
//
// Metric returns every point of a series; at a few µs a point, a series of
// 100,000 points takes most of a second. A chart needs less: MetricEnvelope
// divides the series' steps into at most n equal ranges and returns, for
// each, its first, last, smallest and largest points and how many values
// are NaN, +Inf or -Inf, so that a line drawn through them shows every
// spike and the ranges where non-finite values were logged. The SQLite
// backend keeps per-range summaries (rollups) up to date as it writes, in
// the same transaction as the points, and answers from them in a few
// milliseconds whatever the series' length. MetricSince returns the points
// after a step, for a live view catching up.
//
// This package knows nothing about GANs: what a run logs is up to its caller.
package tracker
