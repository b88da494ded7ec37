package sqlite

import (
	"database/sql"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ganbook/ganbook/tracker/storetest"
)

// TestContract runs the backend contract suite on SQLite files.
func TestContract(t *testing.T) {
	storetest.Run(t, storetest.Target{
		NewDatabase: func(t *testing.T) string { return filepath.Join(t.TempDir(), "runs.db") },
		StopIdle:    stopOutsideTransaction,
	})
}

// stopOutsideTransaction SIGSTOPs the process at a moment it holds no write
// lock on the database: BEGIN IMMEDIATE fails at once while another writer
// holds the lock.
func stopOutsideTransaction(t *testing.T, path string, p *os.Process) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=0&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for range 100 {
		p.Signal(syscall.SIGSTOP)
		tx, err := db.Begin()
		if err == nil {
			tx.Rollback()
			return
		}
		p.Signal(syscall.SIGCONT)
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("could not stop the helper outside a write transaction in 100 tries")
}
