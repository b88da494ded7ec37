// Package sqlite stores tracker runs in an SQLite database through
// github.com/mattn/go-sqlite3 (cgo).
//
// Importing it registers it as the backend of tracker.Open. The schema is
// created and upgraded by versioned migrations embedded in the binary, each
// applied in its own transaction; the version lives in PRAGMA user_version,
// and a database of a newer version is refused without being modified. The
// database runs in WAL mode with a busy timeout and foreign keys on, so that
// several processes can log to one file at once while others read it.
//
// Metric values keep NaN and ±Inf: SQLite turns a bound NaN into NULL, so
// each value is stored with a kind column (finite, NaN, +Inf, -Inf).
//
// Each write also updates the series' rollups (schema version 2): for
// buckets of 64, 512, 4096, … 2^57 steps, the bucket's point count, its
// NaN and ±Inf counts and its first, last, minimum and maximum points.
// MetricEnvelope reads the coarsest width that still gives the requested
// resolution — at most about 8 rows a requested range, 1,563 rows for
// 100,000 consecutive steps in 1,000 ranges — and merges neighbouring
// buckets into equal ranges; a series of at most max(4 × ranges, 4096)
// points is summarised from its points instead. Opening a version-1
// database read-write upgrades it, computing the rollups of the stored
// points in the same transaction, which holds the write lock meanwhile (47 s
// for the 20 million points of the web benchmark on a busy 2-core machine);
// a read-only handle reads it as it is and computes envelopes from the
// points.
package sqlite
