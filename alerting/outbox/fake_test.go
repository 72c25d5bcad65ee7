package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/augurhq/augur/analysis"
)

// memStore is an in-memory Store for the engine's unit tests; the state
// store's own tests prove the SQL implementations against the same
// contract.
type memStore struct {
	mu         sync.Mutex
	events     []analysis.OutboxEvent
	routed     map[string]bool
	deliveries map[string]*memDelivery
	router     struct {
		owner string
		until time.Time
		state json.RawMessage
	}
	runs map[string]analysis.Run
	exps map[string]analysis.ExperimentRecord
	ivs  map[string][]analysis.IntervalResult
}

type memDelivery struct {
	d          analysis.OutboxDelivery
	leaseOwner string
	leaseUntil time.Time
}

func newMemStore() *memStore {
	return &memStore{routed: map[string]bool{}, deliveries: map[string]*memDelivery{},
		runs: map[string]analysis.Run{}, exps: map[string]analysis.ExperimentRecord{}, ivs: map[string][]analysis.IntervalResult{}}
}

func (s *memStore) addEvent(ev analysis.OutboxEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, ev)
}

func (s *memStore) PendingEvents(_ context.Context, limit int) ([]analysis.OutboxEvent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []analysis.OutboxEvent
	for _, e := range s.events {
		if !s.routed[e.ID] && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (s *memStore) AcquireRouter(_ context.Context, owner string, now time.Time, lease time.Duration) (json.RawMessage, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.router.owner != "" && s.router.owner != owner && now.Before(s.router.until) {
		return nil, false, nil
	}
	s.router.owner, s.router.until = owner, now.Add(lease)
	return s.router.state, true, nil
}

func (s *memStore) CommitRouting(_ context.Context, owner string, c analysis.RoutingCommit) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.router.owner != owner {
		return analysis.ErrLeaseLost
	}
	for _, id := range c.Routed {
		s.routed[id] = true
	}
	for _, d := range c.Deliveries {
		if _, ok := s.deliveries[d.ID]; !ok {
			s.deliveries[d.ID] = &memDelivery{d: d}
		}
	}
	if c.State != nil {
		s.router.state = c.State
	}
	return nil
}

func (s *memStore) ReleaseRouter(_ context.Context, owner string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.router.owner == owner {
		s.router.owner = ""
	}
	return nil
}

func (s *memStore) ClaimDeliveries(_ context.Context, owner string, now time.Time, lease time.Duration, limit int, skip []string) ([]analysis.OutboxDelivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var due []*memDelivery
	for _, d := range s.deliveries {
		if slices.Contains(skip, d.d.Receiver) {
			continue
		}
		if d.d.Status == analysis.DeliveryPending && !d.d.NextAttempt.After(now) && (d.leaseOwner == "" || !now.Before(d.leaseUntil)) {
			due = append(due, d)
		}
	}
	sort.Slice(due, func(i, j int) bool {
		if !due[i].d.NextAttempt.Equal(due[j].d.NextAttempt) {
			return due[i].d.NextAttempt.Before(due[j].d.NextAttempt)
		}
		return due[i].d.ID < due[j].d.ID
	})
	var out []analysis.OutboxDelivery
	for _, d := range due {
		if len(out) == limit {
			break
		}
		d.leaseOwner, d.leaseUntil = owner, now.Add(lease)
		out = append(out, d.d)
	}
	return out, nil
}

func (s *memStore) CommitAttempt(_ context.Context, owner string, o analysis.AttemptOutcome) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.deliveries[o.DeliveryID]
	if !ok || d.leaseOwner != owner {
		return analysis.ErrLeaseLost
	}
	d.leaseOwner = ""
	d.d.Attempts = o.Attempt.N
	d.d.Status = o.Status
	d.d.NextAttempt = o.NextAttempt
	d.d.LastError = o.Attempt.Error
	d.d.History = append(d.d.History, o.Attempt)
	if o.Status == analysis.DeliveryDelivered {
		at := o.Attempt.At
		d.d.DeliveredAt = &at
	}
	return nil
}

func (s *memStore) ListDeliveries(_ context.Context, experimentID string) ([]analysis.OutboxDelivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []analysis.OutboxDelivery
	for _, d := range s.deliveries {
		if d.d.ExperimentID == experimentID {
			out = append(out, d.d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (s *memStore) GetDelivery(_ context.Context, id string) (analysis.OutboxDelivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.deliveries[id]
	if !ok {
		return analysis.OutboxDelivery{}, analysis.ErrNotFound
	}
	return d.d, nil
}

func (s *memStore) RetryDelivery(_ context.Context, id string, now time.Time) (analysis.OutboxDelivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.deliveries[id]
	if !ok {
		return analysis.OutboxDelivery{}, analysis.ErrNotFound
	}
	if d.d.Status != analysis.DeliveryDead {
		return analysis.OutboxDelivery{}, analysis.ErrNotDead
	}
	d.d.Status, d.d.NextAttempt = analysis.DeliveryPending, now
	return d.d, nil
}

func (s *memStore) PruneOutbox(context.Context, time.Time) (int, error) { return 0, nil }

func (s *memStore) GetRun(_ context.Context, id string) (analysis.Run, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.runs[id]
	if !ok {
		return r, fmt.Errorf("run %s: %w", id, analysis.ErrNotFound)
	}
	return r, nil
}

func (s *memStore) GetExperiment(_ context.Context, id string) (analysis.ExperimentRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.exps[id]
	if !ok {
		return e, fmt.Errorf("experiment %s: %w", id, analysis.ErrNotFound)
	}
	return e, nil
}

func (s *memStore) ListIntervals(_ context.Context, runID string, after, limit int) ([]analysis.IntervalResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []analysis.IntervalResult
	for _, r := range s.ivs[runID] {
		if r.Index > after && len(out) < limit {
			out = append(out, r)
		}
	}
	return out, nil
}

func (s *memStore) all() []analysis.OutboxDelivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []analysis.OutboxDelivery
	for _, d := range s.deliveries {
		out = append(out, d.d)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Receiver != out[j].Receiver {
			return out[i].Receiver < out[j].Receiver
		}
		return out[i].ID < out[j].ID
	})
	return out
}
