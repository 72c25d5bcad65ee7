package analysis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sort"
	"sync"
	"time"
)

// Status is where an experiment is in its life.
type Status string

// Experiment statuses.
const (
	StatusWaiting   Status = "waiting" // its window has not ended yet
	StatusRunning   Status = "running"
	StatusCompleted Status = "completed"
	StatusAborted   Status = "aborted"
)


// Experiment is a submitted spec and what became of it.
type Experiment struct {
	ID         string     `json:"id"`
	Spec       Spec       `json:"spec"`
	Status     Status     `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	Window     TimeRange  `json:"window"`
	Verdict    *Verdict   `json:"verdict,omitempty"`
	Deliveries []Delivery `json:"deliveries,omitempty"`
}


// NamedSink is a Sink with a name for delivery records.
type NamedSink struct {
	Name string
	Sink Sink
}

// Manager keeps experiments and runs each one when its window has ended.
// State is in memory.
type Manager struct {
	src    Source
	sinks  []NamedSink
	logger *slog.Logger
	now    func() time.Time

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu   sync.RWMutex
	exps map[string]*Experiment
	done map[string]chan struct{}
}

// NewManager returns a Manager reading from src and publishing to sinks.
func NewManager(logger *slog.Logger, src Source, sinks ...NamedSink) *Manager {
	ctx, cancel := context.WithCancel(context.Background())
	return &Manager{
		src: src, sinks: sinks, logger: logger, now: time.Now,
		ctx: ctx, cancel: cancel,
		exps: map[string]*Experiment{}, done: map[string]chan struct{}{},
	}
}

// Create registers a validated spec and schedules its run. The window is
// resolved now: a duration window ends at the moment of creation.
func (m *Manager) Create(spec Spec) (Experiment, error) {
	spec.SetDefaults()
	if err := spec.Validate(); err != nil {
		return Experiment{}, err
	}
	now := m.now().UTC()
	start, end := spec.Window.Resolve(now)
	e := &Experiment{ID: newID(), Spec: spec, Status: StatusWaiting, CreatedAt: now, Window: TimeRange{Start: start, End: end}}
	done := make(chan struct{})
	m.mu.Lock()
	m.exps[e.ID] = e
	m.done[e.ID] = done
	snapshot := *e
	m.mu.Unlock()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer close(done)
		m.run(e.ID, spec, start, end)
	}()
	return snapshot, nil
}

func (m *Manager) run(id string, spec Spec, start, end time.Time) {
	if wait := end.Sub(m.now()); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-m.ctx.Done():
			t.Stop()
			m.setStatus(id, StatusAborted)
			return
		}
	}
	m.setStatus(id, StatusRunning)
	v := Evaluate(m.ctx, spec, start, end, m.src)
	v.ExperimentID = id
	m.mu.Lock()
	e := m.exps[id]
	e.Verdict = &v
	e.Status = StatusCompleted
	m.mu.Unlock()
	m.logger.Info("experiment completed", "id", id, "name", spec.Name, "verdict", v.Verdict, "score", v.Score, "reason", v.Reason)

	n := Notification{ExperimentID: id, Webhooks: spec.Webhooks, Verdict: v}
	for _, s := range m.sinks {
		err := s.Sink.Publish(m.ctx, n)
		d := Delivery{Sink: s.Name, OK: err == nil, At: m.now().UTC()}
		if err != nil {
			d.Error = err.Error()
			m.logger.Warn("verdict delivery failed", "id", id, "sink", s.Name, "err", err)
		}
		m.mu.Lock()
		e.Deliveries = append(e.Deliveries, d)
		m.mu.Unlock()
	}
}

func (m *Manager) setStatus(id string, s Status) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.exps[id].Status = s
}

// Get returns a snapshot of one experiment.
func (m *Manager) Get(id string) (Experiment, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	e, ok := m.exps[id]
	if !ok {
		return Experiment{}, ErrNotFound
	}
	return snapshot(e), nil
}

// List returns snapshots of all experiments, newest first.
func (m *Manager) List() []Experiment {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]Experiment, 0, len(m.exps))
	for _, e := range m.exps {
		out = append(out, snapshot(e))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out
}

// Wait blocks until the experiment's run (and its deliveries) finished, or
// ctx ends.
func (m *Manager) Wait(ctx context.Context, id string) (Experiment, error) {
	m.mu.RLock()
	done, ok := m.done[id]
	m.mu.RUnlock()
	if !ok {
		return Experiment{}, ErrNotFound
	}
	select {
	case <-done:
	case <-ctx.Done():
		return Experiment{}, ctx.Err()
	}
	return m.Get(id)
}

// Close aborts waiting runs and waits for running ones to finish.
func (m *Manager) Close() {
	m.cancel()
	m.wg.Wait()
}

func snapshot(e *Experiment) Experiment {
	s := *e
	s.Deliveries = append([]Delivery(nil), e.Deliveries...)
	if e.Verdict != nil {
		v := *e.Verdict
		s.Verdict = &v
	}
	return s
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
