-- Schema version 2: sweeps and their trials, which workers claim with
-- SELECT … FOR UPDATE SKIP LOCKED (see tracker.SweepBackend). spec and
-- params are JSON text; run_id names the run of a trial's latest attempt,
-- without a foreign key, since deleting that run must not delete the
-- trial's record. Times are milliseconds since the Unix epoch.
CREATE TABLE sweeps (
	pk         bigserial PRIMARY KEY,
	id         text COLLATE "C" NOT NULL UNIQUE,
	spec       text NOT NULL,
	created_ms bigint NOT NULL
);

CREATE TABLE sweep_trials (
	sweep_pk     bigint NOT NULL REFERENCES sweeps(pk) ON DELETE CASCADE,
	idx          integer NOT NULL,
	params       text NOT NULL,
	status       text COLLATE "C" NOT NULL CHECK (status IN ('PENDING', 'RUNNING', 'FINISHED', 'FAILED')),
	run_id       text COLLATE "C" NOT NULL DEFAULT '',
	worker       text NOT NULL DEFAULT '',
	heartbeat_ms bigint NOT NULL DEFAULT 0,
	attempt      integer NOT NULL DEFAULT 0,
	PRIMARY KEY (sweep_pk, idx)
);
CREATE INDEX sweep_trials_claimable ON sweep_trials(sweep_pk, status, idx);
