package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ganbook/ganbook/tracker"
	"github.com/ganbook/ganbook/tracker/storetest"
)

// helperEnv makes the re-executed test binary open TRACKER_DB and report
// the outcome as JSON on stdout instead of running the tests; the
// read-only test runs it as an unprivileged user.
const helperEnv = "TRACKER_SQLITE_HELPER"

type openOutcome struct {
	OK       bool   `json:"ok"`
	ReadOnly bool   `json:"read_only"` // errors.Is(err, tracker.ErrReadOnly)
	Message  string `json:"message"`
}

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "open":
		json.NewEncoder(os.Stdout).Encode(tryOpen(os.Getenv("TRACKER_DB")))
		os.Exit(0)
	case "open-read-only":
		json.NewEncoder(os.Stdout).Encode(tryOpenReadOnly(os.Getenv("TRACKER_DB")))
		os.Exit(0)
	}
	storetest.Main(m)
}

func tryOpen(path string) openOutcome {
	d, err := Open(path, tracker.BackendConfig{})
	if err != nil {
		return openOutcome{ReadOnly: errors.Is(err, tracker.ErrReadOnly), Message: err.Error()}
	}
	d.Close()
	return openOutcome{OK: true}
}

// tryOpenReadOnly opens path with a read-only handle and reads its runs.
func tryOpenReadOnly(path string) openOutcome {
	d, err := Open(path, tracker.BackendConfig{ReadOnly: true})
	if err != nil {
		return openOutcome{ReadOnly: errors.Is(err, tracker.ErrReadOnly), Message: err.Error()}
	}
	defer d.Close()
	runs, err := d.Runs(context.Background(), tracker.BackendQuery{})
	if err != nil {
		return openOutcome{Message: err.Error()}
	}
	return openOutcome{OK: true, Message: fmt.Sprintf("%d runs", len(runs))}
}

func mustOpen(t *testing.T, path string) *DB {
	t.Helper()
	d, err := Open(path, tracker.BackendConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// snapshot hashes every file of a directory, so that a test can show that
// an operation left it exactly as it was (no file changed, added or removed).
func snapshot(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = sha256.Sum256(b)
	}
	return out
}

func sameSnapshot(a, b map[string][32]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	d := mustOpen(t, path)
	defer d.Close()
	var version, appID int
	var mode string
	if err := d.db.QueryRow(`SELECT (SELECT user_version FROM pragma_user_version), (SELECT application_id FROM pragma_application_id), (SELECT journal_mode FROM pragma_journal_mode)`).Scan(&version, &appID, &mode); err != nil {
		t.Fatal(err)
	}
	if version != SchemaVersion() || version != len(migrations) || appID != applicationID || mode != "wal" {
		t.Errorf("user_version %d (want %d), application_id %#x, journal_mode %s", version, SchemaVersion(), appID, mode)
	}
	// Every pooled connection has foreign keys on and a busy timeout.
	ctx := context.Background()
	conns := make([]*sql.Conn, 3)
	for i := range conns {
		c, err := d.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
		var fk, busy int
		if err := c.QueryRowContext(ctx, `SELECT (SELECT foreign_keys FROM pragma_foreign_keys), (SELECT timeout FROM pragma_busy_timeout)`).Scan(&fk, &busy); err != nil {
			t.Fatal(err)
		}
		if fk != 1 || busy != int(tracker.DefaultBusyTimeout.Milliseconds()) {
			t.Errorf("connection %d: foreign_keys %d, busy_timeout %d ms", i, fk, busy)
		}
	}
	// Reopening an up-to-date database applies nothing and changes nothing.
	d2 := mustOpen(t, path)
	d2.Close()
}

func TestNewerSchemaRefused(t *testing.T) {
	for _, journal := range []string{"wal", "delete"} {
		t.Run(journal, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "future.db")
			d := mustOpen(t, path)
			future := SchemaVersion() + 1
			if _, err := d.db.Exec(fmt.Sprintf(`PRAGMA user_version = %d; PRAGMA journal_mode = %s`, future, journal)); err != nil {
				t.Fatal(err)
			}
			d.Close()
			before := snapshot(t, dir)
			_, err := Open(path, tracker.BackendConfig{})
			if !errors.Is(err, tracker.ErrSchemaTooNew) {
				t.Fatalf("Open of schema %d: %v; want ErrSchemaTooNew", future, err)
			}
			for _, want := range []string{fmt.Sprintf("version %d", future), fmt.Sprintf("up to %d", SchemaVersion()), "untouched"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if after := snapshot(t, dir); !sameSnapshot(before, after) {
				t.Errorf("directory changed: %d files before, %d after", len(before), len(after))
			}
			if _, err := Open(path, tracker.BackendConfig{ReadOnly: true}); !errors.Is(err, tracker.ErrSchemaTooNew) {
				t.Errorf("read-only Open: %v; want ErrSchemaTooNew", err)
			}
		})
	}
}

