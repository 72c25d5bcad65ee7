package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/augurhq/augur/analysis"
)

// ListDeliveries returns an experiment's outbox deliveries, newest first
// (by CreatedAt, then ID), each with its History oldest first, read in one
// snapshot with one query for all the attempts; ErrNotFound if the
// experiment does not exist.
func (s *Store) ListDeliveries(ctx context.Context, experimentID string) ([]analysis.OutboxDelivery, error) {
	var out []analysis.OutboxDelivery
	err := s.inSnapshot(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = list(ctx, tx, scanDelivery, `SELECT `+deliveryColumns+` FROM outbox_deliveries
			WHERE experiment_id = $1 ORDER BY created_at DESC, id DESC`, experimentID)
		if err != nil {
			return err
		}
		if len(out) == 0 {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM experiments WHERE id = $1`, experimentID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("experiment %s: %w", experimentID, analysis.ErrNotFound)
			}
			return err
		}
		attempts, err := list(ctx, tx, scanKeyedAttempt, `SELECT `+attemptColumns+` FROM outbox_attempts
			WHERE delivery_id IN (SELECT id FROM outbox_deliveries WHERE experiment_id = $1)
			ORDER BY delivery_id, n`, experimentID)
		if err != nil {
			return err
		}
		byID := map[string][]analysis.DeliveryAttempt{}
		for _, k := range attempts {
			byID[k.deliveryID] = append(byID[k.deliveryID], k.DeliveryAttempt)
		}
		for i := range out {
			out[i].History = byID[out[i].ID]
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("state: list deliveries of %s: %w", experimentID, err)
	}
	return out, nil
}

// GetDelivery returns one outbox delivery with its History, oldest first,
// read in one snapshot; ErrNotFound if there is none.
func (s *Store) GetDelivery(ctx context.Context, id string) (analysis.OutboxDelivery, error) {
	var d analysis.OutboxDelivery
	err := s.inSnapshot(ctx, func(tx *sql.Tx) error {
		var err error
		d, err = getDelivery(ctx, tx, id)
		return err
	})
	return d, err
}

// getDelivery reads one delivery and its attempts in tx.
func getDelivery(ctx context.Context, tx *sql.Tx, id string) (analysis.OutboxDelivery, error) {
	d, err := scanDelivery(tx.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM outbox_deliveries WHERE id = $1`, id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return d, fmt.Errorf("state: delivery %s: %w", id, analysis.ErrNotFound)
	case err != nil:
		return d, fmt.Errorf("state: get delivery %s: %w", id, err)
	}
	attempts, err := list(ctx, tx, scanKeyedAttempt, `SELECT `+attemptColumns+` FROM outbox_attempts
		WHERE delivery_id = $1 ORDER BY n`, id)
	if err != nil {
		return d, fmt.Errorf("state: get delivery %s: %w", id, err)
	}
	for _, k := range attempts {
		d.History = append(d.History, k.DeliveryAttempt)
	}
	return d, nil
}

// inSnapshot runs fn in a read-only transaction on the read pool that sees
// one snapshot of the database (SQLite: a WAL read transaction;
// PostgreSQL: repeatable read).
func (s *Store) inSnapshot(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return fmt.Errorf("state: begin read: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	return fn(tx)
}

func scanDelivery(sc scanner) (analysis.OutboxDelivery, error) {
	var (
		d                         analysis.OutboxDelivery
		message                   []byte
		next, created, updated, x dbTime
	)
	if err := sc.Scan(&d.ID, &d.Receiver, &d.ExperimentID, &d.RunID, &d.Event, &message, &d.Status, &d.Attempts,
		&next, &d.LastError, &created, &updated, &x); err != nil {
		return d, err
	}
	d.NextAttempt, d.CreatedAt, d.UpdatedAt, d.DeliveredAt = next.Time, created.Time, updated.Time, x.ptr()
	d.Message = json.RawMessage(message)
	return d, nil
}

// attemptColumns are the columns scanKeyedAttempt reads, in its order.
const attemptColumns = "delivery_id, n, at, replica, ok, error, permanent, duration_ms"

// keyedAttempt is an attempt with its delivery's ID.
type keyedAttempt struct {
	deliveryID string
	analysis.DeliveryAttempt
}

func scanKeyedAttempt(sc scanner) (keyedAttempt, error) {
	var (
		k  keyedAttempt
		at dbTime
	)
	err := sc.Scan(&k.deliveryID, &k.N, &at, &k.Replica, &k.OK, &k.Error, &k.Permanent, &k.DurationMS)
	k.At = at.Time
	return k, err
}
