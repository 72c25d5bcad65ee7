package analysis

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// StatusCreated is an experiment that has never been started.
const StatusCreated = "created"

// Experiment is what the API shows of an experiment: its spec, and its
// latest run's status, window, progress and final verdict.
type Experiment struct {
	ExperimentRecord
	// Status is created, or the latest run's status.
	Status string `json:"status"`
	// Run is the latest run's ID.
	Run string `json:"run,omitempty"`
	// Window spans the latest run's planned analysis: from its start to its
	// last interval's end.
	Window *TimeRange `json:"window,omitempty"`
	// Judged and Intervals count the latest run's judged and planned
	// intervals.
	Judged    int        `json:"judged"`
	Intervals int        `json:"intervals"`
	NextDue   *time.Time `json:"next_due,omitempty"`
	Verdict   *Verdict   `json:"verdict,omitempty"`
}

func (m *Manager) view(ctx context.Context, e ExperimentRecord) (Experiment, error) {
	runs, err := m.store.ListRuns(ctx, e.ID)
	if err != nil || len(runs) == 0 {
		return Experiment{ExperimentRecord: e, Status: StatusCreated}, err
	}
	return viewOf(e, &runs[0]), nil
}

// viewOf is e as its latest run r (nil: none) leaves it.
func viewOf(e ExperimentRecord, r *Run) Experiment {
	x := Experiment{ExperimentRecord: e, Status: StatusCreated}
	if r == nil {
		return x
	}
	sch := r.Spec.Schedule(r.StartedAt)
	first, _, _ := sch.Window(0)
	last, _, _ := sch.Window(sch.Count - 1)
	x.Status, x.Run, x.Judged, x.Intervals = string(r.Status), r.ID, r.NextIndex, sch.Count
	x.Window = &TimeRange{Start: first.Start, End: last.End}
	if r.Status == RunRunning {
		due := r.NextDue
		x.NextDue = &due
	}
	x.Verdict = r.Verdict
	return x
}

