package state

import (
	"context"
	"fmt"
	"time"

	"github.com/augurhq/augur/analysis"
)

// LatestRuns returns every experiment's latest run (the one ListRuns
// lists first) that is active or ended at or after endedSince, in one
// query over the runs_experiment index: what a metrics scrape reads
// instead of every experiment and its runs.
func (s *Store) LatestRuns(ctx context.Context, endedSince time.Time) ([]analysis.Run, error) {
	if endedSince.IsZero() {
		endedSince = time.Unix(0, 0)
	}
	out, err := list(ctx, s.read, scanRun, `SELECT `+runColumns+` FROM runs r
		WHERE (r.status IN ('running', 'paused') OR r.ended_at >= $1)
		AND NOT EXISTS (SELECT 1 FROM runs n WHERE n.experiment_id = r.experiment_id
			AND (n.created_at > r.created_at OR (n.created_at = r.created_at AND n.id > r.id)))`, s.t(endedSince))
	if err != nil {
		return nil, fmt.Errorf("state: list latest runs: %w", err)
	}
	return out, nil
}
