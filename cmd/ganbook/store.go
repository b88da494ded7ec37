package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/ganbook/ganbook/tracker"
	_ "github.com/ganbook/ganbook/tracker/postgres" // registers the PostgreSQL backend
	_ "github.com/ganbook/ganbook/tracker/sqlite"   // registers the SQLite backend
)

// defaultDB is the tracker database used when --db is not given.
func defaultDB() string {
	if v := os.Getenv("GANBOOK_DB"); v != "" {
		return v
	}
	return "ganbook.db"
}

// dbFlag adds --db to a tracker command.
func dbFlag(cmd *cobra.Command) *string {
	db := new(string)
	cmd.Flags().StringVar(db, "db", defaultDB(), "tracker database: a file path, or postgres://USER@HOST:PORT/DB (env GANBOOK_DB)")
	return db
}

// heartbeatTimeoutEnv names the setting of how long a run of this process
// may go without a heartbeat before readers count it as KILLED (default
// tracker.DefaultHeartbeatTimeout); heartbeats come five times per timeout.
// The README documents it; the crash tests use it to see KILLED sooner.
const heartbeatTimeoutEnv = "GANBOOK_HEARTBEAT_TIMEOUT"

// heartbeatOptions returns the store options that the value of
// GANBOOK_HEARTBEAT_TIMEOUT asks for (none when empty).
func heartbeatOptions(value string) ([]tracker.Option, error) {
	if value == "" {
		return nil, nil
	}
	timeout, err := time.ParseDuration(value)
	if err != nil || timeout < time.Second {
		return nil, fmt.Errorf("%s=%q: want a duration of at least 1s, such as 10s", heartbeatTimeoutEnv, value)
	}
	return []tracker.Option{tracker.WithHeartbeat(timeout/5, timeout)}, nil
}

// maxBufferedEnv names the setting of how many metric points a run keeps in
// memory while the database cannot be written (default
// tracker.DefaultMaxBuffered); past it the training stops with a checkpoint.
const maxBufferedEnv = "GANBOOK_MAX_BUFFERED"

// maxBufferedOptions returns the store options that the value of
// GANBOOK_MAX_BUFFERED asks for (none when empty).
func maxBufferedOptions(value string) ([]tracker.Option, error) {
	if value == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(value)
	if err != nil || n < 100 {
		return nil, fmt.Errorf("%s=%q: want a number of points, at least 100", maxBufferedEnv, value)
	}
	return []tracker.Option{tracker.WithMaxBuffered(n)}, nil
}

// flushWaitEnv names the setting of how long the end of a run waits for a
// tracker database that cannot be written before it gives up, naming what
// was not stored (default tracker.DefaultEndWait; 0 does not wait).
const flushWaitEnv = "GANBOOK_FLUSH_WAIT"

// flushWaitOptions returns the store options that the value of
// GANBOOK_FLUSH_WAIT asks for (none when empty).
func flushWaitOptions(value string) ([]tracker.Option, error) {
	if value == "" {
		return nil, nil
	}
	d, err := time.ParseDuration(value)
	if err != nil || d < 0 {
		return nil, fmt.Errorf("%s=%q: want a duration such as 60s, or 0 not to wait", flushWaitEnv, value)
	}
	return []tracker.Option{tracker.WithEndWait(d)}, nil
}

// openStore opens the tracker database, creating it when there is none: only
// commands that start runs (train, reproduce) call it directly.
func openStore(location string, opts ...tracker.Option) (*tracker.Store, error) {
	hb, err := heartbeatOptions(os.Getenv(heartbeatTimeoutEnv))
	if err != nil {
		return nil, err
	}
	mb, err := maxBufferedOptions(os.Getenv(maxBufferedEnv))
	if err != nil {
		return nil, err
	}
	hb = append(hb, mb...)
	fw, err := flushWaitOptions(os.Getenv(flushWaitEnv))
	if err != nil {
		return nil, err
	}
	hb = append(hb, fw...)
	store, err := tracker.Open(location, append(hb, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("--db %s: %w", tracker.RedactURL(location), err)
	}
	return store, nil
}

// withStore opens an existing database (read-only when asked) for one
// command; a database that does not exist is an error naming it, and none
// is created.
func withStore(db string, readOnly bool, fn func(*tracker.Store) error) error {
	opts := []tracker.Option{tracker.MustExist()}
	if readOnly {
		opts = append(opts, tracker.ReadOnly())
	}
	store, err := openStore(db, opts...)
	if errors.Is(err, tracker.ErrNoDatabase) {
		return fmt.Errorf("%w (ganbook train creates one)", err)
	}
	if err != nil {
		return err
	}
	defer store.Close()
	return fn(store)
}
