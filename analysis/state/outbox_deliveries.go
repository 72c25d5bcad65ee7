package state

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/augurhq/augur/analysis"
)

// ClaimDeliveries leases to owner, until now+lease, up to limit pending
// outbox deliveries whose NextAttempt is at or before now and that no
// unexpired lease holds, by NextAttempt then ID. now is the caller's clock,
// as in ClaimDue. It is one statement (PostgreSQL: FOR UPDATE SKIP LOCKED;
// SQLite: the single writer): concurrent callers never get the same
// delivery. Deliveries to the receivers in skip are left out. The
// deliveries are returned without their History.
func (s *Store) ClaimDeliveries(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int, skip []string) ([]analysis.OutboxDelivery, error) {
	if owner == "" {
		return nil, errors.New("state: claim deliveries: empty owner")
	}
	if lease <= 0 {
		return nil, fmt.Errorf("state: claim deliveries: lease %v is not positive", lease)
	}
	if limit <= 0 {
		return nil, nil
	}
	now = storedTime(now)
	if skip == nil {
		skip = []string{}
	}
	skipJSON, err := json.Marshal(skip)
	if err != nil {
		return nil, fmt.Errorf("state: claim deliveries: %w", err)
	}
	var out []analysis.OutboxDelivery
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s.d.claimDeliveriesSQL, owner, s.t(now.Add(lease)), s.t(now), limit, string(skipJSON))
		if err != nil {
			return fmt.Errorf("state: claim deliveries: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			d, err := scanDelivery(rows)
			if err != nil {
				return fmt.Errorf("state: claim deliveries: %w", err)
			}
			out = append(out, d)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("state: claim deliveries: %w", err)
		}
		return rows.Close()
	})
	if err != nil {
		return nil, err
	}
	// RETURNING does not keep the subquery's order.
	slices.SortFunc(out, func(a, b analysis.OutboxDelivery) int {
		if c := a.NextAttempt.Compare(b.NextAttempt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

// CommitAttempt records o.Attempt and the delivery's new status, and
// releases the lease, in one transaction while owner holds an unexpired
// lease on the delivery (checked against the Store's clock; ErrLeaseLost
// otherwise, ErrNotFound for an unknown delivery, and nothing is written).
// The attempt is numbered next (a non-zero Attempt.N must be that number,
// else ErrConflict); a zero Attempt.At is now and an empty Replica is
// owner. A pending delivery is due again at o.NextAttempt; a delivered one
// records the attempt's time as DeliveredAt and clears LastError; a dead
// one keeps the attempt's error as LastError.
func (s *Store) CommitAttempt(ctx context.Context, owner string, o analysis.AttemptOutcome) error {
	a := o.Attempt
	what := "commit attempt on delivery " + o.DeliveryID
	switch {
	case o.Status != analysis.DeliveryPending && o.Status != analysis.DeliveryDelivered && o.Status != analysis.DeliveryDead:
		return fmt.Errorf("state: %s: unknown status %q", what, o.Status)
	case (o.Status == analysis.DeliveryPending) == o.NextAttempt.IsZero():
		return fmt.Errorf("state: %s: a next attempt is set exactly when the status is pending (status %s)", what, o.Status)
	case a.OK != (o.Status == analysis.DeliveryDelivered):
		return fmt.Errorf("state: %s: a delivery is delivered exactly when its attempt is ok (status %s, ok %t)", what, o.Status, a.OK)
	case a.N < 0:
		return fmt.Errorf("state: %s: attempt number %d is negative", what, a.N)
	}
	if a.Replica == "" {
		a.Replica = owner
	}
	lastError := a.Error
	if a.OK {
		lastError = ""
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.clock()
		if a.At.IsZero() {
			a.At = now
		}
		var deliveredAt, next time.Time
		if a.OK {
			deliveredAt = a.At
		} else {
			next = o.NextAttempt
		}
		var n int
		res, err := returned(tx.QueryRowContext(ctx, `UPDATE outbox_deliveries
			SET status = $1, attempts = attempts + 1, next_attempt = $2, last_error = $3, delivered_at = $4,
				updated_at = $5, lease_owner = NULL, lease_until = NULL
			WHERE id = $6 AND lease_owner = $7 AND lease_until > $5 AND status = 'pending'
			RETURNING attempts`,
			string(o.Status), s.t(next), lastError, s.t(deliveredAt), s.t(now), o.DeliveryID, owner).Scan(&n))
		if err := s.deliveryLeaseResult(ctx, tx, what, o.DeliveryID, owner, now, res, err); err != nil {
			return err
		}
		if a.N != 0 && a.N != n {
			return fmt.Errorf("state: %s: attempt %d given, but it is attempt %d: %w", what, a.N, n, analysis.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox_attempts (delivery_id, n, at, replica, ok, error, permanent, duration_ms)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			o.DeliveryID, n, s.t(a.At), a.Replica, a.OK, a.Error, a.Permanent, a.DurationMS); err != nil {
			return s.dbErr(what, err)
		}
		return nil
	})
}

// deliveryLeaseResult turns the outcome of a lease-guarded UPDATE of a
// delivery into nil when it changed the row, else into ErrNotFound or
// ErrLeaseLost.
func (s *Store) deliveryLeaseResult(ctx context.Context, tx *sql.Tx, what, id, owner string, now time.Time, res sql.Result, err error) error {
	if err != nil {
		return s.dbErr(what, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("state: %s: %w", what, err)
	} else if n == 1 {
		return nil
	}
	var (
		status analysis.DeliveryStatus
		holder sql.NullString
		until  dbTime
	)
	err = tx.QueryRowContext(ctx, `SELECT status, lease_owner, lease_until FROM outbox_deliveries WHERE id = $1`, id).
		Scan(&status, &holder, &until)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("state: delivery %s: %w", id, analysis.ErrNotFound)
	case err != nil:
		return fmt.Errorf("state: %s: %w", what, err)
	}
	held := "nobody"
	if holder.Valid {
		held = fmt.Sprintf("%s until %s", holder.String, until.Format(time.RFC3339Nano))
	}
	return fmt.Errorf("state: %s: the delivery is %s and leased by %s, not %s (now %s): %w",
		what, status, held, owner, now.Format(time.RFC3339Nano), analysis.ErrLeaseLost)
}

// RetryDelivery makes a dead delivery pending again, due at now (the
// caller's clock), with no lease; its attempts, their history and its
// LastError are kept. It returns the delivery as stored then, with its
// History. ErrNotFound for an unknown delivery, ErrNotDead for one pending
// or delivered.
func (s *Store) RetryDelivery(ctx context.Context, id string, now time.Time) (analysis.OutboxDelivery, error) {
	var d analysis.OutboxDelivery
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox_deliveries
			SET status = 'pending', next_attempt = $1, lease_owner = NULL, lease_until = NULL, updated_at = $2
			WHERE id = $3 AND status = 'dead'`, s.t(now), s.t(s.clock()), id)
		if err != nil {
			return s.dbErr("retry delivery "+id, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("state: retry delivery %s: %w", id, err)
		} else if n == 0 {
			var status analysis.DeliveryStatus
			switch err := tx.QueryRowContext(ctx, `SELECT status FROM outbox_deliveries WHERE id = $1`, id).Scan(&status); {
			case errors.Is(err, sql.ErrNoRows):
				return fmt.Errorf("state: delivery %s: %w", id, analysis.ErrNotFound)
			case err != nil:
				return fmt.Errorf("state: retry delivery %s: %w", id, err)
			}
			return fmt.Errorf("state: retry delivery %s: it is %s: %w", id, status, analysis.ErrNotDead)
		}
		d, err = getDelivery(ctx, tx, id)
		return err
	})
	return d, err
}
