package state

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/augurhq/augur/analysis"
)

// AddEvent keeps ev with its experiment; ErrNotFound if there is none.
func (s *Store) AddEvent(ctx context.Context, ev analysis.Event) error {
	if ev.At.IsZero() {
		ev.At = s.clock()
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO events (experiment_id, source, type, message, data, at)
			VALUES ($1, $2, $3, $4, $5, $6)`,
			ev.ExperimentID, ev.Source, ev.Type, ev.Message, nullJSON(ev.Data), s.t(ev.At))
		if err != nil {
			return s.dbErr("add event to experiment "+ev.ExperimentID, err)
		}
		return nil
	})
}

// ListEvents returns an experiment's events, oldest first.
func (s *Store) ListEvents(ctx context.Context, experimentID string) ([]analysis.Event, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT experiment_id, source, type, message, data, at
		FROM events WHERE experiment_id = $1 ORDER BY id`, experimentID)
	if err != nil {
		return nil, fmt.Errorf("state: list events: %w", err)
	}
	defer rows.Close()
	var out []analysis.Event
	for rows.Next() {
		var (
			ev   analysis.Event
			data []byte
			at   dbTime
		)
		if err := rows.Scan(&ev.ExperimentID, &ev.Source, &ev.Type, &ev.Message, &data, &at); err != nil {
			return nil, fmt.Errorf("state: list events: %w", err)
		}
		if len(data) > 0 {
			ev.Data = append([]byte(nil), data...)
		}
		ev.At = at.Time
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("state: list events: %w", err)
	}
	return out, nil
}
