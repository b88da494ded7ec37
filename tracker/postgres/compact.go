package postgres

import (
	"context"

	"github.com/ganbook/ganbook/tracker"
)

var _ tracker.Compacter = (*DB)(nil)

// Compact vacuums the tracker's tables, so that the space of deleted rows
// can be reused, and returns the database's size before and after.
// PostgreSQL gives space back to the file system only from the end of a
// table (VACUUM FULL, which locks out every writer, would give all of it),
// so the figures may barely move.
func (d *DB) Compact(ctx context.Context) (before, after int64, err error) {
	if d.readOnly {
		return 0, 0, tracker.ErrReadOnly
	}
	size := func() (int64, error) {
		var n int64
		err := d.pool.QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&n)
		return n, err
	}
	if before, err = size(); err != nil {
		return 0, 0, d.classify("measure the database", err)
	}
	if _, err := d.pool.Exec(ctx, `VACUUM (ANALYZE) runs, params, metrics, metric_summary, metric_rollups, images, tags, experiments`); err != nil {
		return before, before, d.classify("vacuum", err)
	}
	if after, err = size(); err != nil {
		return before, before, d.classify("measure the database", err)
	}
	return before, after, nil
}
