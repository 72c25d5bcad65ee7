-- The notification outbox.
--
-- outbox_events: what happened to runs that notifications may report,
-- inserted in the transaction that made the change (a run created, an
-- interval committed, a run aborted), so that a committed verdict is never
-- lost before it is routed and a rolled-back one is never announced. The
-- ID is "<run>/<kind>" ("<run>/interval_failed/<idx>"), inserted ON
-- CONFLICT DO NOTHING, so a replay cannot add a second one. routed turns 1
-- when the router has turned the event into deliveries.
CREATE TABLE outbox_events (
	id            TEXT PRIMARY KEY,
	experiment_id TEXT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
	run_id        TEXT NOT NULL,
	kind          TEXT NOT NULL CHECK (kind IN ('verdict', 'run_started', 'run_aborted', 'interval_failed')),
	idx           INTEGER NOT NULL DEFAULT -1,
	at            INTEGER NOT NULL,
	routed        INTEGER NOT NULL DEFAULT 0 CHECK (routed IN (0, 1)),
	-- Only a failed interval has an index.
	CHECK ((kind = 'interval_failed') = (idx >= 0))
) STRICT;

-- The events the router has still to route, oldest first. PendingEvents
-- repeats the predicate verbatim.
CREATE INDEX outbox_events_unrouted ON outbox_events (at, id) WHERE routed = 0;
CREATE INDEX outbox_events_experiment ON outbox_events (experiment_id);

-- One message to one receiver. id is the idempotency key (webhook-id).
-- (Not "deliveries": runs has a column of that name, the per-target
-- records of its final verdict's webhooks.) message is the
-- message sent, JSON. next_attempt is set while pending; a lease (as runs
-- have) makes one replica at a time attempt a delivery.
CREATE TABLE outbox_deliveries (
	id            TEXT PRIMARY KEY,
	receiver      TEXT NOT NULL,
	experiment_id TEXT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
	run_id        TEXT NOT NULL,
	event         TEXT NOT NULL,
	message       TEXT NOT NULL,
	status        TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
	attempts      INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	next_attempt  INTEGER,
	last_error    TEXT NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	delivered_at  INTEGER,
	lease_owner   TEXT,
	lease_until   INTEGER,
	CHECK ((status = 'pending') = (next_attempt IS NOT NULL)),
	CHECK ((status = 'delivered') = (delivered_at IS NOT NULL)),
	CHECK ((lease_owner IS NULL) = (lease_until IS NULL)),
	CHECK (lease_owner IS NULL OR status = 'pending')
) STRICT;

-- The deliveries ClaimDeliveries looks at, in claim order. Its query
-- repeats the predicate verbatim.
CREATE INDEX outbox_deliveries_claim ON outbox_deliveries (next_attempt, id) WHERE status = 'pending';
CREATE INDEX outbox_deliveries_experiment ON outbox_deliveries (experiment_id, created_at);

-- Every attempt of a delivery, numbered from 1. (Not "delivery_attempts":
-- runs has a column of that name.)
CREATE TABLE outbox_attempts (
	delivery_id TEXT NOT NULL REFERENCES outbox_deliveries (id) ON DELETE CASCADE,
	n           INTEGER NOT NULL CHECK (n >= 1),
	at          INTEGER NOT NULL,
	replica     TEXT NOT NULL,
	ok          INTEGER NOT NULL CHECK (ok IN (0, 1)),
	error       TEXT NOT NULL DEFAULT '',
	permanent   INTEGER NOT NULL DEFAULT 0 CHECK (permanent IN (0, 1)),
	duration_ms INTEGER NOT NULL,
	PRIMARY KEY (delivery_id, n)
) STRICT, WITHOUT ROWID;

-- The router: one row, leased to the replica that routes events, with the
-- state it keeps between passes (groups, their last sends), JSON.
CREATE TABLE notify_router (
	id          INTEGER PRIMARY KEY CHECK (id = 1),
	owner       TEXT,
	lease_until INTEGER,
	state       TEXT,
	updated_at  INTEGER NOT NULL,
	CHECK ((owner IS NULL) = (lease_until IS NULL))
) STRICT;
