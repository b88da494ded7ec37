-- Schema version 2: metric_rollups summarise each metric series over
-- buckets of 2^shift steps (bucket = step >> shift) for shift = 6, 9, …, 57,
-- as the SQLite backend's table of the same name does, so that a chart of
-- a long series reads a few thousand rows rather than every point. Every
-- write batch merges its points into them in its own transaction
-- (rollup.go); this migration fills them from the stored points.
--
-- count is the number of points in the bucket; nan, pos_inf and neg_inf
-- count the non-finite ones. first is the point of lowest step (first
-- logged among equal steps), last the point of highest step (last logged
-- among equal steps); min and max are the points of the smallest and
-- largest finite values (lowest step, then first logged, among equal
-- values), NULL when the bucket has no finite value.
CREATE TABLE metric_rollups (
	run_pk      bigint   NOT NULL REFERENCES runs(pk) ON DELETE CASCADE,
	key         text COLLATE "C" NOT NULL,
	shift       smallint NOT NULL,
	bucket      bigint   NOT NULL,
	count       bigint   NOT NULL,
	nan         bigint   NOT NULL,
	pos_inf     bigint   NOT NULL,
	neg_inf     bigint   NOT NULL,
	first_step  bigint   NOT NULL,
	first_wall  bigint   NOT NULL,
	first_value float8   NOT NULL,
	last_step   bigint   NOT NULL,
	last_wall   bigint   NOT NULL,
	last_value  float8   NOT NULL,
	min_step    bigint,
	min_wall    bigint,
	min_value   float8,
	max_step    bigint,
	max_wall    bigint,
	max_value   float8,
	PRIMARY KEY (run_pk, key, shift, bucket)
);

INSERT INTO metric_rollups
SELECT run_pk, key, shift, step >> shift, count(*),
	count(*) FILTER (WHERE value = 'NaN'),
	count(*) FILTER (WHERE value = 'Infinity'),
	count(*) FILTER (WHERE value = '-Infinity'),
	(array_agg(step ORDER BY step, seq))[1],
	(array_agg(wall_ms ORDER BY step, seq))[1],
	(array_agg(value ORDER BY step, seq))[1],
	(array_agg(step ORDER BY step DESC, seq DESC))[1],
	(array_agg(wall_ms ORDER BY step DESC, seq DESC))[1],
	(array_agg(value ORDER BY step DESC, seq DESC))[1],
	(array_agg(step ORDER BY value, step, seq) FILTER (WHERE value NOT IN ('NaN', 'Infinity', '-Infinity')))[1],
	(array_agg(wall_ms ORDER BY value, step, seq) FILTER (WHERE value NOT IN ('NaN', 'Infinity', '-Infinity')))[1],
	(array_agg(value ORDER BY value, step, seq) FILTER (WHERE value NOT IN ('NaN', 'Infinity', '-Infinity')))[1],
	(array_agg(step ORDER BY value DESC, step, seq) FILTER (WHERE value NOT IN ('NaN', 'Infinity', '-Infinity')))[1],
	(array_agg(wall_ms ORDER BY value DESC, step, seq) FILTER (WHERE value NOT IN ('NaN', 'Infinity', '-Infinity')))[1],
	(array_agg(value ORDER BY value DESC, step, seq) FILTER (WHERE value NOT IN ('NaN', 'Infinity', '-Infinity')))[1]
FROM metrics CROSS JOIN generate_series(6, 57, 3) AS s(shift)
GROUP BY run_pk, key, shift, step >> shift;
