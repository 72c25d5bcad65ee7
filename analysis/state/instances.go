package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/augurhq/augur/analysis"
)

const instanceColumns = "instance_key, template_name, args, experiment_id, run_id, created_at"

func scanInstance(sc scanner) (analysis.InstanceRecord, error) {
	var (
		in      analysis.InstanceRecord
		args    []byte
		created dbTime
	)
	if err := sc.Scan(&in.Key, &in.Template, &args, &in.ExperimentID, &in.RunID, &created); err != nil {
		return in, err
	}
	in.CreatedAt = created.Time
	if err := json.Unmarshal(args, &in.Args); err != nil {
		return in, fmt.Errorf("instance %s: decode args: %w", in.Key, err)
	}
	return in, nil
}

// CreateInstance stores in, its experiment e and e's first run r in one
// transaction, or nothing if in.Key is stored already: then it returns the
// stored instance and created false. The experiment goes in first (the
// instance row references it); the instance's insert does nothing on a
// stored key, which rolls the experiment back. PostgreSQL makes a
// concurrent insert of the same key wait for the first transaction and then
// do nothing; SQLite runs writers one at a time.
func (s *Store) CreateInstance(ctx context.Context, in analysis.InstanceRecord, e analysis.ExperimentRecord, r analysis.Run) (analysis.InstanceRecord, bool, error) {
	if in.Key == "" || in.ExperimentID != e.ID || r.ExperimentID != e.ID || in.RunID != r.ID {
		return in, false, errors.New("state: create instance: empty key, or instance, experiment and run do not belong together")
	}
	args, err := jsonArg("args", in.Args)
	if err != nil {
		return in, false, err
	}
	spec, err := jsonArg("spec", e.Spec)
	if err != nil {
		return in, false, err
	}
	if in.CreatedAt.IsZero() {
		in.CreatedAt = s.clock()
	}
	errExists := errors.New("instance exists")
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.insertExperiment(ctx, tx, e, spec); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO instances (`+instanceColumns+`) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (instance_key) DO NOTHING`,
			in.Key, in.Template, args, in.ExperimentID, in.RunID, s.t(in.CreatedAt))
		if err != nil {
			return s.dbErr("create instance "+in.Key, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("state: create instance %s: %w", in.Key, err)
		} else if n == 0 {
			return errExists
		}
		return s.insertRun(ctx, tx, r)
	})
	switch {
	case errors.Is(err, errExists):
		stored, err := s.GetInstance(ctx, in.Key)
		return stored, false, err
	case err != nil:
		return in, false, err
	}
	in.CreatedAt = storedTime(in.CreatedAt)
	return in, true, nil
}

// GetInstance returns the instance stored under key or ErrNotFound.
func (s *Store) GetInstance(ctx context.Context, key string) (analysis.InstanceRecord, error) {
	in, err := scanInstance(s.read.QueryRowContext(ctx, `SELECT `+instanceColumns+` FROM instances WHERE instance_key = $1`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return in, fmt.Errorf("state: instance %q: %w", key, analysis.ErrNotFound)
	}
	if err != nil {
		return in, fmt.Errorf("state: get instance %q: %w", key, err)
	}
	return in, nil
}
