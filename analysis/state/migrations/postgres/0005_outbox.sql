-- The notification outbox.
--
-- outbox_events: what happened to runs that notifications may report,
-- inserted in the transaction that made the change (a run created, an
-- interval committed, a run aborted), so that a committed verdict is never
-- lost before it is routed and a rolled-back one is never announced. The
-- ID is "<run>/<kind>" ("<run>/interval_failed/<idx>"), inserted ON
-- CONFLICT DO NOTHING, so a replay cannot add a second one. routed turns
-- true when the router has turned the event into deliveries.
CREATE TABLE outbox_events (
	id            text PRIMARY KEY,
	experiment_id text NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
	run_id        text NOT NULL,
	kind          text NOT NULL CHECK (kind IN ('verdict', 'run_started', 'run_aborted', 'interval_failed')),
	idx           integer NOT NULL DEFAULT -1,
	at            timestamptz NOT NULL,
	routed        boolean NOT NULL DEFAULT false,
	-- Only a failed interval has an index.
	CHECK ((kind = 'interval_failed') = (idx >= 0))
);

-- The events the router has still to route, oldest first.
CREATE INDEX outbox_events_unrouted ON outbox_events (at, id) WHERE NOT routed;
CREATE INDEX outbox_events_experiment ON outbox_events (experiment_id);

-- One message to one receiver. id is the idempotency key (webhook-id).
-- (Not "deliveries": runs has a column of that name, the per-target
-- records of its final verdict's webhooks.) message is the
-- message sent. next_attempt is set while pending; a lease (as runs have)
-- makes one replica at a time attempt a delivery.
CREATE TABLE outbox_deliveries (
	id            text PRIMARY KEY,
	receiver      text NOT NULL,
	experiment_id text NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
	run_id        text NOT NULL,
	event         text NOT NULL,
	message       json NOT NULL,
	status        text NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
	attempts      integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	next_attempt  timestamptz,
	last_error    text NOT NULL DEFAULT '',
	created_at    timestamptz NOT NULL,
	updated_at    timestamptz NOT NULL,
	delivered_at  timestamptz,
	lease_owner   text,
	lease_until   timestamptz,
	CHECK ((status = 'pending') = (next_attempt IS NOT NULL)),
	CHECK ((status = 'delivered') = (delivered_at IS NOT NULL)),
	CHECK ((lease_owner IS NULL) = (lease_until IS NULL)),
	CHECK (lease_owner IS NULL OR status = 'pending')
);

-- The deliveries ClaimDeliveries looks at, in claim order.
CREATE INDEX outbox_deliveries_claim ON outbox_deliveries (next_attempt, id) WHERE status = 'pending';
CREATE INDEX outbox_deliveries_experiment ON outbox_deliveries (experiment_id, created_at);

-- Every attempt of a delivery, numbered from 1. (Not "delivery_attempts":
-- runs has a column of that name.)
CREATE TABLE outbox_attempts (
	delivery_id text NOT NULL REFERENCES outbox_deliveries (id) ON DELETE CASCADE,
	n           integer NOT NULL CHECK (n >= 1),
	at          timestamptz NOT NULL,
	replica     text NOT NULL,
	ok          boolean NOT NULL,
	error       text NOT NULL DEFAULT '',
	permanent   boolean NOT NULL DEFAULT false,
	duration_ms bigint NOT NULL,
	PRIMARY KEY (delivery_id, n)
);

-- The router: one row, leased to the replica that routes events, with the
-- state it keeps between passes (groups, their last sends).
CREATE TABLE notify_router (
	id          integer PRIMARY KEY CHECK (id = 1),
	owner       text,
	lease_until timestamptz,
	state       json,
	updated_at  timestamptz NOT NULL,
	CHECK ((owner IS NULL) = (lease_until IS NULL))
);
