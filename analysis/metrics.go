package analysis

import (
	"context"
	"slices"
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
// reads it again only after the run judged another; with a store that
// lists latest runs (LatestRunLister) it also keeps the experiments'
// records (their template and key never change), so a scrape costs one
// query for the runs in retention and reads only experiments new to it.
type Snapshotter struct {
	m           *Manager
	mu          sync.Mutex
	latest      map[string]IntervalResult   // by run ID
	experiments map[string]ExperimentRecord // by ID (LatestRunLister stores)
}

// Snapshotter returns a Snapshotter over m's store.
func (m *Manager) Snapshotter() *Snapshotter {
	return &Snapshotter{m: m, latest: map[string]IntervalResult{}, experiments: map[string]ExperimentRecord{}}
}

// LatestRunLister is implemented by stores that list every experiment's
// latest run, if active or ended at or after endedSince, in one query
// (analysis/state); of others, every experiment and its runs are read.
type LatestRunLister interface {
	LatestRuns(ctx context.Context, endedSince time.Time) ([]Run, error)
}

// Snapshot returns the experiments whose latest run is active, or ended at
// or after endedSince; experiments never started, or whose latest run
// ended before endedSince, are left out, which bounds what metrics show.
// Experiment is the record as first read (its template and key never
// change; a run's own spec names it).
func (s *Snapshotter) Snapshot(ctx context.Context, endedSince time.Time) ([]ExperimentSnapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pairs, err := s.latestRuns(ctx, endedSince)
	if err != nil {
		return nil, err
	}
	now := s.m.now().UTC()
	seen := make(map[string]bool, len(pairs))
	out := make([]ExperimentSnapshot, 0, len(pairs))
	for _, p := range pairs {
		r := p.Run
		snap := ExperimentSnapshot{Experiment: p.Experiment, Run: r}
		if r.NextIndex > 0 {
			seen[r.ID] = true
			res, ok := s.latest[r.ID]
			if !ok || res.Index != r.NextIndex-1 {
				if res, ok, err = s.m.store.LatestInterval(ctx, r.ID); err != nil && !IsNotFound(err) {
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

// latestRuns returns the experiments in retention with their latest runs,
// newest experiments first.
func (s *Snapshotter) latestRuns(ctx context.Context, endedSince time.Time) ([]ExperimentSnapshot, error) {
	inRetention := func(r Run) bool {
		return r.Status.Active() || (r.EndedAt != nil && !r.EndedAt.Before(endedSince))
	}
	l, ok := s.m.store.(LatestRunLister)
	if !ok {
		es, err := s.m.store.ListExperiments(ctx)
		if err != nil {
			return nil, err
		}
		var out []ExperimentSnapshot
		for _, e := range es {
			runs, err := s.m.store.ListRuns(ctx, e.ID)
			if err != nil {
				if IsNotFound(err) {
					continue // deleted meanwhile
				}
				return nil, err
			}
			if len(runs) > 0 && inRetention(runs[0]) {
				out = append(out, ExperimentSnapshot{Experiment: e, Run: runs[0]})
			}
		}
		return out, nil
	}
	runs, err := l.LatestRuns(ctx, endedSince)
	if err != nil {
		return nil, err
	}
	out := make([]ExperimentSnapshot, 0, len(runs))
	seen := make(map[string]bool, len(runs))
	for _, r := range runs {
		e, ok := s.experiments[r.ExperimentID]
		if !ok {
			if e, err = s.m.store.GetExperiment(ctx, r.ExperimentID); err != nil {
				if IsNotFound(err) {
					continue // deleted meanwhile
				}
				return nil, err
			}
			s.experiments[e.ID] = e
		}
		seen[e.ID] = true
		out = append(out, ExperimentSnapshot{Experiment: e, Run: r})
	}
	for id := range s.experiments {
		if !seen[id] {
			delete(s.experiments, id)
		}
	}
	slices.SortFunc(out, func(a, b ExperimentSnapshot) int {
		return b.Experiment.CreatedAt.Compare(a.Experiment.CreatedAt)
	})
	return out, nil
}