func TestForeignDatabaseRefused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "other.db")
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE customers(id INTEGER)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before := snapshot(t, dir)
	if _, err := Open(path, tracker.BackendConfig{}); err == nil || !strings.Contains(err.Error(), "not a ganbook tracker database") {
		t.Errorf("Open of a foreign database: %v", err)
	}
	if !sameSnapshot(before, snapshot(t, dir)) {
		t.Error("foreign database changed")
	}
	notDB := filepath.Join(dir, "notes.txt")
	os.WriteFile(notDB, []byte(strings.Repeat("not a database\n", 100)), 0o644)
	if _, err := Open(notDB, tracker.BackendConfig{}); err == nil || !strings.Contains(err.Error(), "not an SQLite database") {
		t.Errorf("Open of a text file: %v", err)
	}
}

func TestBadPaths(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, path string
		cfg        tracker.BackendConfig
		is         error
		msg        string
	}{
		{"missing directory", filepath.Join(dir, "no", "such", "dir", "runs.db"), tracker.BackendConfig{}, fs.ErrNotExist, "does not exist"},
		{"directory as database", dir, tracker.BackendConfig{}, nil, "is a directory"},
		{"missing file, read-only", filepath.Join(dir, "absent.db"), tracker.BackendConfig{ReadOnly: true}, fs.ErrNotExist, "read-only"},
		{"empty path", "", tracker.BackendConfig{}, nil, "need a file path"},
		{"memory", ":memory:", tracker.BackendConfig{}, nil, "need a file path"},
	}
	for _, tt := range tests {
		_, err := Open(tt.path, tt.cfg)
		if err == nil || (tt.is != nil && !errors.Is(err, tt.is)) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: Open(%q) = %v; want an error wrapping %v mentioning %q", tt.name, tt.path, err, tt.is, tt.msg)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "no")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("Open created the missing directory")
	}
	if _, err := os.Stat(filepath.Join(dir, "absent.db")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("read-only Open created the file")
	}
	// Characters that mean something in an SQLite URI are only a name.
	odd := filepath.Join(dir, "a?b#c%20d.db")
	d := mustOpen(t, odd)
	d.Close()
	if _, err := os.Stat(odd); err != nil {
		t.Errorf("database with an odd name not at its path: %v", err)
	}
}

