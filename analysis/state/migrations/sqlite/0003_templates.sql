-- Templates, their instances, experiments' events, and what experiments
-- are filtered by.
--
-- name, template_name and instance_key repeat the spec's name and the
-- record's template and key so that lists filter in the database; labels
-- are rows of experiment_labels for the same reason.
ALTER TABLE experiments ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE experiments ADD COLUMN template_name TEXT;
ALTER TABLE experiments ADD COLUMN instance_key TEXT;

UPDATE experiments SET name = COALESCE(json_extract(spec, '$.name'), '');

CREATE INDEX experiments_name ON experiments (name);
CREATE INDEX experiments_template ON experiments (template_name) WHERE template_name IS NOT NULL;
CREATE INDEX experiments_key ON experiments (instance_key) WHERE instance_key IS NOT NULL;

CREATE TABLE experiment_labels (
	experiment_id TEXT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
	name          TEXT NOT NULL,
	value         TEXT NOT NULL,
	PRIMARY KEY (experiment_id, name)
) STRICT, WITHOUT ROWID;

CREATE INDEX experiment_labels_value ON experiment_labels (name, value);

-- body is the template as JSON.
CREATE TABLE templates (
	name       TEXT PRIMARY KEY,
	body       TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	version    INTEGER NOT NULL
) STRICT;

-- One row per idempotency key: the experiment and run it created. A
-- template's deletion leaves its instances; an experiment's takes them.
CREATE TABLE instances (
	instance_key  TEXT PRIMARY KEY,
	template_name TEXT NOT NULL,
	args          TEXT NOT NULL,
	experiment_id TEXT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
	run_id        TEXT NOT NULL,
	created_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX instances_experiment ON instances (experiment_id);

CREATE TABLE events (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	experiment_id TEXT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
	source        TEXT NOT NULL,
	type          TEXT NOT NULL,
	message       TEXT NOT NULL,
	data          TEXT,
	at            INTEGER NOT NULL
) STRICT;

CREATE INDEX events_experiment ON events (experiment_id, id);
