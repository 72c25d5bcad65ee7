-- Kayenta-compatible API: stored canary configs and the executions started
-- from them. A config is kept as the JSON its client sent (with id and
-- timestamps set); name and applications are copied out for listing.
CREATE TABLE kayenta_configs (
	id           TEXT PRIMARY KEY,
	name         TEXT NOT NULL,
	applications TEXT NOT NULL, -- JSON array of strings
	body         TEXT NOT NULL, -- the canary config, JSON
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
) STRICT;

-- An execution is an augur experiment (same ID) with the Kayenta request
-- that created it, so that its status document can echo them. Deleting the
-- experiment deletes the execution.
CREATE TABLE kayenta_executions (
	id          TEXT PRIMARY KEY REFERENCES experiments (id) ON DELETE CASCADE,
	kind        TEXT NOT NULL CHECK (kind IN ('canary', 'standalone')),
	config_id   TEXT NOT NULL, -- '' for a config sent inline
	application TEXT NOT NULL,
	config      TEXT NOT NULL, -- JSON
	request     TEXT NOT NULL, -- JSON
	warnings    TEXT NOT NULL, -- JSON array of strings
	created_at  INTEGER NOT NULL
) STRICT;
