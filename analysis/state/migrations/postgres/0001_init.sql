-- Experiments, their runs and the runs' interval results.
-- Times are timestamptz (microseconds). JSON is json, not jsonb: specs,
-- verdicts and engine state are blobs whose shape may change without a
-- migration, nothing queries inside them, and json gives back exactly the
-- text written (jsonb reorders keys, rewrites numbers and refuses \u0000).

CREATE TABLE experiments (
	id         text PRIMARY KEY,
	spec       json NOT NULL,
	created_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL,
	version    bigint NOT NULL
);

CREATE INDEX experiments_created ON experiments (created_at);

CREATE TABLE runs (
	id            text PRIMARY KEY,
	experiment_id text NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
	spec          json NOT NULL,
	status        text NOT NULL CHECK (status IN ('running', 'paused', 'completed', 'aborted')),
	started_at    timestamptz NOT NULL,
	next_index    integer NOT NULL,
	next_due      timestamptz NOT NULL,
	state         json,
	verdict       json,
	deliveries    json NOT NULL DEFAULT '[]',
	delivered     boolean NOT NULL DEFAULT false,
	lease_owner   text,
	lease_until   timestamptz,
	created_at    timestamptz NOT NULL,
	updated_at    timestamptz NOT NULL,
	ended_at      timestamptz,
	-- Only a run that ended can have delivered its final verdict.
	CHECK (NOT delivered OR status IN ('completed', 'aborted')),
	CHECK ((lease_owner IS NULL) = (lease_until IS NULL))
);

CREATE INDEX runs_experiment ON runs (experiment_id, created_at);

-- At most one active run per experiment.
CREATE UNIQUE INDEX runs_one_active ON runs (experiment_id)
	WHERE status IN ('running', 'paused');

-- The runs ClaimDue looks at: running ones by due time, and ended ones whose
-- verdict is not delivered yet.
CREATE INDEX runs_claim ON runs (next_due, id)
	WHERE status <> 'paused' AND NOT delivered;

CREATE TABLE interval_results (
	run_id     text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	idx        integer NOT NULL,
	verdict    json NOT NULL,
	replica    text NOT NULL,
	created_at timestamptz NOT NULL,
	PRIMARY KEY (run_id, idx)
);
