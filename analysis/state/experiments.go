package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/augurhq/augur/analysis"
)

// CreateExperiment stores a new experiment: ErrConflict if the ID exists.
// A zero CreatedAt is now, a zero UpdatedAt is CreatedAt, and a zero
// Version is 1.
func (s *Store) CreateExperiment(ctx context.Context, e analysis.ExperimentRecord) error {
	if e.ID == "" {
		return errors.New("state: create experiment: empty ID")
	}
	spec, err := jsonArg("spec", e.Spec)
	if err != nil {
		return err
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = s.clock()
	}
	if e.UpdatedAt.IsZero() {
		e.UpdatedAt = e.CreatedAt
	}
	if e.Version == 0 {
		e.Version = 1
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		return s.insertExperiment(ctx, tx, e, spec)
	})
}

// insertExperiment inserts e (spec: its encoded spec) with its labels.
func (s *Store) insertExperiment(ctx context.Context, tx *sql.Tx, e analysis.ExperimentRecord, spec string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO experiments (`+experimentColumns+`, name) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		e.ID, spec, s.t(e.CreatedAt), s.t(e.UpdatedAt), e.Version, nullString(e.Template), nullString(e.Key), e.Spec.Name)
	if err != nil {
		return s.dbErr("create experiment "+e.ID, err)
	}
	return s.insertLabels(ctx, tx, e)
}

// GetExperiment returns one experiment or ErrNotFound.
func (s *Store) GetExperiment(ctx context.Context, id string) (analysis.ExperimentRecord, error) {
	row := s.read.QueryRowContext(ctx, `SELECT `+experimentColumns+` FROM experiments WHERE id = $1`, id)
	e, err := scanExperiment(row)
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("state: experiment %s: %w", id, analysis.ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("state: get experiment %s: %w", id, err)
	}
	return e, nil
}

// ListExperiments returns all experiments, newest first.
func (s *Store) ListExperiments(ctx context.Context) ([]analysis.ExperimentRecord, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+experimentColumns+` FROM experiments ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("state: list experiments: %w", err)
	}
	defer rows.Close()
	var out []analysis.ExperimentRecord
	for rows.Next() {
		e, err := scanExperiment(rows)
		if err != nil {
			return nil, fmt.Errorf("state: list experiments: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("state: list experiments: %w", err)
	}
	return out, nil
}

// UpdateExperiment replaces the spec if e.Version is the stored version and
// returns the stored record (Version+1, UpdatedAt now). ErrConflict for a
// stale version, ErrNotFound for an unknown ID.
func (s *Store) UpdateExperiment(ctx context.Context, e analysis.ExperimentRecord) (analysis.ExperimentRecord, error) {
	spec, err := jsonArg("spec", e.Spec)
	if err != nil {
		return e, err
	}
	var out analysis.ExperimentRecord
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		row := tx.QueryRowContext(ctx, `UPDATE experiments SET spec = $1, updated_at = $2, version = version + 1, name = $5
			WHERE id = $3 AND version = $4
			RETURNING `+experimentColumns,
			spec, s.t(s.clock()), e.ID, e.Version, e.Spec.Name)
		rec, err := scanExperiment(row)
		if err == nil {
			err = s.replaceLabels(ctx, tx, e)
		}
		if errors.Is(err, sql.ErrNoRows) {
			var stored int64
			switch err := tx.QueryRowContext(ctx, `SELECT version FROM experiments WHERE id = $1`, e.ID).Scan(&stored); {
			case errors.Is(err, sql.ErrNoRows):
				return fmt.Errorf("state: update experiment %s: %w", e.ID, analysis.ErrNotFound)
			case err != nil:
				return fmt.Errorf("state: update experiment %s: %w", e.ID, err)
			}
			return fmt.Errorf("state: update experiment %s: version %d is stale, stored is %d: %w", e.ID, e.Version, stored, analysis.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("state: update experiment %s: %w", e.ID, err)
		}
		out = rec
		return nil
	})
	return out, err
}

// DeleteExperiment removes the experiment with its runs and their interval
// results (ON DELETE CASCADE); ErrNotFound for an unknown ID.
func (s *Store) DeleteExperiment(ctx context.Context, id string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM experiments WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("state: delete experiment %s: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("state: delete experiment %s: %w", id, err)
		} else if n == 0 {
			return fmt.Errorf("state: experiment %s: %w", id, analysis.ErrNotFound)
		}
		return nil
	})
}
