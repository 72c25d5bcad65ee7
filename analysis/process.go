package analysis

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/augurhq/augur/judges"
)

// LagStats summarises scheduling lag: how long after an interval came due
// its judgement began.
type LagStats struct {
	Intervals int           `json:"intervals"`
	Max       time.Duration `json:"max"`
	Total     time.Duration `json:"total"`
}

// Mean is the average lag.
func (l LagStats) Mean() time.Duration {
	if l.Intervals == 0 {
		return 0
	}
	return l.Total / time.Duration(l.Intervals)
}

// Lag returns the scheduling lag of the intervals judged here so far.
func (m *Manager) Lag() LagStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lag
}

// process judges a claimed run's due intervals while renewing its lease;
// a lost lease drops the work. It
// judges at most one batch (BatchIntervals, BatchTime): a run with more
// intervals due then yields, queued behind the runs due before now, and
// process reports true.
func (m *Manager) process(r Run) (yielded bool) {
	ctx, cancel := context.WithCancel(m.ctx)
	defer cancel()
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(m.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := m.store.RenewLease(ctx, r.ID, m.cfg.Replica, m.now().UTC().Add(m.cfg.Lease)); err != nil {
					if ctx.Err() == nil {
						m.logger.Warn("run lease lost", "run", r.ID, "err", err)
					}
					cancel()
					return
				}
			}
		}
	}()
	defer func() {
		cancel()
		<-renewed
		// Give the lease up so any replica can take the next interval when
		// it comes due; after a lost lease this fails harmlessly.
		rctx, rcancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer rcancel()
		if yielded {
			if err := m.store.YieldLease(rctx, r.ID, m.cfg.Replica, m.now().UTC()); err != nil {
				yielded = false
			}
			return
		}
		_ = m.store.ReleaseLease(rctx, r.ID, m.cfg.Replica)
	}()

	more, ok := m.judgeDue(ctx, &r)
	return ok && more
}

// judgeDue judges r's due intervals, committing each, until none is due or
// the batch is full; more reports that the batch ended with intervals
// still due. ok is false when the work was dropped (lease lost, run
// changed).
func (m *Manager) judgeDue(ctx context.Context, r *Run) (more, ok bool) {
	var st RunState
	if len(r.State) > 0 {
		if err := json.Unmarshal(r.State, &st); err != nil {
			m.logger.Error("run state unreadable", "run", r.ID, "err", err)
			return false, false
		}
	}
	sch := r.Spec.Schedule(r.StartedAt)
	began, judged := m.now(), 0
	for r.Status == RunRunning && r.NextIndex < sch.Count {
		i := r.NextIndex
		_, _, due := sch.Window(i)
		now := m.now().UTC()
		if due.After(now) {
			return false, true
		}
		if judged >= m.cfg.BatchIntervals || now.Sub(began) >= m.cfg.BatchTime {
			m.logger.Debug("run yields with intervals due", "run", r.ID, "judged", judged, "next", i+1, "of", sch.Count)
			return true, true
		}
		lag := now.Sub(due)
		m.mu.Lock()
		m.lag.Intervals++
		m.lag.Total += lag
		m.lag.Max = max(m.lag.Max, lag)
		m.mu.Unlock()

		v := EvaluateInterval(ctx, r.Spec, sch, i, &st, m.sources)
		if ctx.Err() != nil {
			return false, false // lease lost or shutting down: judged again by the next holder
		}
		v.ExperimentID, v.RunID = r.ExperimentID, r.ID
		d := Decide(r.Spec, &st, i, v)
		raw, err := json.Marshal(st)
		if err != nil {
			m.logger.Error("run state", "run", r.ID, "err", err)
			return false, false
		}
		next := *r
		next.State, next.NextIndex = raw, i+1
		if i+1 < sch.Count {
			_, _, next.NextDue = sch.Window(i + 1)
		}
		if d.Done || i+1 >= sch.Count {
			ended := m.now().UTC()
			final := d.Final
			final.CompletedAt = ended
			next.Status, next.Verdict, next.EndedAt = RunCompleted, &final, &ended
		}
		res := IntervalResult{RunID: r.ID, Index: i, Verdict: v, CreatedAt: m.now().UTC(), Replica: m.cfg.Replica}
		if err := m.store.CommitInterval(ctx, m.cfg.Replica, next, res); err != nil {
			if !errors.Is(err, ErrLeaseLost) && !errors.Is(err, ErrConflict) {
				m.logger.Warn("recording interval failed", "run", r.ID, "interval", i+1, "err", err)
			}
			return false, false
		}
		judged++
		if m.observer != nil {
			m.observer.IntervalJudged(v.Verdict, lag)
		}
		m.logger.Info("interval judged", "experiment", r.ExperimentID, "run", r.ID, "interval", i+1, "of", sch.Count,
			"verdict", v.Verdict, "score", ScoreText(v.Score))
		*r = next
	}
	if r.Status == RunCompleted {
		m.logger.Info("run completed", "experiment", r.ExperimentID, "run", r.ID, "verdict", r.Verdict.Verdict, "reason", r.Verdict.Reason)
		m.signalEnded()
	}
	return false, true
}

// abortedVerdict is the final verdict of a run a user aborted.
func abortedVerdict(r Run, now time.Time) Verdict {
	sch := r.Spec.Schedule(r.StartedAt)
	return Verdict{
		ExperimentID: r.ExperimentID, RunID: r.ID, Experiment: r.Spec.Name, Kind: r.Spec.Kind,
		Verdict: judges.OutcomeInconclusive, Reason: "aborted by a user before a verdict", Stopped: "aborted",
		Interval: r.NextIndex, Intervals: sch.Count, CompletedAt: now,
	}
}
