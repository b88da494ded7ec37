// Package postgres stores tracker runs in a PostgreSQL database through
// github.com/jackc/pgx/v5, so that trainings on many machines log to one
// place.
//
// Importing it registers it for the URL schemes postgres and postgresql:
//
//	store, err := tracker.Open("postgres://ann@db.example:5432/ganbook?sslmode=verify-full")
//
// The URL is pgx's (libpq's) connection string; a password is best left to
// ~/.pgpass or PGPASSWORD rather than written in it, and is never printed
// (tracker.RedactURL). The schema is created and upgraded by versioned
// migrations embedded in the binary, each in its own transaction under an
// advisory lock, so that processes starting at once migrate once; its
// version lives in the table ganbook_schema, and a database of a newer
// version is refused without being modified. A read-only store runs every
// query in a READ ONLY transaction, so that a role granted SELECT alone
// serves `ganbook ui`.
//
// The semantics are the SQLite backend's, as package tracker/storetest
// checks: float8 keeps NaN, ±Inf and −0 exactly; filters become
// parameterised SQL in which NaN matches no order comparison (PostgreSQL
// orders NaN above every number; the SQL says otherwise where it matters);
// envelopes have the SQLite backend's ranges and values. Each write batch
// merges its points into per-bucket summaries (table metric_rollups, at
// widths of 64, 512, 4096, … steps), so that the envelope of a long series
// reads a few thousand rows rather than every point, as on SQLite.
package postgres