// Create validates and stores an experiment, and starts its first run
// unless start is false.
func (m *Manager) Create(ctx context.Context, spec Spec, start bool) (Experiment, error) {
	if err := m.validate(&spec); err != nil {
		return Experiment{}, err
	}
	now := m.now().UTC()
	e := ExperimentRecord{ID: newID(), Spec: spec, CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := m.store.CreateExperiment(ctx, e); err != nil {
		return Experiment{}, err
	}
	if start {
		if _, err := m.StartRun(ctx, e.ID); err != nil {
			// Nothing of it was judged: leave no half-created experiment.
			_ = m.store.DeleteExperiment(context.WithoutCancel(ctx), e.ID)
			return Experiment{}, err
		}
	}
	return m.Get(ctx, e.ID)
}

// SourceChecker is implemented by Sources that can tell, before a run,
// whether a spec's sources resolve (names the server knows, spec-defined
// sources allowed).
type SourceChecker interface {
	Check(spec Spec) error
}

// validate fills defaults and validates spec, and its sources when the
// Sources can check them.
func (m *Manager) validate(spec *Spec) error {
	spec.SetDefaults()
	if err := spec.Validate(); err != nil {
		return &ValidationError{Err: err}
	}
	if c, ok := m.sources.(SourceChecker); ok {
		if err := c.Check(*spec); err != nil {
			return &ValidationError{Err: err}
		}
	}
	return nil
}

// ValidationError is a spec the manager refused; Err joins one error per
// invalid field ("metrics[2].source: ...").
type ValidationError struct{ Err error }

func (e *ValidationError) Error() string { return e.Err.Error() }

// Unwrap returns the field errors.
func (e *ValidationError) Unwrap() error { return e.Err }

// Get returns one experiment.
func (m *Manager) Get(ctx context.Context, id string) (Experiment, error) {
	e, err := m.store.GetExperiment(ctx, id)
	if err != nil {
		return Experiment{}, err
	}
	return m.view(ctx, e)
}

// List returns every experiment, newest first.
func (m *Manager) List(ctx context.Context) ([]Experiment, error) {
	es, err := m.store.ListExperiments(ctx)
	if err != nil {
		return nil, err
	}
	return m.views(ctx, es)
}

// latestRuns is a store that lists every experiment's latest run in one
// query (analysis/state does).
type latestRuns interface {
	LatestRuns(ctx context.Context, endedSince time.Time) ([]Run, error)
}

// batchViews is the number of experiments past which views reads every
// latest run in one query instead of each experiment's runs.
const batchViews = 16

// views is view of every record, in order.
func (m *Manager) views(ctx context.Context, es []ExperimentRecord) ([]Experiment, error) {
	if lr, ok := m.store.(latestRuns); ok && len(es) > batchViews {
		runs, err := lr.LatestRuns(ctx, time.Time{})
		if err != nil {
			return nil, err
		}
		latest := make(map[string]*Run, len(runs))
		for i := range runs {
			latest[runs[i].ExperimentID] = &runs[i]
		}
		out := make([]Experiment, len(es))
		for i, e := range es {
			out[i] = viewOf(e, latest[e.ID])
		}
		return out, nil
	}
	out := make([]Experiment, 0, len(es))
	for _, e := range es {
		x, err := m.view(ctx, e)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

// Update replaces an experiment's spec; version must be the current one.
// A run in flight keeps the spec it started with.
func (m *Manager) Update(ctx context.Context, id string, spec Spec, version int64) (Experiment, error) {
	if err := m.validate(&spec); err != nil {
		return Experiment{}, err
	}
	e, err := m.store.GetExperiment(ctx, id)
	if err != nil {
		return Experiment{}, err
	}
	e.Spec, e.Version, e.UpdatedAt = spec, version, m.now().UTC()
	if _, err := m.store.UpdateExperiment(ctx, e); err != nil {
		return Experiment{}, err
	}
	return m.Get(ctx, id)
}

// Delete removes an experiment with its runs and results.
func (m *Manager) Delete(ctx context.Context, id string) error {
	return m.store.DeleteExperiment(ctx, id)
}

// StartRun starts a new run of the experiment's current spec (ErrConflict
// while another run is active, naming it).
func (m *Manager) StartRun(ctx context.Context, id string) (Run, error) {
	e, err := m.store.GetExperiment(ctx, id)
	if err != nil {
		return Run{}, err
	}
	now := m.now().UTC()
	r := Run{ID: newID(), ExperimentID: id, Spec: e.Spec, Status: RunRunning, StartedAt: now, CreatedAt: now, UpdatedAt: now}
	_, _, r.NextDue = e.Spec.Schedule(now).Window(0)
	if err := m.store.CreateRun(ctx, r); err != nil {
		if errors.Is(err, ErrConflict) {
			// The store's error carries the database's constraint text.
			return Run{}, m.activeRunConflict(ctx, id, err)
		}
		return Run{}, err
	}
	m.Kick()
	return r, nil
}

// activeRunConflict explains a refused start: the experiment's active run.
func (m *Manager) activeRunConflict(ctx context.Context, id string, err error) error {
	m.logger.Debug("run not started: another is active", "experiment", id, "err", err)
	active := "another run"
	if runs, lerr := m.store.ListRuns(ctx, id); lerr == nil && len(runs) > 0 && runs[0].Status.Active() {
		active = "run " + runs[0].ID
	}
	return fmt.Errorf("%w: experiment %s already has an active %s; abort it or wait for it to end", ErrConflict, id, active)
}

// activeRun returns the experiment's latest run if it is active.
func (m *Manager) activeRun(ctx context.Context, id string) (Run, error) {
	if _, err := m.store.GetExperiment(ctx, id); err != nil {
		return Run{}, err
	}
	runs, err := m.store.ListRuns(ctx, id)
	if err != nil {
		return Run{}, err
	}
	if len(runs) == 0 || !runs[0].Status.Active() {
		return Run{}, fmt.Errorf("%w: experiment %s has no active run", ErrConflict, id)
	}
	return runs[0], nil
}

// Pause stops judging the active run until Resume.
func (m *Manager) Pause(ctx context.Context, id string) (Run, error) {
	return m.setStatus(ctx, id, RunPaused)
}

// Resume continues a paused run; intervals that came due meanwhile are
// judged at once.
func (m *Manager) Resume(ctx context.Context, id string) (Run, error) {
	return m.setStatus(ctx, id, RunRunning)
}

// Abort ends the active run with an inconclusive verdict, which goes out
// through the outbox as any final verdict does.
func (m *Manager) Abort(ctx context.Context, id string) (Run, error) {
	return m.setStatus(ctx, id, RunAborted)
}

func (m *Manager) setStatus(ctx context.Context, id string, s RunStatus) (Run, error) {
	r, err := m.activeRun(ctx, id)
	if err != nil {
		return Run{}, err
	}
	if r.Status == s {
		return r, nil
	}
	if s == RunRunning && r.Status != RunPaused {
		return Run{}, fmt.Errorf("%w: run %s is %s, not paused", ErrConflict, r.ID, r.Status)
	}
	var final *Verdict
	if s == RunAborted {
		v := abortedVerdict(r, m.now().UTC())
		final = &v
	}
	_, _, due := r.Spec.Schedule(r.StartedAt).Window(r.NextIndex)
	if err := m.store.SetRunStatus(ctx, r.ID, s, due, final); err != nil {
		return Run{}, err
	}
	if s == RunAborted {
		m.signalEnded()
	} else {
		m.Kick()
	}
	return m.store.GetRun(ctx, r.ID)
}

// Runs returns an experiment's runs, newest first.
func (m *Manager) Runs(ctx context.Context, id string) ([]Run, error) {
	if _, err := m.store.GetExperiment(ctx, id); err != nil {
		return nil, err
	}
	return m.store.ListRuns(ctx, id)
}

// Run returns one run.
func (m *Manager) Run(ctx context.Context, runID string) (Run, error) {
	return m.store.GetRun(ctx, runID)
}

// Intervals returns up to limit of a run's interval results with an index
// above after, in order (after -1 starts at the first).
func (m *Manager) Intervals(ctx context.Context, runID string, after, limit int) ([]IntervalResult, error) {
	return m.store.ListIntervals(ctx, runID, after, limit)
}

// LatestInterval returns a run's latest judged interval; ok is false when
// none was judged yet.
func (m *Manager) LatestInterval(ctx context.Context, runID string) (IntervalResult, bool, error) {
	return m.store.LatestInterval(ctx, runID)
}

// Wait blocks until the experiment's latest run has ended (its final
// verdict is then committed, with its outbox event), or until ctx ends.
// It wakes when a run ends on this replica, and polls for runs ended on
// another.
func (m *Manager) Wait(ctx context.Context, id string) (Experiment, error) {
	for {
		m.mu.Lock()
		ended := m.ended
		m.mu.Unlock()
		x, err := m.Get(ctx, id)
		if err != nil {
			return x, err
		}
		if x.Status != StatusCreated && !RunStatus(x.Status).Active() {
			return x, nil
		}
		t := time.NewTimer(m.cfg.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return x, ctx.Err()
		case <-ended:
			t.Stop()
		case <-t.C:
		}
	}
}

// IsNotFound reports whether err means no such experiment or run.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
