package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ganbook/ganbook/tracker"
)

func init() {
	for _, scheme := range []string{"postgres", "postgresql"} {
		// A second copy of this package in one binary is the only other
		// registration; the first copy then serves.
		_ = tracker.RegisterBackend(scheme, func(location string, cfg tracker.BackendConfig) (tracker.Backend, error) {
			return Open(location, cfg)
		})
	}
}

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations[i] takes a database from schema version i to i+1.
var migrations = func() []string {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		panic(err)
	}
	out := make([]string, len(names))
	for _, name := range names {
		n, err := strconv.Atoi(strings.SplitN(path.Base(name), "_", 2)[0])
		if err != nil || n < 1 || n > len(names) || out[n-1] != "" {
			panic("tracker/postgres: bad migration file name " + name)
		}
		b, err := migrationFiles.ReadFile(name)
		if err != nil {
			panic(err)
		}
		out[n-1] = string(b)
	}
	return out
}()

// SchemaVersion is the schema version this package writes.
func SchemaVersion() int { return len(migrations) }

// migrationLock is the key of the advisory lock that serialises migrations
// ("GANB").
const migrationLock = 0x47414e42

// DefaultConnectTimeout bounds the wait for the server at Open when the URL
// sets no connect_timeout.
const DefaultConnectTimeout = 10 * time.Second

// DB is the PostgreSQL backend of the tracker. Use it through tracker.Open;
// it is exported for tests and tools that need the backend itself.
type DB struct {
	pool     *pgxpool.Pool
	where    string // the URL, password redacted, for messages
	readOnly bool
	// schemaVersion is the schema version of the database as opened (after the
	// migrations of a read-write handle).
	schemaVersion int
}

var _ tracker.Backend = (*DB)(nil)

// Open connects to the database at the URL, refuses a newer schema
// (tracker.ErrSchemaTooNew, leaving it untouched) and applies pending
// migrations. With cfg.ReadOnly it writes nothing, and with cfg.MustExist
// (or ReadOnly) a database without the tracker's tables gives
// tracker.ErrNoDatabase. A server that is down, a wrong password or an
// unknown database are errors here, before anything else happens.
func Open(location string, cfg tracker.BackendConfig) (*DB, error) {
	where := tracker.RedactURL(location)
	pc, err := pgxpool.ParseConfig(location)
	if err != nil {
		// pgx's parse errors can quote the URL; say what is wrong without it.
		return nil, fmt.Errorf("tracker/postgres: %s: not a valid PostgreSQL URL", where)
	}
	if pc.ConnConfig.ConnectTimeout == 0 {
		pc.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	pc.MaxConns = max(pc.MaxConns, 8)
	if cfg.ReadOnly {
		pc.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	}
	ctx, cancel := context.WithTimeout(context.Background(), pc.ConnConfig.ConnectTimeout+5*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("tracker/postgres: %s: %w", where, err)
	}
	d := &DB{pool: pool, where: where, readOnly: cfg.ReadOnly}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, d.connectError(err)
	}
	if err := d.prepare(ctx, cfg); err != nil {
		pool.Close()
		return nil, err
	}
	return d, nil
}

// connectError says which of the usual reasons kept Open from connecting.
func (d *DB) connectError(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "28P01", "28000":
			return fmt.Errorf("tracker/postgres: %s: the server refused the user name or password (%s)", d.where, pe.Message)
		case "3D000":
			return fmt.Errorf("%w: %s: the server has no such database (%s); create it with createdb, or CREATE DATABASE", tracker.ErrNoDatabase, d.where, pe.Message)
		}
		return fmt.Errorf("tracker/postgres: %s: %s (SQLSTATE %s)", d.where, pe.Message, pe.Code)
	}
	var ne net.Error
	if errors.As(err, &ne) || strings.Contains(err.Error(), "connect") {
		return fmt.Errorf("tracker/postgres: %s: cannot reach the server: %s", d.where, d.scrub(err))
	}
	return fmt.Errorf("tracker/postgres: %s: %s", d.where, d.scrub(err))
}

