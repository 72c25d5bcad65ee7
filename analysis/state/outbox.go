package state

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/augurhq/augur/analysis"
)

// outboxBatch bounds the rows of one multi-row statement (SQLite allows
// 32766 parameters, PostgreSQL 65535).
const outboxBatch = 500

// outboxEvent is the event of kind for run r of experiment exp at at. Its
// ID is "<run>/<kind>", "<run>/interval_failed/<idx>" for a failed interval.
func outboxEvent(exp, run string, kind analysis.OutboxKind, idx int, at time.Time) analysis.OutboxEvent {
	id := run + "/" + string(kind)
	if kind == analysis.OutboxIntervalFailed {
		id += "/" + strconv.Itoa(idx)
	} else {
		idx = -1
	}
	return analysis.OutboxEvent{ID: id, ExperimentID: exp, RunID: run, Kind: kind, Index: idx, At: at}
}

// addOutboxEvents inserts evs in tx, the transaction of the change they
// report. An event whose ID is stored already is left alone, so a replay
// cannot announce a change twice.
func (s *Store) addOutboxEvents(ctx context.Context, tx *sql.Tx, evs ...analysis.OutboxEvent) error {
	for _, ev := range evs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox_events (id, experiment_id, run_id, kind, idx, at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
			ev.ID, ev.ExperimentID, ev.RunID, string(ev.Kind), ev.Index, s.t(ev.At)); err != nil {
			return s.dbErr("add outbox event "+ev.ID, err)
		}
	}
	return nil
}

