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
package sqlite
