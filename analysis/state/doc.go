// Package state is the durable analysis.Store: experiments, their runs, the
// runs' interval results and final verdicts, and the run leases that let
// several replicas share the work so that each interval is judged once.
//
// Two backends share one Store type and one code path (database/sql):
//
//   - OpenSQLite: a file in the data directory, the default for a single
//     replica. Pure Go (modernc.org/sqlite), WAL journal, foreign keys on,
//     one write connection whose transactions begin IMMEDIATE so concurrent
//     goroutines queue instead of failing with SQLITE_BUSY, a busy timeout
//     for other processes, and a pool of read-only connections.
//   - OpenPostgres: PostgreSQL through pgx, for replicas that scale out.
//     Due runs are claimed with FOR UPDATE SKIP LOCKED.
//
// Templates, instances (one row per idempotency key, inserted in the
// transaction that creates the instance's experiment and run, ON CONFLICT DO
// NOTHING), events, and the experiment columns and label rows that list
// filters query are in migration 0003.
//
// Only the statements that differ (the claim query, the schema, how times
// are encoded) are per dialect. Specs, verdicts and engine state are stored
// as JSON blobs, so their shape can change without a migration.
// Times are kept at microsecond precision and returned in UTC.
//
// Migrations are embedded SQL files, migrations/<dialect>/NNNN_name.sql,
// applied at open, each in its own transaction with its row in
// schema_migrations; opening an up-to-date database applies nothing, and a
// database migrated by a newer binary is refused (ErrSchemaTooNew). On
// PostgreSQL, replicas starting together migrate one at a time under
// pg_advisory_lock.
//
// The claim queue. Each run has a place in a queue (the sched_at column;
// the runs_queue index holds the running runs, the only ones ClaimDue may
// take): its NextDue. ClaimDue takes the runs whose place is at or before
// now, in queue order. A run that stops a catch-up batch with intervals
// still due gives its lease up with YieldLease, which queues it at the time
// it yielded: behind every run that came due before then, so that one run
// with a long backlog cannot hold the replicas' workers. A run leaves the
// queue when it is paused or ends: its final verdict is committed with its
// outbox event, and an ended run is never claimed again.
//
// Leases. ClaimDue leases due runs to an owner (a replica) for a period; the
// owner commits intervals only while it holds the lease. A
// lease is held while lease_until > now and claimable once lease_until <=
// now. Lease times are the replicas' clocks, never the database's: ClaimDue
// compares with the now it is given and sets now+lease, RenewLease sets the
// until it is given, and the commits and RenewLease check expiry against
// the Store's clock (time.Now). Replicas' clocks must agree to well within a
// lease period. Skew cannot make two replicas commit the same interval,
// though: every commit also requires lease_owner to be the committer,
// claims and commits are serialised by the database (row locks; SQLite's
// single writer), and interval_results' primary key refuses a second
// (run_id, idx).
//
// The notification outbox (migration 0005). outbox_events holds what
// notifications may report: a run started (written by CreateRun and
// template instantiation), a failed interval of a run that goes on and a
// run's final verdict (CommitInterval), a run aborted with its verdict
// (SetRunStatus). Each is inserted in the transaction of the change it
// reports, so a committed verdict is never lost before it is routed and a
// rolled-back one is never announced; its ID ("<run>/<kind>",
// "<run>/interval_failed/<index>") is inserted ON CONFLICT DO NOTHING. The
// router is one row, notify_router, leased like a run (AcquireRouter; the
// holder's CommitRouting marks the events it routed, inserts their
// deliveries once per ID, and saves the router's state in one
// transaction). outbox_deliveries holds one message per receiver, keyed by
// its webhook-id, pending until delivered or dead-lettered; deliveries are
// claimed and leased like runs (ClaimDeliveries: SKIP LOCKED on
// PostgreSQL), and each attempt is a row of outbox_attempts, committed
// with the delivery's new status only by the lease holder
// (CommitAttempt). Deleting an experiment deletes its events, deliveries
// and attempts; PruneOutbox deletes routed events past their retention.
// (The runs table's deliveries, delivered, delivery_attempts and
// delivery_abandoned columns are older, from a per-run delivery the outbox
// replaced: they are neither read nor written, and new rows keep their
// defaults; migration 0006 took ended runs out of the claim queue.)
//
// The package imports analysis, judges (the outcome an interval failed
// with) and the database drivers only.
package state