// PendingEvents returns up to limit outbox events not routed yet, oldest
// first (by At, then ID), read from the outbox_events_unrouted index.
func (s *Store) PendingEvents(ctx context.Context, limit int) ([]analysis.OutboxEvent, error) {
	if limit <= 0 {
		return nil, nil
	}
	out, err := list(ctx, s.read, scanOutboxEvent, `SELECT id, experiment_id, run_id, kind, idx, at FROM outbox_events
		WHERE `+s.d.unrouted+` ORDER BY at, id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("state: pending outbox events: %w", err)
	}
	return out, nil
}

func scanOutboxEvent(sc scanner) (analysis.OutboxEvent, error) {
	var (
		ev analysis.OutboxEvent
		at dbTime
	)
	err := sc.Scan(&ev.ID, &ev.ExperimentID, &ev.RunID, &ev.Kind, &ev.Index, &at)
	ev.At = at.Time
	return ev, err
}

// PruneOutbox deletes the routed outbox events older than before and
// returns how many it deleted. Events not routed yet are kept, whatever
// their age.
func (s *Store) PruneOutbox(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM outbox_events WHERE NOT (`+s.d.unrouted+`) AND at < $1`, s.t(before))
		if err != nil {
			return s.dbErr("prune outbox", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

// AcquireRouter takes the router lease for owner until now+lease when
// nobody holds it, it expired (lease_until <= now) or owner holds it
// already (a renewal), and returns the state last committed (nil if none).
// ok is false, and the state nil, while another owner holds an unexpired
// lease. now is the caller's clock, as in ClaimDue. The router's row is
// inserted the first time.
func (s *Store) AcquireRouter(ctx context.Context, owner string, now time.Time, lease time.Duration) (json.RawMessage, bool, error) {
	if owner == "" {
		return nil, false, errors.New("state: acquire router: empty owner")
	}
	if lease <= 0 {
		return nil, false, fmt.Errorf("state: acquire router: lease %v is not positive", lease)
	}
	now = storedTime(now)
	var (
		state []byte
		ok    bool
	)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO notify_router (id, owner, lease_until, updated_at) VALUES (1, $1, $2, $3)
			ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
			WHERE notify_router.owner IS NULL OR notify_router.owner = excluded.owner OR notify_router.lease_until <= $4
			RETURNING state`, owner, s.t(now.Add(lease)), s.t(s.clock()), s.t(now)).Scan(&state)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return nil
		case err != nil:
			return s.dbErr("acquire router", err)
		}
		ok = true
		return nil
	})
	if err != nil || !ok || len(state) == 0 {
		return nil, ok, err
	}
	return json.RawMessage(state), true, nil
}

// CommitRouting writes c in one transaction while owner holds an unexpired
// router lease (checked against the Store's clock; ErrLeaseLost otherwise,
// and nothing is written): the events in c.Routed are marked routed, each
// delivery is inserted pending, due at its NextAttempt (else its
// CreatedAt, else now), unless its ID is stored already, and c.State
// becomes the router's state (an empty State keeps the stored one).
// Deliveries of an experiment deleted meanwhile are dropped: its events
// and deliveries went with it. A delivery without ID, receiver or
// experiment, or whose message is not JSON, refuses the whole commit.
func (s *Store) CommitRouting(ctx context.Context, owner string, c analysis.RoutingCommit) error {
	for i, d := range c.Deliveries {
		if d.ID == "" || d.Receiver == "" || d.ExperimentID == "" {
			return fmt.Errorf("state: commit routing: delivery %d (%q): empty ID, receiver or experiment ID", i, d.ID)
		}
		if !json.Valid(d.Message) {
			return fmt.Errorf("state: commit routing: delivery %s: message is not JSON", d.ID)
		}
	}
	if len(c.State) > 0 && !json.Valid(c.State) {
		return errors.New("state: commit routing: router state is not JSON")
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.clock()
		res, err := tx.ExecContext(ctx, `UPDATE notify_router SET state = COALESCE($1, state), updated_at = $2
			WHERE id = 1 AND owner = $3 AND lease_until > $2`, nullJSON(c.State), s.t(now), owner)
		if err := s.routerResult(ctx, tx, "commit routing", owner, res, err); err != nil {
			return err
		}
		for ids := range slices.Chunk(c.Routed, outboxBatch) {
			args := []any{true}
			for _, id := range ids {
				args = append(args, id)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE outbox_events SET routed = $1 WHERE id IN (`+params(2, len(ids))+`)`, args...); err != nil {
				return s.dbErr("commit routing: mark events routed", err)
			}
		}
		live, err := liveExperiments(ctx, tx, c.Deliveries)
		if err != nil {
			return s.dbErr("commit routing: read experiments", err)
		}
		ds := slices.DeleteFunc(slices.Clone(c.Deliveries), func(d analysis.OutboxDelivery) bool { return !live[d.ExperimentID] })
		for batch := range slices.Chunk(ds, outboxBatch) {
			const cols = 9
			var (
				rows []string
				args = make([]any, 0, cols*len(batch))
			)
			for i, d := range batch {
				created := orTime(d.CreatedAt, now)
				rows = append(rows, "("+params(1+i*cols, cols)+", 'pending')")
				args = append(args, d.ID, d.Receiver, d.ExperimentID, d.RunID, d.Event, string(d.Message),
					s.t(orTime(d.NextAttempt, created)), s.t(created), s.t(now))
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO outbox_deliveries
				(id, receiver, experiment_id, run_id, event, message, next_attempt, created_at, updated_at, status)
				VALUES `+strings.Join(rows, ", ")+` ON CONFLICT (id) DO NOTHING`, args...); err != nil {
				return s.dbErr("commit routing: insert deliveries", err)
			}
		}
		return nil
	})
}

// liveExperiments returns which of ds' experiments exist, read in tx.
func liveExperiments(ctx context.Context, tx *sql.Tx, ds []analysis.OutboxDelivery) (map[string]bool, error) {
	var ids []any
	seen := map[string]bool{}
	for _, d := range ds {
		if !seen[d.ExperimentID] {
			seen[d.ExperimentID] = true
			ids = append(ids, d.ExperimentID)
		}
	}
	live := map[string]bool{}
	for batch := range slices.Chunk(ids, outboxBatch) {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM experiments WHERE id IN (`+params(1, len(batch))+`)`, batch...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			live[id] = true
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, err
		}
	}
	return live, nil
}

// ReleaseRouter gives owner's router lease up (expired or not), so that
// another replica may route at once. ErrLeaseLost if another owner holds
// it or nobody does.
func (s *Store) ReleaseRouter(ctx context.Context, owner string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE notify_router SET owner = NULL, lease_until = NULL
			WHERE id = 1 AND owner = $1`, owner)
		return s.routerResult(ctx, tx, "release router", owner, res, err)
	})
}

// routerResult turns the outcome of a lease-guarded UPDATE of the router's
// row into nil when it changed the row, else into ErrLeaseLost naming the
// holder.
func (s *Store) routerResult(ctx context.Context, tx *sql.Tx, what, owner string, res sql.Result, err error) error {
	if err != nil {
		return s.dbErr(what, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("state: %s: %w", what, err)
	} else if n == 1 {
		return nil
	}
	var (
		holder sql.NullString
		until  dbTime
	)
	err = tx.QueryRowContext(ctx, `SELECT owner, lease_until FROM notify_router WHERE id = 1`).Scan(&holder, &until)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("state: %s: %w", what, err)
	}
	held := "nobody"
	if holder.Valid {
		held = fmt.Sprintf("%s until %s", holder.String, until.Format(time.RFC3339Nano))
	}
	return fmt.Errorf("state: %s: the router is leased by %s, not %s: %w", what, held, owner, analysis.ErrLeaseLost)
}

// params returns n placeholders from $first: "$3, $4, $5".
func params(first, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(first+i))
	}
	return b.String()
}

// orTime is t, or def when t is zero.
func orTime(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}

// returned turns the error of an UPDATE … RETURNING read with
// QueryRow.Scan into the result leaseResult takes: one row changed, none
// (sql.ErrNoRows), or the error.
func returned(err error) (sql.Result, error) {
	switch {
	case err == nil:
		return driver.RowsAffected(1), nil
	case errors.Is(err, sql.ErrNoRows):
		return driver.RowsAffected(0), nil
	}
	return nil, err
}
