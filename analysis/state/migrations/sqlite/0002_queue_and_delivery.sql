-- Fair scheduling and durable delivery of final verdicts.
--
-- sched_at is a run's place in the claim queue and the time it may next be
-- claimed: a running run's next_due, or the time it yielded when it gave a
-- worker up with intervals still due; an ended run's next delivery attempt.
-- ClaimDue takes runs with sched_at <= now in sched_at order, so a run
-- catching up a long backlog goes behind the runs due before it yielded.
-- (SQLite cannot make an added column NOT NULL without a default; every
-- write sets it.)
ALTER TABLE runs ADD COLUMN sched_at INTEGER NOT NULL DEFAULT 0;

UPDATE runs SET sched_at = CASE
	WHEN status IN ('running', 'paused') THEN next_due
	ELSE COALESCE(ended_at, updated_at)
END;

-- Attempts to deliver the final verdict so far, and whether delivery was
-- given up (a target refused it, or it failed for the maximum age).
ALTER TABLE runs ADD COLUMN delivery_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN delivery_abandoned INTEGER NOT NULL DEFAULT 0
	CHECK (delivery_abandoned IN (0, 1) AND NOT (delivery_abandoned = 1 AND delivered = 1));

-- The runs ClaimDue looks at, in queue order. Its query repeats the
-- predicate verbatim.
DROP INDEX runs_claim;
CREATE INDEX runs_queue ON runs (sched_at, id)
	WHERE status <> 'paused' AND delivered = 0 AND delivery_abandoned = 0;