// TestReadOnlyPaths opens databases that cannot be written: an existing one
// in a read-only directory, a new one in a read-only directory, and a
// read-only file in a writable directory. Permission bits do not bind root,
// so as root the opens run in a copy of the test binary as user nobody.
func TestReadOnlyPaths(t *testing.T) {
	base, err := os.MkdirTemp("", "tracker-ro-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	asRoot := os.Geteuid() == 0
	const nobody = 65534
	// The opener owns nothing: directories and files are the test's, and
	// only "writable" is handed to the opener.
	roDir := filepath.Join(base, "ro")
	wDir := filepath.Join(base, "writable")
	for _, d := range []string{roDir, wDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	existing := filepath.Join(roDir, "runs.db")
	withRun := mustOpen(t, existing)
	if err := withRun.CreateRun(context.Background(), tracker.NewRun{ID: "00aa", Experiment: "e", Name: "n", StartTime: time.Now()}); err != nil {
		t.Fatal(err)
	}
	withRun.Close()
	roFile := filepath.Join(wDir, "runs.db")
	mustOpen(t, roFile).Close()
	os.Chmod(base, 0o755)
	os.Chmod(existing, 0o444)
	os.Chmod(roFile, 0o444)
	if asRoot {
		if err := os.Chown(wDir, nobody, nobody); err != nil {
			t.Fatal(err)
		}
	} else {
		os.Chmod(roDir, 0o555)
		defer os.Chmod(roDir, 0o755)
	}
	before := snapshot(t, roDir)

	open := func(path, mode string) openOutcome {
		if !asRoot {
			if mode == "open-read-only" {
				return tryOpenReadOnly(path)
			}
			return tryOpen(path)
		}
		bin := filepath.Join(base, "sqlite.test")
		if _, err := os.Stat(bin); err != nil {
			copyFile(t, mustExecutable(t), bin, 0o755)
		}
		cmd := exec.Command(bin, "-test.run=^$")
		cmd.Env = append(os.Environ(), helperEnv+"="+mode, "TRACKER_DB="+path)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
		cmd.Dir = base
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("helper as nobody: %v", err)
		}
		var o openOutcome
		if err := json.Unmarshal(out, &o); err != nil {
			t.Fatalf("helper output %q: %v", out, err)
		}
		return o
	}
	tests := []struct {
		name, path string
	}{
		{"existing database in a read-only directory", existing},
		{"new database in a read-only directory", filepath.Join(roDir, "new.db")},
		{"read-only file in a writable directory", roFile},
	}
	for _, tt := range tests {
		o := open(tt.path, "open")
		if o.OK || !o.ReadOnly || !strings.Contains(o.Message, "read-only") {
			t.Errorf("%s: %+v; want an error wrapping ErrReadOnly", tt.name, o)
		} else {
			t.Logf("%s: %s", tt.name, o.Message)
		}
	}
	// A read-only handle (what ganbook ui and runs use) reads an existing
	// database in a directory it cannot write, where SQLite cannot create the
	// WAL index file.
	if o := open(existing, "open-read-only"); !o.OK || o.Message != "1 runs" {
		t.Errorf("read-only handle on a database in a read-only directory: %+v", o)
	} else {
		t.Logf("read-only handle in a read-only directory: %s", o.Message)
	}
	if !sameSnapshot(before, snapshot(t, roDir)) {
		t.Error("read-only directory changed")
	}
}

func mustExecutable(t *testing.T) string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

func copyFile(t *testing.T, from, to string, mode fs.FileMode) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestMigrationFiles(t *testing.T) {
	names, _ := fs.Glob(migrationFiles, "migrations/*.sql")
	if len(names) != SchemaVersion() || SchemaVersion() < 1 {
		t.Fatalf("%d migration files, schema version %d", len(names), SchemaVersion())
	}
	for i, n := range names {
		if want := fmt.Sprintf("migrations/%04d_", i+1); !strings.HasPrefix(n, want) {
			t.Errorf("migration %d is %s; want prefix %s", i+1, n, want)
		}
	}
	// Each migration applies cleanly on top of the previous ones, in a
	// transaction that rolls back completely on failure.
	path := filepath.Join(t.TempDir(), "m.db")
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i, m := range migrations {
		tx, _ := db.Begin()
		if err := m.apply(context.Background(), tx); err != nil {
			t.Fatalf("migration %d: %v", i+1, err)
		}
		tx.Commit()
	}
	var tables []string
	rows, _ := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	want := []string{"experiments", "images", "metric_rollups", "metric_summary", "metrics", "params", "runs", "sweep_trials", "sweeps", "tags"}
	if !slices.Equal(tables, want) {
		t.Errorf("tables %v; want %v", tables, want)
	}
}

func TestIntegrityCheck(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ok.db")
	d := mustOpen(t, path)
	defer d.Close()
	ctx := context.Background()
	if err := d.CreateRun(ctx, tracker.NewRun{ID: "0123", Experiment: "e", Name: "n"}); err != nil {
		t.Fatal(err)
	}
	if err := d.IntegrityCheck(ctx); err != nil {
		t.Errorf("fresh database: %v", err)
	}
	// A dangling child row, written with foreign keys off, is reported.
	conn, err := d.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF; INSERT INTO tags(run_pk, key, value) VALUES (999, 'k', 'v'); PRAGMA foreign_keys = ON`); err != nil {
		t.Fatal(err)
	}
	if err := d.IntegrityCheck(ctx); err == nil || !strings.Contains(err.Error(), "tags row") {
		t.Errorf("dangling tag: %v", err)
	}
}

// TestCompact: deleting a run leaves the file's size as it was; Compact
// gives the space back and reports both sizes.
func TestCompact(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "runs.db")
	d := mustOpen(t, path)
	defer d.Close()
	id := strings.Repeat("ab", 16)
	if err := d.CreateRun(ctx, tracker.NewRun{ID: id, Experiment: "e", Name: "big", StartTime: time.Now(), HeartbeatTimeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	png := make([]byte, 1<<20) // 1 MiB of image data
	copy(png, "\x89PNG\r\n\x1a\n")
	for step := range int64(4) {
		if err := d.WriteBatch(ctx, tracker.Batch{RunID: id, Images: []tracker.Image{{ImageInfo: tracker.ImageInfo{Key: "s", Step: step, Time: time.Now(), Size: len(png)}, PNG: png}}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	full, _ := d.size()
	if err := d.DeleteRun(ctx, id); err != nil {
		t.Fatal(err)
	}
	before, after, err := d.Compact(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if before < full || before < 4<<20 {
		t.Errorf("size before compaction %d; want at least the %d bytes of the file with the images", before, full)
	}
	if after > 1<<20 || after >= before {
		t.Errorf("size after compaction %d (before %d); want under 1 MiB", after, before)
	}
	if st, err := os.Stat(path); err != nil || st.Size() != after {
		t.Errorf("file size %v (%v); Compact said %d", st.Size(), err, after)
	}
}
