package state

import (
	"context"
	"fmt"

	"github.com/augurhq/augur/analysis"
)

// LatestRuns returns every experiment's latest run (the one ListRuns
// lists first), in one query over the runs_experiment index: what a
// metrics scrape reads instead of one ListRuns per experiment.
func (s *Store) LatestRuns(ctx context.Context) ([]analysis.Run, error) {
	out, err := list(ctx, s.read, scanRun, `SELECT `+runColumns+` FROM runs r
		WHERE NOT EXISTS (SELECT 1 FROM runs n WHERE n.experiment_id = r.experiment_id
			AND (n.created_at > r.created_at OR (n.created_at = r.created_at AND n.id > r.id)))`)
	if err != nil {
		return nil, fmt.Errorf("state: list latest runs: %w", err)
	}
	return out, nil
}
