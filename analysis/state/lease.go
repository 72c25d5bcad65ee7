package state

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/augurhq/augur/analysis"
)

// ClaimDue leases to owner, until now+lease, up to limit running runs whose
// sched_at is at or before now and that no unexpired lease holds, in
// sched_at order: at their NextDue, or at the time they yielded
// (YieldLease). Paused and ended runs are never claimed. now is the
// caller's clock, compared with sched_at and with
// other owners' lease_until (see the package doc on leases). It is one
// statement: concurrent callers never get the same run. Claiming does not
// change UpdatedAt, which tracks changes to the run itself.
func (s *Store) ClaimDue(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]analysis.Run, error) {
	if owner == "" {
		return nil, errors.New("state: claim: empty owner")
	}
	if lease <= 0 {
		return nil, fmt.Errorf("state: claim: lease %v is not positive", lease)
	}
	if limit <= 0 {
		return nil, nil
	}
	now = storedTime(now)
	type queued struct {
		run   analysis.Run
		sched time.Time
	}
	var out []queued
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s.d.claimSQL, owner, s.t(now.Add(lease)), s.t(now), limit)
		if err != nil {
			return fmt.Errorf("state: claim: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			r, sched, err := scanQueuedRun(rows)
			if err != nil {
				return fmt.Errorf("state: claim: %w", err)
			}
			out = append(out, queued{r, sched})
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("state: claim: %w", err)
		}
		return rows.Close()
	})
	if err != nil {
		return nil, err
	}
	// RETURNING does not keep the subquery's order.
	slices.SortFunc(out, func(a, b queued) int {
		if c := a.sched.Compare(b.sched); c != 0 {
			return c
		}
		return cmp.Compare(a.run.ID, b.run.ID)
	})
	runs := make([]analysis.Run, len(out))
	for i, q := range out {
		runs[i] = q.run
	}
	return runs, nil
}

// RenewLease moves owner's unexpired lease on a run to until; ErrLeaseLost
// if owner does not hold it (another owner took it, or it expired).
func (s *Store) RenewLease(ctx context.Context, runID, owner string, until time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.clock()
		res, err := tx.ExecContext(ctx, `UPDATE runs SET lease_until = $1
			WHERE id = $2 AND lease_owner = $3 AND lease_until > $4`,
			s.t(until), runID, owner, s.t(now))
		return s.leaseResult(ctx, tx, "renew lease", runID, owner, now, res, err, nil)
	})
}

// ReleaseLease gives owner's lease on a run up, so that any replica may
// claim the run at once. ErrLeaseLost if another owner holds it or nobody
// does.
func (s *Store) ReleaseLease(ctx context.Context, runID, owner string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		// Expired or not: clearing one's own lease is always safe.
		res, err := tx.ExecContext(ctx, `UPDATE runs SET lease_owner = NULL, lease_until = NULL
			WHERE id = $1 AND lease_owner = $2`, runID, owner)
		return s.leaseResult(ctx, tx, "release lease", runID, owner, time.Time{}, res, err, nil)
	})
}

// YieldLease gives owner's lease on a run up and, if the run is still
// running, queues it at at (or at its NextDue if that is later): ClaimDue
// then hands out the runs queued before at first, so that a run catching
// up a backlog in batches cannot keep the runs due meanwhile waiting.
// ErrLeaseLost if another owner holds the lease or nobody does.
func (s *Store) YieldLease(ctx context.Context, runID, owner string, at time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE runs SET lease_owner = NULL, lease_until = NULL,
				sched_at = CASE WHEN status <> 'running' THEN sched_at WHEN next_due > $3 THEN next_due ELSE $3 END
			WHERE id = $1 AND lease_owner = $2`, runID, owner, s.t(at))
		return s.leaseResult(ctx, tx, "yield lease", runID, owner, time.Time{}, res, err, nil)
	})
}

// leaseResult turns the outcome of a lease-guarded UPDATE into nil when it
// changed the run, else into the reason it did not: ErrNotFound, then
// ErrLeaseLost, then ErrConflict when wantStatus rejects the stored status.
// A zero now skips the expiry check.
func (s *Store) leaseResult(ctx context.Context, tx *sql.Tx, what, runID, owner string, now time.Time,
	res sql.Result, err error, wantStatus func(analysis.RunStatus) bool) error {
	if err != nil {
		return s.dbErr(fmt.Sprintf("%s on run %s", what, runID), err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("state: %s on run %s: %w", what, runID, err)
	}
	if n == 1 {
		return nil
	}
	var (
		status     analysis.RunStatus
		leaseOwner sql.NullString
		leaseUntil dbTime
	)
	err = tx.QueryRowContext(ctx, `SELECT status, lease_owner, lease_until FROM runs WHERE id = $1`, runID).
		Scan(&status, &leaseOwner, &leaseUntil)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("state: %s: run %s: %w", what, runID, analysis.ErrNotFound)
	case err != nil:
		return fmt.Errorf("state: %s on run %s: %w", what, runID, err)
	}
	if leaseOwner.String != owner || (!now.IsZero() && !leaseUntil.After(now)) {
		held := "nobody"
		if leaseOwner.Valid {
			held = fmt.Sprintf("%s until %s", leaseOwner.String, leaseUntil.Format(time.RFC3339Nano))
		}
		return fmt.Errorf("state: %s: run %s is leased by %s, not %s: %w", what, runID, held, owner, analysis.ErrLeaseLost)
	}
	if wantStatus != nil && !wantStatus(status) {
		return fmt.Errorf("state: %s: run %s is %s: %w", what, runID, status, analysis.ErrConflict)
	}
	return fmt.Errorf("state: %s: run %s did not change", what, runID)
}
