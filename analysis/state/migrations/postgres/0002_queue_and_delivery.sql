-- Fair scheduling and durable delivery of final verdicts.
--
-- sched_at is a run's place in the claim queue and the time it may next be
-- claimed: a running run's next_due, or the time it yielded when it gave a
-- worker up with intervals still due; an ended run's next delivery attempt.
-- ClaimDue takes runs with sched_at <= now in sched_at order, so a run
-- catching up a long backlog goes behind the runs due before it yielded.
ALTER TABLE runs ADD COLUMN sched_at timestamptz;

UPDATE runs SET sched_at = CASE
	WHEN status IN ('running', 'paused') THEN next_due
	ELSE COALESCE(ended_at, updated_at)
END;

ALTER TABLE runs ALTER COLUMN sched_at SET NOT NULL;

-- Attempts to deliver the final verdict so far, and whether delivery was
-- given up (a target refused it, or it failed for the maximum age).
ALTER TABLE runs
	ADD COLUMN delivery_attempts integer NOT NULL DEFAULT 0,
	ADD COLUMN delivery_abandoned boolean NOT NULL DEFAULT false,
	ADD CHECK (NOT (delivered AND delivery_abandoned));

-- The runs ClaimDue looks at, in queue order.
DROP INDEX runs_claim;
CREATE INDEX runs_queue ON runs (sched_at, id)
	WHERE status <> 'paused' AND NOT delivered AND NOT delivery_abandoned;
