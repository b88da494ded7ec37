-- Schema version 1 of the ganbook tracker on PostgreSQL: the tables of the
-- SQLite schema, with PostgreSQL's types. float8 keeps NaN, ±Infinity and
-- -0 exactly, so metric values need no kind column. Text that filters
-- compare and order is in the "C" collation, which orders by code point as
-- SQLite does. Times are milliseconds since the Unix epoch.

CREATE TABLE experiments (
	id         bigserial PRIMARY KEY,
	name       text COLLATE "C" NOT NULL UNIQUE,
	created_ms bigint NOT NULL
);

CREATE TABLE runs (
	pk                   bigserial PRIMARY KEY,
	id                   text COLLATE "C" NOT NULL UNIQUE,
	experiment_id        bigint NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
	name                 text COLLATE "C" NOT NULL,
	status               text COLLATE "C" NOT NULL CHECK (status IN ('RUNNING', 'FINISHED', 'FAILED', 'KILLED')),
	error                text NOT NULL DEFAULT '',
	start_ms             bigint NOT NULL,
	end_ms               bigint,
	heartbeat_ms         bigint NOT NULL,
	heartbeat_timeout_ms bigint NOT NULL,
	parent_pk            bigint REFERENCES runs(pk) ON DELETE SET NULL,
	reproduced_from_pk   bigint REFERENCES runs(pk) ON DELETE SET NULL,
	record               text -- ReproRecord as JSON, byte for byte
);
CREATE INDEX runs_experiment ON runs(experiment_id);
CREATE INDEX runs_status ON runs(status);
CREATE INDEX runs_start ON runs(start_ms);
CREATE INDEX runs_parent ON runs(parent_pk);
CREATE INDEX runs_reproduced_from ON runs(reproduced_from_pk);

CREATE TABLE params (
	run_pk bigint NOT NULL REFERENCES runs(pk) ON DELETE CASCADE,
	key    text COLLATE "C" NOT NULL,
	value  text COLLATE "C" NOT NULL,
	num    float8, -- the value when it is a finite number
	PRIMARY KEY (run_pk, key)
);

-- seq orders the points of one step in logging order.
CREATE TABLE metrics (
	run_pk  bigint NOT NULL REFERENCES runs(pk) ON DELETE CASCADE,
	key     text COLLATE "C" NOT NULL,
	step    bigint NOT NULL,
	wall_ms bigint NOT NULL,
	value   float8 NOT NULL,
	seq     bigserial
);
CREATE INDEX metrics_series ON metrics(run_pk, key, step, seq);

-- One row per (run, metric): the latest point (highest step), the minimum
-- non-NaN value and the count.
CREATE TABLE metric_summary (
	run_pk    bigint NOT NULL REFERENCES runs(pk) ON DELETE CASCADE,
	key       text COLLATE "C" NOT NULL,
	step      bigint NOT NULL,
	wall_ms   bigint NOT NULL,
	value     float8 NOT NULL,
	min_value float8,
	min_step  bigint,
	count     bigint NOT NULL,
	PRIMARY KEY (run_pk, key)
);

CREATE TABLE images (
	run_pk  bigint NOT NULL REFERENCES runs(pk) ON DELETE CASCADE,
	key     text COLLATE "C" NOT NULL,
	step    bigint NOT NULL,
	wall_ms bigint NOT NULL,
	png     bytea NOT NULL,
	PRIMARY KEY (run_pk, key, step)
);

CREATE TABLE tags (
	run_pk bigint NOT NULL REFERENCES runs(pk) ON DELETE CASCADE,
	key    text COLLATE "C" NOT NULL,
	value  text COLLATE "C" NOT NULL,
	PRIMARY KEY (run_pk, key)
);
