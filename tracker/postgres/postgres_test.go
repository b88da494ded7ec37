package postgres

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ganbook/ganbook/internal/pgtest"
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
