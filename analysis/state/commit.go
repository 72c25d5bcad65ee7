package state

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

// CommitInterval records res and the run's new NextIndex, NextDue, State,
// Status, Verdict and EndedAt in one transaction, only while owner holds an
// unexpired lease on the run (ErrLeaseLost) and the run is running
// (ErrConflict: paused or aborted meanwhile). An interval index is recorded
// at most once (ErrConflict). On any error nothing is written. An empty
// res.RunID is r.ID, an empty res.Replica is owner, a zero res.CreatedAt
// is now, a zero NextDue keeps the stored one, and a final status without
// EndedAt ends the run now. A running run is queued at its NextDue; an
// ended one leaves the queue for good. The lease is kept: the holder goes
// on with the next interval, or releases it. The same transaction writes
// the outbox event: verdict when the run ends,
// interval_failed when it goes on after an interval whose outcome is fail.
func (s *Store) CommitInterval(ctx context.Context, owner string, r analysis.Run, res analysis.IntervalResult) error {
	if res.RunID == "" {
		res.RunID = r.ID
	}
	if res.RunID != r.ID {
		return fmt.Errorf("state: commit interval: result of run %s given with run %s", res.RunID, r.ID)
	}
	switch r.Status {
	case analysis.RunRunning, analysis.RunCompleted, analysis.RunAborted:
	default:
		return fmt.Errorf("state: commit interval %d of run %s: cannot move the run to %q", res.Index, r.ID, r.Status)
	}
	if res.Replica == "" {
		res.Replica = owner
	}
	resVerdict, err := jsonArg("interval verdict", res.Verdict)
	if err != nil {
		return err
	}
	verdict, err := verdictArg(r.Verdict)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		// The clock is read once the write lock is ours (SQLite) so that a
		// wait for it cannot stretch the lease.
		now := s.clock()
		if res.CreatedAt.IsZero() {
			res.CreatedAt = now
		}
		var ended time.Time
		if r.Status != analysis.RunRunning {
			ended = now
			if r.EndedAt != nil {
				ended = *r.EndedAt
			}
		}
		var expID string
		upd, err := returned(tx.QueryRowContext(ctx, `UPDATE runs
			SET next_index = $1, next_due = COALESCE($2, next_due), state = $3, status = $4, verdict = $5, ended_at = $6, updated_at = $7,
				sched_at = COALESCE($6, $2, next_due)
			WHERE id = $8 AND lease_owner = $9 AND lease_until > $7 AND status = 'running'
			RETURNING experiment_id`,
			r.NextIndex, s.t(r.NextDue), nullJSON(r.State), string(r.Status), verdict, s.t(ended), s.t(now),
			r.ID, owner).Scan(&expID))
		what := fmt.Sprintf("commit interval %d", res.Index)
		if err := s.leaseResult(ctx, tx, what, r.ID, owner, now, upd, err, isRunning); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO interval_results (`+intervalColumns+`) VALUES ($1, $2, $3, $4, $5)`,
			res.RunID, res.Index, resVerdict, res.Replica, s.t(res.CreatedAt)); err != nil {
			return s.dbErr(fmt.Sprintf("%s of run %s", what, r.ID), err)
		}
		switch {
		case r.Status != analysis.RunRunning:
			return s.addOutboxEvents(ctx, tx, outboxEvent(expID, r.ID, analysis.OutboxVerdict, -1, now))
		case res.Verdict.Verdict == judges.OutcomeFail:
			return s.addOutboxEvents(ctx, tx, outboxEvent(expID, r.ID, analysis.OutboxIntervalFailed, res.Index, now))
		}
		return nil
	})
}

func isRunning(s analysis.RunStatus) bool { return s == analysis.RunRunning }
