package state

import (
	"context"
	"database/sql"
	"time"
)

// dialect is what differs between SQLite and PostgreSQL. The statements in
// the other files are written once: both take $1-style parameters, and
// times, booleans and JSON are bound as Go values each driver converts.
type dialect struct {
	name string // migrations/<name>
	// createMigrationsTable creates schema_migrations if it is missing.
	createMigrationsTable string
	// lockMigrations serialises migrators across processes on conn and
	// returns the unlock.
	lockMigrations func(ctx context.Context, conn *sql.Conn) (unlock func(), err error)
	// timeArg encodes a time for a statement parameter.
	timeArg func(time.Time) any
	// claimSQL leases due runs: $1 owner, $2 lease until, $3 now, $4 limit;
	// it returns runColumns.
	claimSQL string
	// claimDeliveriesSQL leases due outbox deliveries: $1 owner, $2 lease
	// until, $3 now, $4 limit; it returns deliveryColumns.
	claimDeliveriesSQL string
	// unrouted is the predicate of the outbox events not routed yet, as
	// the outbox_events_unrouted index has it.
	unrouted string
	// constraintErr maps a driver error to ErrConflict (unique violation) or
	// ErrNotFound (a reference to a missing row), else returns nil.
	constraintErr func(error) error
}

// runColumns are the columns scanRun reads, in its order, and the ones
// CreateRun writes. (The runs table's older columns deliveries, delivered,
// delivery_attempts and delivery_abandoned are neither read nor written:
// new rows keep their defaults.)
const runColumns = `id, experiment_id, spec, status, started_at, next_index, next_due, state, verdict,
	lease_owner, lease_until, created_at, updated_at, ended_at, sched_at`

// claimWhere selects the runs ClaimDue may lease: running, with sched_at <=
// now, and not under an unexpired lease. $3 is now. Its first term is the
// runs_queue index predicate (migration 0006): paused and ended runs are
// not in the queue.
const claimWhere = `status = 'running'
	AND sched_at <= $3
	AND (lease_owner IS NULL OR lease_until <= $3)`

// deliveryColumns are the columns scanDelivery reads, in its order.
const deliveryColumns = `id, receiver, experiment_id, run_id, event, message, status, attempts,
	next_attempt, last_error, created_at, updated_at, delivered_at`

// claimDeliveriesWhere selects the outbox deliveries ClaimDeliveries may
// lease: pending (the outbox_deliveries_claim index predicate), due at or
// before $3 (now), not under an unexpired lease, and not to a receiver
// listed in $5 (a JSON array of names; %s is the dialect's membership
// test).
const claimDeliveriesWhere = `status = 'pending' AND next_attempt <= $3
	AND (lease_owner IS NULL OR lease_until <= $3)
	AND NOT %s`
