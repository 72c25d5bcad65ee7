-- Experiments, their runs and the runs' interval results.
-- Times are microseconds since the Unix epoch (UTC). JSON is text: specs,
-- verdicts and engine state are blobs whose shape may change without a
-- migration. Booleans are 0 or 1.

CREATE TABLE experiments (
	id         TEXT PRIMARY KEY,
	spec       TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	version    INTEGER NOT NULL
) STRICT;

CREATE INDEX experiments_created ON experiments (created_at);

CREATE TABLE runs (
	id            TEXT PRIMARY KEY,
	experiment_id TEXT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
	spec          TEXT NOT NULL,
	status        TEXT NOT NULL CHECK (status IN ('running', 'paused', 'completed', 'aborted')),
	started_at    INTEGER NOT NULL,
	next_index    INTEGER NOT NULL,
	next_due      INTEGER NOT NULL,
	state         TEXT,
	verdict       TEXT,
	deliveries    TEXT NOT NULL DEFAULT '[]',
	delivered     INTEGER NOT NULL DEFAULT 0 CHECK (delivered IN (0, 1)),
	lease_owner   TEXT,
	lease_until   INTEGER,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	ended_at      INTEGER,
	-- Only a run that ended can have delivered its final verdict.
	CHECK (delivered = 0 OR status IN ('completed', 'aborted')),
	CHECK ((lease_owner IS NULL) = (lease_until IS NULL))
) STRICT;

CREATE INDEX runs_experiment ON runs (experiment_id, created_at);

-- At most one active run per experiment.
CREATE UNIQUE INDEX runs_one_active ON runs (experiment_id)
	WHERE status IN ('running', 'paused');

-- The runs ClaimDue looks at: running ones by due time, and ended ones whose
-- verdict is not delivered yet. Its query repeats this predicate verbatim.
CREATE INDEX runs_claim ON runs (next_due, id)
	WHERE status <> 'paused' AND delivered = 0;

CREATE TABLE interval_results (
	run_id     TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	idx        INTEGER NOT NULL,
	verdict    TEXT NOT NULL,
	replica    TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (run_id, idx)
) STRICT, WITHOUT ROWID;
