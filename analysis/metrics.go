package analysis

import (
	"context"
	"sync"
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

// Snapshotter reads ExperimentSnapshots for metrics scrapes. It keeps each
// run's latest interval result, which never changes once recorded, and
// reads it again only after the run judged another, so a scrape costs a
// query for the experiments and one for their latest runs (see
// LatestRunLister).
type Snapshotter struct {
	m      *Manager
	mu     sync.Mutex
	latest map[string]IntervalResult // by run ID
}

// LatestRunLister is implemented by stores that list every experiment's
// latest run in one query (analysis/state); others are asked experiment
// by experiment.
type LatestRunLister interface {
	LatestRuns(ctx context.Context) ([]Run, error)
}

// latestRuns returns the latest run of each experiment of es that has one.
func (s *Snapshotter) latestRuns(ctx context.Context, es []ExperimentRecord) (map[string]Run, error) {
	out := make(map[string]Run, len(es))
	if l, ok := s.m.store.(LatestRunLister); ok {
		runs, err := l.LatestRuns(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range runs {
			out[r.ExperimentID] = r
		}
		return out, nil
	}
	for _, e := range es {
		runs, err := s.m.store.ListRuns(ctx, e.ID)
		if err != nil {
			if IsNotFound(err) {
				continue // deleted meanwhile
			}
			return nil, err
		}
		if len(runs) > 0 {
			out[e.ID] = runs[0]
		}
	}
	return out, nil
}

// Snapshotter returns a Snapshotter over m's store.
func (m *Manager) Snapshotter() *Snapshotter {
	return &Snapshotter{m: m, latest: map[string]IntervalResult{}}
}

// Snapshot returns the experiments whose latest run is active, or ended at
// or after endedSince; experiments never started, or whose latest run
// ended before endedSince, are left out, which bounds what metrics show.
func (s *Snapshotter) Snapshot(ctx context.Context, endedSince time.Time) ([]ExperimentSnapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.m.store
	es, err := st.ListExperiments(ctx)
	if err != nil {
		return nil, err
	}
	latestRun, err := s.latestRuns(ctx, es)
	if err != nil {
		return nil, err
	}
	now := s.m.now().UTC()
	seen := make(map[string]bool, len(s.latest))
	var out []ExperimentSnapshot
	for _, e := range es {
		r, ok := latestRun[e.ID]
		if !ok {
			continue
		}
		if !r.Status.Active() && (r.EndedAt == nil || r.EndedAt.Before(endedSince)) {
			continue
		}
		snap := ExperimentSnapshot{Experiment: e, Run: r}
		if r.NextIndex > 0 {
			seen[r.ID] = true
			res, ok := s.latest[r.ID]
			if !ok || res.Index != r.NextIndex-1 {
				if res, ok, err = st.LatestInterval(ctx, r.ID); err != nil && !IsNotFound(err) {
					return nil, err
				}
			}
			if ok {
				s.latest[r.ID] = res
				snap.Latest = &res
			}
		}
		if r.Status == RunRunning {
			sch := r.Spec.Schedule(r.StartedAt)
			for i := r.NextIndex; i < sch.Count; i++ {
				if _, _, due := sch.Window(i); due.After(now) {
					break
				}
				snap.Backlog++
			}
		}
		out = append(out, snap)
	}
	for id := range s.latest {
		if !seen[id] {
			delete(s.latest, id)
		}
	}
	return out, nil
}
