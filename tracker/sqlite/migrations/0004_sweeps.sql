-- Schema version 3: sweeps and their trials, which workers claim (see
-- tracker.SweepBackend). spec and params are JSON text; run_id names the
-- run of a trial's latest attempt, without a foreign key, since deleting
-- that run must not delete the trial's record. Times are milliseconds
-- since the Unix epoch.
CREATE TABLE sweeps (
	pk         INTEGER PRIMARY KEY,
	id         TEXT    NOT NULL UNIQUE,
	spec       TEXT    NOT NULL,
	created_ms INTEGER NOT NULL
);

CREATE TABLE sweep_trials (
	sweep_pk     INTEGER NOT NULL REFERENCES sweeps(pk) ON DELETE CASCADE,
	idx          INTEGER NOT NULL,
	params       TEXT    NOT NULL,
	status       TEXT    NOT NULL CHECK (status IN ('PENDING', 'RUNNING', 'FINISHED', 'FAILED')),
	run_id       TEXT    NOT NULL DEFAULT '',
	worker       TEXT    NOT NULL DEFAULT '',
	heartbeat_ms INTEGER NOT NULL DEFAULT 0,
	attempt      INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (sweep_pk, idx)
) WITHOUT ROWID;
CREATE INDEX sweep_trials_claimable ON sweep_trials(sweep_pk, status, idx);
