package tracker

import (
	"context"
	"errors"
)

// Compacter is a Backend that can give the space of deleted runs back to
// the file system.
type Compacter interface {
	// Compact reclaims unused space and returns the database's size in
	// bytes before and after.
	Compact(ctx context.Context) (before, after int64, err error)
}

// ErrNoCompaction is returned by Store.Compact when the backend cannot
// compact.
var ErrNoCompaction = errors.New("tracker: this backend cannot reclaim space")

// Compact gives the space left by deleted runs back to the file system
// (SQLite keeps freed pages in the file otherwise) and returns the
// database's size before and after, in bytes. It may wait for, or fail
// because of, other processes writing the database.
func (s *Store) Compact(ctx context.Context) (before, after int64, err error) {
	if s.cfg.readOnly {
		return 0, 0, ErrReadOnly
	}
	c, ok := s.backend.(Compacter)
	if !ok {
		return 0, 0, ErrNoCompaction
	}
	return c.Compact(ctx)
}
