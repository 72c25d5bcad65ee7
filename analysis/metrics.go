package analysis

import (
	"context"
	"time"

	"github.com/augurhq/augur/judges"
)

// IntervalObserver is told of every interval this manager judges and
// records: its outcome, and its scheduling lag (how long after it came due
// its judgement began). It must be quick and safe for concurrent use.
type IntervalObserver interface {
	IntervalJudged(outcome judges.Outcome, lag time.Duration)
}

// SetObserver makes o the observer of judged intervals. Call it before
// Start.
func (m *Manager) SetObserver(o IntervalObserver) { m.observer = o }

// ExperimentSnapshot is an experiment as a metrics scrape sees it: the
// record, its latest run, that run's latest judged interval, and how many
// of its intervals are due and not yet judged.
type ExperimentSnapshot struct {
	Experiment ExperimentRecord
	Run        Run
	// Latest is the run's latest judged interval (nil before the first).
	Latest *IntervalResult
	// Backlog counts the run's intervals that are due and not judged yet
	// (0 unless running).
	Backlog int
}

// Snapshot returns the experiments whose latest run is active, or ended at
// or after endedSince; experiments never started, or whose latest run
// ended before endedSince, are left out, which bounds what metrics show.
func (m *Manager) Snapshot(ctx context.Context, endedSince time.Time) ([]ExperimentSnapshot, error) {
	es, err := m.store.ListExperiments(ctx)
	if err != nil {
		return nil, err
	}
	now := m.now().UTC()
	var out []ExperimentSnapshot
	for _, e := range es {
		runs, err := m.store.ListRuns(ctx, e.ID)
		if err != nil {
			if IsNotFound(err) {
				continue // deleted meanwhile
			}
			return nil, err
		}
		if len(runs) == 0 {
			continue
		}
		r := runs[0]
		if !r.Status.Active() && (r.EndedAt == nil || r.EndedAt.Before(endedSince)) {
			continue
		}
		s := ExperimentSnapshot{Experiment: e, Run: r}
		if r.NextIndex > 0 {
			res, ok, err := m.store.LatestInterval(ctx, r.ID)
			if err != nil && !IsNotFound(err) {
				return nil, err
			}
			if ok {
				s.Latest = &res
			}
		}
		if r.Status == RunRunning {
			sch := r.Spec.Schedule(r.StartedAt)
			for i := r.NextIndex; i < sch.Count; i++ {
				if _, _, due := sch.Window(i); due.After(now) {
					break
				}
				s.Backlog++
			}
		}
		out = append(out, s)
	}
	return out, nil
}
