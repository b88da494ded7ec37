package storetest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ganbook/ganbook/tracker"
)

// helperEnv selects a helper mode when the test binary re-executes itself
// (the os/exec helper-process pattern): the child runs the helper instead
// of the tests.
const helperEnv = "TRACKER_TEST_HELPER"

// Main runs the tests, then the cleanups (stopping a test server, say), or,
// in a test binary re-executed by the suite, the helper the suite asked
// for. A backend package's TestMain calls it.
func Main(m *testing.M, cleanups ...func()) {
	switch mode := os.Getenv(helperEnv); mode {
	case "":
		code := m.Run()
		for _, f := range cleanups {
			f()
		}
		os.Exit(code)
	case "log":
		os.Exit(helperLog())
	case "crash":
		os.Exit(helperCrash())
	default:
		fmt.Fprintln(os.Stderr, "unknown helper mode", mode)
		os.Exit(2)
	}
}

// helperLog logs TRACKER_POINTS points of metric "loss" to a new run of the
// database TRACKER_DB, starting at TRACKER_START (Unix ns) so that all
// helpers write at once; value of step s is TRACKER_INDEX*1e6 + s. It
// flushes every 250 points and pauses now and then, so that the helpers'
// transactions interleave. Every error is printed and fails the helper.
func helperLog() int {
	index, _ := strconv.Atoi(os.Getenv("TRACKER_INDEX"))
	points, _ := strconv.Atoi(os.Getenv("TRACKER_POINTS"))
	startNS, _ := strconv.ParseInt(os.Getenv("TRACKER_START"), 10, 64)
	ctx := context.Background()
	fail := func(what string, err error) int {
		fmt.Fprintf(os.Stderr, "helper %d: %s: %v\n", index, what, err)
		return 1
	}
	time.Sleep(time.Until(time.Unix(0, startNS)))
	store, err := tracker.Open(os.Getenv("TRACKER_DB"), tracker.WithFlushInterval(5*time.Millisecond))
	if err != nil {
		return fail("open", err)
	}
	run, err := store.StartRun(ctx, "concurrency", fmt.Sprintf("proc-%d", index), map[string]any{"index": index})
	if err != nil {
		return fail("start run", err)
	}
	errs := 0
	for s := range points {
		if err := run.LogMetric("loss", int64(s), float64(index)*1e6+float64(s)); err != nil {
			errs++
			fmt.Fprintf(os.Stderr, "helper %d: log step %d: %v\n", index, s, err)
		}
		if s%250 == 249 {
			if err := run.Flush(ctx); err != nil {
				return fail("flush", err)
			}
		}
		if s%50 == 49 {
			time.Sleep(time.Millisecond)
		}
	}
	if err := run.Finish(ctx); err != nil {
		return fail("finish", err)
	}
	if err := store.Close(); err != nil {
		return fail("close", err)
	}
	if errs > 0 {
		return 1
	}
	return 0
}

// helperCrash starts a run with a fast heartbeat, logs and flushes 100
// points, prints the run id and waits to be killed.
func helperCrash() int {
	ctx := context.Background()
	store, err := tracker.Open(os.Getenv("TRACKER_DB"),
		tracker.WithHeartbeat(100*time.Millisecond, time.Second),
		tracker.WithFlushInterval(10*time.Millisecond))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	run, err := store.StartRun(ctx, "crash", "doomed", nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for s := range 100 {
		run.LogMetric("loss", int64(s), float64(s))
	}
	if err := run.Flush(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	w := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(w, run.ID())
	w.Flush()
	for s := 100; ; s++ { // keep logging until SIGKILL
		run.LogMetric("loss", int64(s), float64(s))
		time.Sleep(time.Millisecond)
	}
}
