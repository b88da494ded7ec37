-- Schema version 1 of the ganbook tracker.
-- Runs have an integer key (pk) for compact child rows and a random text id
-- for people. Times are milliseconds since the Unix epoch.

CREATE TABLE experiments (
	id         INTEGER PRIMARY KEY,
	name       TEXT    NOT NULL UNIQUE,
	created_ms INTEGER NOT NULL
);

CREATE TABLE runs (
	pk                   INTEGER PRIMARY KEY,
	id                   TEXT    NOT NULL UNIQUE,
	experiment_id        INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
	name                 TEXT    NOT NULL,
	status               TEXT    NOT NULL CHECK (status IN ('RUNNING', 'FINISHED', 'FAILED', 'KILLED')),
	error                TEXT    NOT NULL DEFAULT '',
	start_ms             INTEGER NOT NULL,
	end_ms               INTEGER,
	heartbeat_ms         INTEGER NOT NULL,
	heartbeat_timeout_ms INTEGER NOT NULL,
	parent_pk            INTEGER REFERENCES runs(pk) ON DELETE SET NULL,
	reproduced_from_pk   INTEGER REFERENCES runs(pk) ON DELETE SET NULL,
	record               TEXT    -- ReproRecord as JSON
);
CREATE INDEX runs_experiment ON runs(experiment_id);
CREATE INDEX runs_status ON runs(status);
CREATE INDEX runs_start ON runs(start_ms);
CREATE INDEX runs_parent ON runs(parent_pk);
CREATE INDEX runs_reproduced_from ON runs(reproduced_from_pk);

-- num holds the value when it is a finite number, so filters compare numerically.
CREATE TABLE params (
	run_pk INTEGER NOT NULL REFERENCES runs(pk) ON DELETE CASCADE,
	key    TEXT    NOT NULL,
	value  TEXT    NOT NULL,
	num    REAL,
	PRIMARY KEY (run_pk, key)
) WITHOUT ROWID;

-- kind: 0 finite, 1 NaN, 2 +Inf, 3 -Inf, 4 -0. SQLite turns a bound NaN into
-- NULL, so NaN is value NULL with kind 1; infinities are kept in value as
-- well, so that comparisons and min() order them correctly; -0 needs a kind
-- because SQLite stores an integral REAL as an integer, which has no sign.
CREATE TABLE metrics (
	run_pk  INTEGER NOT NULL REFERENCES runs(pk) ON DELETE CASCADE,
	key     TEXT    NOT NULL,
	step    INTEGER NOT NULL,
	wall_ms INTEGER NOT NULL,
	value   REAL,
	kind    INTEGER NOT NULL DEFAULT 0 CHECK (kind BETWEEN 0 AND 4)
);
CREATE INDEX metrics_series ON metrics(run_pk, key, step);

-- One row per (run, metric), kept up to date by every write batch: the
-- latest point (highest step), the minimum non-NaN value and the count.
CREATE TABLE metric_summary (
	run_pk    INTEGER NOT NULL REFERENCES runs(pk) ON DELETE CASCADE,
	key       TEXT    NOT NULL,
	step      INTEGER NOT NULL,
	wall_ms   INTEGER NOT NULL,
	value     REAL,
	kind      INTEGER NOT NULL,
	min_value REAL,
	min_step  INTEGER,
	count     INTEGER NOT NULL,
	PRIMARY KEY (run_pk, key)
) WITHOUT ROWID;

CREATE TABLE images (
	run_pk  INTEGER NOT NULL REFERENCES runs(pk) ON DELETE CASCADE,
	key     TEXT    NOT NULL,
	step    INTEGER NOT NULL,
	wall_ms INTEGER NOT NULL,
	png     BLOB    NOT NULL,
	PRIMARY KEY (run_pk, key, step)
);

CREATE TABLE tags (
	run_pk INTEGER NOT NULL REFERENCES runs(pk) ON DELETE CASCADE,
	key    TEXT    NOT NULL,
	value  TEXT    NOT NULL,
	PRIMARY KEY (run_pk, key)
) WITHOUT ROWID;
