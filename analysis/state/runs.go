package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/augurhq/augur/analysis"
)

// CreateRun stores a new run as given, with its run_started outbox event.
// ErrConflict if the ID exists or the experiment already has an active run
// (the runs_one_active index), ErrNotFound if the experiment does not
// exist; nothing is written then. A zero CreatedAt is now and
// a zero UpdatedAt is CreatedAt. A running run is queued at its NextDue.
func (s *Store) CreateRun(ctx context.Context, r analysis.Run) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return s.insertRun(ctx, tx, r) })
}

// insertRun is CreateRun in tx.
func (s *Store) insertRun(ctx context.Context, tx *sql.Tx, r analysis.Run) error {
	if r.ID == "" || r.ExperimentID == "" {
		return errors.New("state: create run: empty ID or experiment ID")
	}
	if r.StartedAt.IsZero() || r.NextDue.IsZero() {
		return fmt.Errorf("state: create run %s: StartedAt and NextDue must be set", r.ID)
	}
	switch r.Status {
	case analysis.RunRunning, analysis.RunPaused, analysis.RunCompleted, analysis.RunAborted:
	default:
		return fmt.Errorf("state: create run %s: unknown status %q", r.ID, r.Status)
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = s.clock()
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.CreatedAt
	}
	spec, err := jsonArg("spec", r.Spec)
	if err != nil {
		return err
	}
	verdict, err := verdictArg(r.Verdict)
	if err != nil {
		return err
	}
	var leaseOwner any
	if r.LeaseOwner != "" {
		leaseOwner = r.LeaseOwner
	}
	var ended time.Time
	if r.EndedAt != nil {
		ended = *r.EndedAt
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO runs (`+runColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		r.ID, r.ExperimentID, spec, string(r.Status), s.t(r.StartedAt), r.NextIndex, s.t(r.NextDue),
		nullJSON(r.State), verdict, leaseOwner, s.t(r.LeaseUntil),
		s.t(r.CreatedAt), s.t(r.UpdatedAt), s.t(ended), s.t(schedAt(r)))
	if err != nil {
		return s.dbErr(fmt.Sprintf("create run %s of experiment %s", r.ID, r.ExperimentID), err)
	}
	return s.addOutboxEvents(ctx, tx, outboxEvent(r.ExperimentID, r.ID, analysis.OutboxRunStarted, -1, s.clock()))
}

// GetRun returns one run or ErrNotFound.
func (s *Store) GetRun(ctx context.Context, id string) (analysis.Run, error) {
	r, err := scanRun(s.read.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("state: run %s: %w", id, analysis.ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("state: get run %s: %w", id, err)
	}
	return r, nil
}

// ListRuns returns an experiment's runs, newest first; ErrNotFound if the
// experiment does not exist.
func (s *Store) ListRuns(ctx context.Context, experimentID string) ([]analysis.Run, error) {
	out, err := list(ctx, s.read, scanRun, `SELECT `+runColumns+` FROM runs
		WHERE experiment_id = $1 ORDER BY created_at DESC, id DESC`, experimentID)
	if err != nil {
		return nil, fmt.Errorf("state: list runs of %s: %w", experimentID, err)
	}
	if len(out) == 0 {
		if _, err := s.GetExperiment(ctx, experimentID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ListIntervals returns up to limit of a run's interval results with an
// index above after, in index order (after -1 starts at the first), read
// from the primary key; ErrNotFound if the run does not exist.
func (s *Store) ListIntervals(ctx context.Context, runID string, after, limit int) ([]analysis.IntervalResult, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("state: list intervals of %s: limit %d is not positive", runID, limit)
	}
	out, err := list(ctx, s.read, scanInterval, `SELECT `+intervalColumns+` FROM interval_results
		WHERE run_id = $1 AND idx > $2 ORDER BY idx LIMIT $3`, runID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("state: list intervals of %s: %w", runID, err)
	}
	if len(out) == 0 {
		if _, err := s.GetRun(ctx, runID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// LatestInterval returns the run's interval result of the highest index,
// one row read backwards from the primary key; ok is false when none was
// judged yet, ErrNotFound if the run does not exist.
func (s *Store) LatestInterval(ctx context.Context, runID string) (analysis.IntervalResult, bool, error) {
	res, err := scanInterval(s.read.QueryRowContext(ctx, `SELECT `+intervalColumns+` FROM interval_results
		WHERE run_id = $1 ORDER BY idx DESC LIMIT 1`, runID))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := s.GetRun(ctx, runID); err != nil {
			return res, false, err
		}
		return res, false, nil
	case err != nil:
		return res, false, fmt.Errorf("state: latest interval of %s: %w", runID, err)
	}
	return res, true, nil
}

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// list runs a query and scans every row.
func list[T any](ctx context.Context, db querier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// SetRunStatus pauses, resumes or aborts an active run, whoever holds its
// lease: a holder's later CommitInterval then fails with ErrConflict.
// Resuming sets NextDue to nextDue unless it is zero and queues the run
// there; aborting sets the final verdict and EndedAt (now), after which
// the run is never claimed again, and writes the run_aborted and verdict
// outbox events in the same transaction. ErrConflict if the run
// is no longer active, ErrNotFound if it does not exist; nothing is
// written then.
func (s *Store) SetRunStatus(ctx context.Context, runID string, status analysis.RunStatus, nextDue time.Time, final *analysis.Verdict) error {
	now := s.clock()
	var due, ended, sched time.Time
	switch status {
	case analysis.RunPaused:
	case analysis.RunRunning:
		due, sched = nextDue, nextDue
	case analysis.RunAborted:
		ended, sched = now, now
	default:
		return fmt.Errorf("state: set run %s status: cannot set %q (want paused, running or aborted)", runID, status)
	}
	var verdict any
	if status == analysis.RunAborted {
		var err error
		if verdict, err = verdictArg(final); err != nil {
			return err
		}
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var expID string
		err := tx.QueryRowContext(ctx, `UPDATE runs
			SET status = $1, next_due = COALESCE($2, next_due), verdict = COALESCE($3, verdict),
				ended_at = $4, updated_at = $5,
				sched_at = CASE WHEN $1 = 'running' THEN COALESCE($2, next_due) ELSE COALESCE($7, sched_at) END
			WHERE id = $6 AND status IN ('running', 'paused')
			RETURNING experiment_id`,
			string(status), s.t(due), verdict, s.t(ended), s.t(now), runID, s.t(sched)).Scan(&expID)
		switch {
		case err == nil && status == analysis.RunAborted:
			return s.addOutboxEvents(ctx, tx,
				outboxEvent(expID, runID, analysis.OutboxRunAborted, -1, now),
				outboxEvent(expID, runID, analysis.OutboxVerdict, -1, now))
		case err == nil:
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("state: set run %s status: %w", runID, err)
		}
		var stored string
		switch err := tx.QueryRowContext(ctx, `SELECT status FROM runs WHERE id = $1`, runID).Scan(&stored); {
		case errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("state: run %s: %w", runID, analysis.ErrNotFound)
		case err != nil:
			return fmt.Errorf("state: set run %s status: %w", runID, err)
		}
		return fmt.Errorf("state: set run %s status %s: run is %s: %w", runID, status, stored, analysis.ErrConflict)
	})
}
