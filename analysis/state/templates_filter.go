package state

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/augurhq/augur/analysis"
)

// nullString is NULL for "".
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// insertLabels stores e's spec labels as rows for filtering.
func (s *Store) insertLabels(ctx context.Context, tx *sql.Tx, e analysis.ExperimentRecord) error {
	for _, k := range slices.Sorted(maps.Keys(e.Spec.Labels)) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO experiment_labels (experiment_id, name, value) VALUES ($1, $2, $3)`,
			e.ID, k, e.Spec.Labels[k]); err != nil {
			return s.dbErr("label experiment "+e.ID, err)
		}
	}
	return nil
}

// replaceLabels replaces e's label rows with its spec's labels.
func (s *Store) replaceLabels(ctx context.Context, tx *sql.Tx, e analysis.ExperimentRecord) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM experiment_labels WHERE experiment_id = $1`, e.ID); err != nil {
		return fmt.Errorf("state: relabel experiment %s: %w", e.ID, err)
	}
	return s.insertLabels(ctx, tx, e)
}

// latestStatus is an experiment's status: its latest run's, or created.
const latestStatus = `COALESCE((SELECT status FROM runs WHERE runs.experiment_id = experiments.id
	ORDER BY created_at DESC, id DESC LIMIT 1), 'created')`

// FindExperiments returns the experiments f selects, newest first; every
// condition is evaluated by the database.
func (s *Store) FindExperiments(ctx context.Context, f analysis.ExperimentFilter) ([]analysis.ExperimentRecord, error) {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Name != "" {
		where = append(where, "name = "+arg(f.Name))
	}
	if f.Template != "" {
		where = append(where, "template_name = "+arg(f.Template))
	}
	if f.Key != "" {
		where = append(where, "instance_key = "+arg(f.Key))
	}
	for _, k := range slices.Sorted(maps.Keys(f.Labels)) {
		where = append(where, "EXISTS (SELECT 1 FROM experiment_labels l WHERE l.experiment_id = experiments.id AND l.name = "+
			arg(k)+" AND l.value = "+arg(f.Labels[k])+")")
	}
	if f.Status != "" {
		where = append(where, latestStatus+" = "+arg(f.Status))
	}
	q := `SELECT ` + experimentColumns + ` FROM experiments`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.read.QueryContext(ctx, q+` ORDER BY created_at DESC, id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("state: find experiments: %w", err)
	}
	defer rows.Close()
	var out []analysis.ExperimentRecord
	for rows.Next() {
		e, err := scanExperiment(rows)
		if err != nil {
			return nil, fmt.Errorf("state: find experiments: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("state: find experiments: %w", err)
	}
	return out, nil
}
