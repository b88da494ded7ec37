package postgres

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ganbook/ganbook/internal/pgtest"
	"github.com/ganbook/ganbook/tracker"
	"github.com/ganbook/ganbook/tracker/storetest"
)

func TestMain(m *testing.M) {
	storetest.Main(m, pgtest.Stop)
}

// TestContract runs the backend contract suite on PostgreSQL, a new
// database for each test.
func TestContract(t *testing.T) {
	srv := pgtest.Shared(t)
	storetest.Run(t, storetest.Target{NewDatabase: func(t *testing.T) string { return srv.NewDatabase(t) }, StopIdle: stopOutsideTransaction})
}

// stopOutsideTransaction SIGSTOPs the process at a moment none of its
// connections is inside a transaction, so that it holds no row lock.
func stopOutsideTransaction(t *testing.T, url string, p *os.Process) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for range 100 {
		p.Signal(syscall.SIGSTOP)
		var busy int
		err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND (state <> 'idle' OR xact_start IS NOT NULL)`).Scan(&busy)
		if err != nil {
			t.Fatal(err)
		}
		if busy == 0 {
			return
		}
		p.Signal(syscall.SIGCONT)
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("could not stop the helper outside a transaction in 100 tries")
}

// A database of a newer schema is refused, read-write and read-only, and
// left as it was.
func TestNewerSchemaRefused(t *testing.T) {
	srv := pgtest.Shared(t)
	ctx := context.Background()
	url := srv.NewDatabase(t)
	d, err := Open(url, tracker.BackendConfig{})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if err := pgtest.ExecURL(ctx, url, `UPDATE ganbook_schema SET version = 99; CREATE TABLE from_the_future (x int)`); err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []tracker.BackendConfig{{}, {ReadOnly: true}, {MustExist: true}} {
		if d, err := Open(url, cfg); !errors.Is(err, tracker.ErrSchemaTooNew) {
			if d != nil {
				d.Close()
			}
			t.Errorf("Open(%+v) of schema version 99: %v; want ErrSchemaTooNew", cfg, err)
		} else if strings.Contains(err.Error(), srv.Password) {
			t.Errorf("error shows the password: %v", err)
		}
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var version, tables int
	if err := conn.QueryRow(ctx, `SELECT (SELECT version FROM ganbook_schema), (SELECT count(*) FROM pg_tables WHERE schemaname = 'public')`).Scan(&version, &tables); err != nil {
		t.Fatal(err)
	}
	if version != 99 || tables != 12 { // 10 tracker tables, ganbook_schema, from_the_future
		t.Errorf("after the refusals: version %d, %d tables; want 99 and 12, untouched", version, tables)
	}
}

// Migrations are numbered 1…n without gaps, and a fresh database gets
// version n.
func TestMigrations(t *testing.T) {
	if SchemaVersion() != len(migrations) || SchemaVersion() < 1 {
		t.Fatalf("SchemaVersion %d, %d migrations", SchemaVersion(), len(migrations))
	}
	srv := pgtest.Shared(t)
	ctx := context.Background()
	url := srv.NewDatabase(t)
	d, err := Open(url, tracker.BackendConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if v, err := d.version(ctx, d.pool); err != nil || v != SchemaVersion() {
		t.Errorf("version %d, %v; want %d", v, err, SchemaVersion())
	}
}