// scrub is err's text without the connection string pgx may quote.
func (d *DB) scrub(err error) string {
	return tracker.RedactURL(err.Error())
}

// prepare checks the schema version and migrates.
func (d *DB) prepare(ctx context.Context, cfg tracker.BackendConfig) error {
	version, err := d.version(ctx, d.pool)
	if err != nil {
		return err
	}
	if version > SchemaVersion() {
		return fmt.Errorf("%w: %s has schema version %d, this program knows versions up to %d; use a newer ganbook (the database was left untouched)", tracker.ErrSchemaTooNew, d.where, version, SchemaVersion())
	}
	if version == 0 && (cfg.MustExist || cfg.ReadOnly) {
		return fmt.Errorf("%w: %s has no ganbook tables (ganbook train creates them)", tracker.ErrNoDatabase, d.where)
	}
	if cfg.ReadOnly || version == SchemaVersion() {
		d.schemaVersion = version
		return nil
	}
	for {
		done, err := d.migrateOne(ctx)
		if err != nil || done {
			d.schemaVersion = SchemaVersion()
			return err
		}
	}
}

type queryer interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// version reads the schema version; 0 for a database without the table.
func (d *DB) version(ctx context.Context, q queryer) (int, error) {
	var exists bool
	// A scan of pg_class, not to_regclass: after waiting for the migration
	// lock, the cached catalog may not show a table another process has
	// just created; the statement's snapshot does.
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relname = 'ganbook_schema' AND n.nspname = current_schema())`).Scan(&exists); err != nil {
		return 0, d.classify("read schema version", err)
	}
	if !exists {
		return 0, nil
	}
	var version int
	if err := q.QueryRow(ctx, `SELECT version FROM ganbook_schema`).Scan(&version); err != nil {
		return 0, d.classify("read schema version", err)
	}
	return version, nil
}

func (d *DB) migrateOne(ctx context.Context) (done bool, err error) {
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return false, d.classify("begin migration", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
		return false, d.classify("lock for migration", err)
	}
	version, err := d.version(ctx, tx)
	if err != nil {
		return false, err
	}
	switch {
	case version > SchemaVersion():
		return false, fmt.Errorf("%w: %s has schema version %d, this program knows versions up to %d", tracker.ErrSchemaTooNew, d.where, version, SchemaVersion())
	case version == SchemaVersion():
		return true, nil
	}
	if version == 0 {
		if _, err := tx.Exec(ctx, `CREATE TABLE ganbook_schema (version integer NOT NULL); INSERT INTO ganbook_schema VALUES (0)`); err != nil {
			return false, d.classify("create the schema version table", err)
		}
	}
	if _, err := tx.Exec(ctx, migrations[version]); err != nil {
		return false, d.classify(fmt.Sprintf("migrate to schema version %d", version+1), err)
	}
	if _, err := tx.Exec(ctx, `UPDATE ganbook_schema SET version = $1`, version+1); err != nil {
		return false, d.classify("set schema version", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return false, d.classify(fmt.Sprintf("commit schema version %d", version+1), err)
	}
	return false, nil
}

// classify adds what was being done and where to an error, and marks a
// refused write as tracker.ErrReadOnly.
func (d *DB) classify(what string, err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "25006", "42501": // read-only transaction; insufficient privilege
			return fmt.Errorf("%w: %s: %s: %s", tracker.ErrReadOnly, d.where, what, pe.Message)
		}
		return fmt.Errorf("tracker/postgres: %s: %s: %s (SQLSTATE %s)", d.where, what, pe.Message, pe.Code)
	}
	return fmt.Errorf("tracker/postgres: %s: %s: %w", d.where, what, err)
}

// Close closes the connections.
func (d *DB) Close() error {
	d.pool.Close()
	return nil
}
