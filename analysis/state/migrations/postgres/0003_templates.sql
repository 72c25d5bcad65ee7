-- Templates, their instances, experiments' events, and what experiments
-- are filtered by.
--
-- name, template_name and instance_key repeat the spec's name and the
-- record's template and key so that lists filter in the database; labels
-- are rows of experiment_labels for the same reason.
ALTER TABLE experiments ADD COLUMN name text NOT NULL DEFAULT '';
ALTER TABLE experiments ADD COLUMN template_name text;
ALTER TABLE experiments ADD COLUMN instance_key text;

UPDATE experiments SET name = COALESCE(spec->>'name', '');

CREATE INDEX experiments_name ON experiments (name);
CREATE INDEX experiments_template ON experiments (template_name) WHERE template_name IS NOT NULL;
CREATE INDEX experiments_key ON experiments (instance_key) WHERE instance_key IS NOT NULL;

CREATE TABLE experiment_labels (
	experiment_id text NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
	name          text NOT NULL,
	value         text NOT NULL,
	PRIMARY KEY (experiment_id, name)
);

CREATE INDEX experiment_labels_value ON experiment_labels (name, value);

-- body is the template as JSON.
CREATE TABLE templates (
	name       text PRIMARY KEY,
	body       json NOT NULL,
	created_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL,
	version    bigint NOT NULL
);

-- One row per idempotency key: the experiment and run it created. A
-- template's deletion leaves its instances; an experiment's takes them.
CREATE TABLE instances (
	instance_key  text PRIMARY KEY,
	template_name text NOT NULL,
	args          json NOT NULL,
	experiment_id text NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
	run_id        text NOT NULL,
	created_at    timestamptz NOT NULL
);

CREATE INDEX instances_experiment ON instances (experiment_id);

CREATE TABLE events (
	id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	experiment_id text NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
	source        text NOT NULL,
	type          text NOT NULL,
	message       text NOT NULL,
	data          json,
	at            timestamptz NOT NULL
);

CREATE INDEX events_experiment ON events (experiment_id, id);
