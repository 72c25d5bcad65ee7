-- Kayenta-compatible API: stored canary configs and the executions started
-- from them. A config is kept as the JSON its client sent (with id and
-- timestamps set); name and applications are copied out for listing.
CREATE TABLE kayenta_configs (
	id           text PRIMARY KEY,
	name         text NOT NULL,
	applications json NOT NULL,
	body         json NOT NULL,
	created_at   timestamptz NOT NULL,
	updated_at   timestamptz NOT NULL
);

-- An execution is an augur experiment (same ID) with the Kayenta request
-- that created it, so that its status document can echo them. Deleting the
-- experiment deletes the execution.
CREATE TABLE kayenta_executions (
	id          text PRIMARY KEY REFERENCES experiments (id) ON DELETE CASCADE,
	kind        text NOT NULL CHECK (kind IN ('canary', 'standalone')),
	config_id   text NOT NULL,
	application text NOT NULL,
	config      json NOT NULL,
	request     json NOT NULL,
	warnings    json NOT NULL,
	created_at  timestamptz NOT NULL
);
