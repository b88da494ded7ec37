package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/ganbook/ganbook/tracker"
)

func init() {
	// The only other registration of "sqlite" would be a second copy of
	// this package in one binary; the first copy then serves.
	_ = tracker.RegisterBackend("sqlite", func(location string, cfg tracker.BackendConfig) (tracker.Backend, error) {
		return Open(Path(location), cfg)
	})
}

// Path returns the file path of a location given to tracker.Open: a bare
// path, "sqlite:PATH" or "sqlite://PATH" ("sqlite:///abs/path" for an
// absolute one).
func Path(location string) string {
	if scheme, rest, ok := strings.Cut(location, ":"); ok && strings.EqualFold(scheme, "sqlite") {
		return strings.TrimPrefix(rest, "//")
	}
	return location
}

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration takes a database from one schema version to the next: its SQL,
// then, in the same transaction, the Go code that fills what SQL alone
// cannot compute well (nil for most).
type migration struct {
	sql  string
	fill func(ctx context.Context, tx *sql.Tx) error
}

// migrations[i] takes a database from version i to i+1.
var migrations = loadMigrations(map[int]func(context.Context, *sql.Tx) error{
	2: backfillRollups,
})

func loadMigrations(fills map[int]func(context.Context, *sql.Tx) error) []migration {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		panic(err)
	}
	out := make([]migration, len(names))
	for _, name := range names { // Glob sorts; the number prefix must match the position
		n, err := strconv.Atoi(strings.SplitN(path.Base(name), "_", 2)[0])
		if err != nil || n < 1 || n > len(names) || out[n-1].sql != "" {
			panic("tracker/sqlite: bad migration file name " + name)
		}
		b, err := migrationFiles.ReadFile(name)
		if err != nil {
			panic(err)
		}
		out[n-1] = migration{sql: string(b), fill: fills[n]}
	}
	for n := range fills {
		if n < 1 || n > len(out) {
			panic(fmt.Sprintf("tracker/sqlite: Go code for migration %d, which has no SQL file", n))
		}
	}
	return out
}

// apply runs the migration in tx.
func (m migration) apply(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	if m.fill != nil {
		return m.fill(ctx, tx)
	}
	return nil
}

const (
	// rollupsVersion is the first schema version with metric_rollups.
	rollupsVersion = 2
	// oldestReadableVersion is the oldest schema a read-only handle reads.
	oldestReadableVersion = 1
)

// SchemaVersion is the schema version this package writes: the number of
// its migrations. It is kept in the database's user_version.
func SchemaVersion() int { return len(migrations) }

// applicationID marks the file as a tracker database ("GANB").
const applicationID = 0x47414e42

// DB is the SQLite backend of the tracker. Use it through tracker.Open; it is
// exported for tests and tools that need the backend itself.
type DB struct {
	db       *sql.DB
	path     string
	readOnly bool
	// mustExist refuses a file without the tracker's schema.
	mustExist bool
	// rollups tells whether the schema has metric_rollups. Only a read-only
	// handle on a database of schema version 1 lacks them; it computes
	// envelopes from the raw points instead.
	rollups bool
	// version is the schema version of the database as opened (after the
	// migrations of a read-write handle).
	version int
	// writeMu serialises this process's write transactions: SQLite admits one
	// writer at a time anyway, and waiting on a mutex is prompter than
	// SQLite's busy handler, which sleeps.
	writeMu sync.Mutex
}

