-- Schema version 2: metric_rollups summarise each metric series over
-- buckets of 2^shift steps (bucket = step >> shift) for shift = 6, 9, …, 57,
-- so that a chart of a long series reads a few thousand rows rather than
-- every point. Every write batch updates them in its own transaction; the
-- migration fills them from the existing points (in Go, after this SQL).
--
-- count is the number of points in the bucket. summary holds the rest,
-- encoded by rollup.go (one blob rather than twenty columns, because
-- reading a row costs a call into SQLite per column): the numbers of NaN,
-- +Inf and -Inf values; the first point (lowest step, first logged among
-- equal steps), the last (highest step, last logged among equal steps),
-- and the points of the smallest and largest finite values (lowest step,
-- then first logged, among equal values), each as step, wall time and the
-- value's IEEE 754 bits.
CREATE TABLE metric_rollups (
	run_pk  INTEGER NOT NULL REFERENCES runs(pk) ON DELETE CASCADE,
	key     TEXT    NOT NULL,
	shift   INTEGER NOT NULL,
	bucket  INTEGER NOT NULL,
	count   INTEGER NOT NULL,
	summary BLOB    NOT NULL,
	PRIMARY KEY (run_pk, key, shift, bucket)
) WITHOUT ROWID;
