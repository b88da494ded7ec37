package sqlite

import (
	"context"
	"errors"
	"io/fs"
	"os"

	"github.com/ganbook/ganbook/tracker"
)

// Compact rewrites the database without its free pages (VACUUM) and
// truncates the write-ahead log, so that the space of deleted runs goes back
// to the file system. The sizes it returns count the database file and its
// -wal file.
func (d *DB) Compact(ctx context.Context) (before, after int64, err error) {
	if d.readOnly {
		return 0, 0, tracker.ErrReadOnly
	}
	if before, err = d.size(); err != nil {
		return 0, 0, err
	}
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	if _, err := d.db.ExecContext(ctx, `VACUUM`); err != nil {
		return before, before, d.classify("vacuum", err)
	}
	if _, err := d.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return before, before, d.classify("checkpoint", err)
	}
	after, err = d.size()
	return before, after, err
}

// size is the bytes of the database file and its write-ahead log.
func (d *DB) size() (int64, error) {
	var total int64
	for _, name := range []string{d.path, d.path + "-wal"} {
		st, err := os.Stat(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, err
		}
		total += st.Size()
	}
	return total, nil
}