// Open opens, creating it if needed, the database at path: it refuses a
// database of a newer schema (ErrSchemaTooNew, leaving the file untouched),
// switches it to WAL mode and applies pending migrations, each in its own
// transaction. A database that cannot be written gives an error wrapping
// tracker.ErrReadOnly, unless cfg.ReadOnly asks for a read-only handle.
func Open(dbPath string, cfg tracker.BackendConfig) (*DB, error) {
	if dbPath == "" || strings.HasPrefix(dbPath, ":memory:") || strings.HasPrefix(dbPath, "file:") {
		return nil, fmt.Errorf("tracker/sqlite: need a file path, got %q", dbPath)
	}
	abs, err := filepath.Abs(dbPath)
	if err != nil {
		return nil, fmt.Errorf("tracker/sqlite: %w", err)
	}
	dir := filepath.Dir(abs)
	if st, err := os.Stat(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("tracker/sqlite: open %s: directory %s does not exist: %w", dbPath, dir, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("tracker/sqlite: open %s: %w", dbPath, err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("tracker/sqlite: open %s: %s is not a directory", dbPath, dir)
	}
	if st, err := os.Stat(abs); err == nil && st.IsDir() {
		return nil, fmt.Errorf("tracker/sqlite: open %s: is a directory", dbPath)
	} else if errors.Is(err, fs.ErrNotExist) && cfg.MustExist {
		return nil, fmt.Errorf("%w: %s does not exist", tracker.ErrNoDatabase, dbPath)
	} else if err != nil && cfg.ReadOnly {
		return nil, fmt.Errorf("tracker/sqlite: open %s read-only: %w", dbPath, err)
	}
	busy := cfg.BusyTimeout
	if busy <= 0 {
		busy = tracker.DefaultBusyTimeout
	}
	// Connection settings go in the DSN so that every pooled connection gets
	// them. journal_mode is not among them: it is persistent and is set only
	// after the schema version check, which must not change the file.
	q := fmt.Sprintf("_busy_timeout=%d&_foreign_keys=on&_synchronous=NORMAL", busy.Milliseconds())
	if cfg.ReadOnly {
		q += "&mode=ro"
		// A WAL database needs its index file (-shm) beside it even to be
		// read, and SQLite cannot create it in a directory this process may
		// not write (a read-only mount, another user's runs). With no -wal
		// file the database holds everything committed, and no writer can
		// be at work without one, so it is read as an immutable file.
		if _, err := os.Stat(abs + "-wal"); errors.Is(err, fs.ErrNotExist) && !dirWritable(dir) {
			q += "&immutable=1"
		}
	} else {
		q += "&_txlock=immediate" // take the write lock at BEGIN: no deadlock on upgrade
	}
	sqldb, err := sql.Open("sqlite3", "file:"+escapeURIPath(abs)+"?"+q)
	if err != nil {
		return nil, fmt.Errorf("tracker/sqlite: open %s: %w", dbPath, err)
	}
	sqldb.SetMaxIdleConns(4)
	d := &DB{db: sqldb, path: dbPath, readOnly: cfg.ReadOnly, mustExist: cfg.MustExist}
	if err := d.prepare(busy); err != nil {
		sqldb.Close()
		return nil, err
	}
	return d, nil
}

// escapeURIPath escapes the characters that would end or corrupt the path
// part of an SQLite URI filename.
func escapeURIPath(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '%', '?', '#':
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// prepare checks the schema version, sets WAL mode and migrates.
func (d *DB) prepare(busy time.Duration) error {
	ctx := context.Background()
	version, err := d.checkVersion(ctx)
	if err != nil {
		return err
	}
	if version == 0 && d.mustExist {
		return fmt.Errorf("%w: %s is an empty file, not a tracker database", tracker.ErrNoDatabase, d.path)
	}
	if d.readOnly {
		// Version 2 only added metric_rollups, which a reader can do
		// without: a read-only handle (ganbook ui, say) still opens a
		// database that no newer writer has upgraded yet.
		if version < oldestReadableVersion {
			return fmt.Errorf("tracker/sqlite: %s has schema version %d, older than this program's %d; open it read-write once to upgrade it", d.path, version, SchemaVersion())
		}
		d.rollups = version >= rollupsVersion
		d.version = version
		return nil
	}
	if err := d.setWAL(ctx, busy); err != nil {
		return err
	}
	if err := d.migrate(ctx); err != nil {
		return err
	}
	d.rollups = true
	d.version = SchemaVersion()
	return nil
}

// checkVersion reads the schema version without writing anything.
func (d *DB) checkVersion(ctx context.Context) (int, error) {
	var version, appID, tables int
	err := d.db.QueryRowContext(ctx, `SELECT (SELECT user_version FROM pragma_user_version), (SELECT application_id FROM pragma_application_id), (SELECT count(*) FROM sqlite_master)`).Scan(&version, &appID, &tables)
	if err != nil {
		return 0, d.classify("read schema version", err)
	}
	if (appID != 0 && appID != applicationID) || (version == 0 && tables > 0) {
		return 0, fmt.Errorf("tracker/sqlite: %s is an SQLite database but not a ganbook tracker database (application_id %#x, %d tables); refusing to touch it", d.path, appID, tables)
	}
	if version > SchemaVersion() {
		return 0, fmt.Errorf("%w: %s has schema version %d, this program knows versions up to %d; use a newer ganbook (the database was left untouched)", tracker.ErrSchemaTooNew, d.path, version, SchemaVersion())
	}
	return version, nil
}

// setWAL switches the database to write-ahead logging, so that readers and
// one writer proceed together. Switching needs a moment alone with the file;
// when several processes open a new database at once it can report busy,
// so it is retried for as long as the busy timeout.
func (d *DB) setWAL(ctx context.Context, busy time.Duration) error {
	deadline := time.Now().Add(busy)
	for {
		var mode string
		err := d.db.QueryRowContext(ctx, `PRAGMA journal_mode=WAL`).Scan(&mode)
		if err == nil && strings.EqualFold(mode, "wal") {
			return nil
		}
		if err == nil {
			return fmt.Errorf("tracker/sqlite: %s: could not switch to WAL mode (journal_mode is %s)", d.path, mode)
		}
		if !isBusy(err) || time.Now().After(deadline) {
			return d.classify("set WAL mode", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// migrate applies the pending migrations, each in its own transaction, and
// proves that the database can be written.
func (d *DB) migrate(ctx context.Context) error {
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	for {
		done, err := d.migrateOne(ctx)
		if err != nil || done {
			return err
		}
	}
}

func (d *DB) migrateOne(ctx context.Context) (done bool, err error) {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return false, d.classify("begin migration", err)
	}
	defer tx.Rollback()
	var version int
	if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return false, d.classify("read schema version", err)
	}
	switch {
	case version > SchemaVersion(): // written meanwhile by a newer program
		return false, fmt.Errorf("%w: %s has schema version %d, this program knows versions up to %d", tracker.ErrSchemaTooNew, d.path, version, SchemaVersion())
	case version == SchemaVersion():
		// In WAL mode BEGIN IMMEDIATE succeeds even on a read-only file; only
		// a page write fails. Rewriting the version (rolled back on return)
		// proves that the database is writable without changing it.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, version)); err != nil {
			return false, d.classify("check that the database is writable", err)
		}
		return true, nil
	}
	if err := migrations[version].apply(ctx, tx); err != nil {
		return false, d.classify(fmt.Sprintf("migrate to schema version %d", version+1), err)
	}
	// PRAGMA takes no parameters; both values are integers of this program.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d; PRAGMA application_id = %d`, version+1, applicationID)); err != nil {
		return false, d.classify("set schema version", err)
	}
	if err := tx.Commit(); err != nil {
		return false, d.classify(fmt.Sprintf("commit schema version %d", version+1), err)
	}
	return false, nil
}

func isBusy(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked)
}

// classify turns SQLite's errors about files into ones that say what to do.
func (d *DB) classify(what string, err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrReadonly:
			if d.readOnly {
				return fmt.Errorf("%w: %s: %s: %v", tracker.ErrReadOnly, d.path, what, err)
			}
			return fmt.Errorf("%w: %s: %s: the file, its directory or the file system cannot be written: %v", tracker.ErrReadOnly, d.path, what, err)
		case sqlite3.ErrCantOpen, sqlite3.ErrPerm:
			if d.readOnly {
				return fmt.Errorf("tracker/sqlite: cannot open %s (%s): %v", d.path, what, err)
			}
			return fmt.Errorf("%w: cannot open %s for writing (%s): the file and its directory must be writable, as SQLite keeps %s-wal and %s-shm beside it: %v",
				tracker.ErrReadOnly, d.path, what, filepath.Base(d.path), filepath.Base(d.path), err)
		case sqlite3.ErrNotADB:
			return fmt.Errorf("tracker/sqlite: %s is not an SQLite database: %v", d.path, err)
		}
	}
	return fmt.Errorf("tracker/sqlite: %s: %s: %w", d.path, what, err)
}

// Close closes the database.
func (d *DB) Close() error {
	return d.db.Close()
}
