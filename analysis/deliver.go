package analysis

import (
	"context"
	"errors"
	"time"
)

// ErrRefused marks a sink error that sending the same notification again
// cannot fix (a webhook answering 4xx other than 408 and 429): the target
// is not retried.
var ErrRefused = errors.New("refused")

// TargetSink is a Sink that sends each notification to several targets
// (the notification's webhook URLs) and reports each one's outcome, so that
// a retry goes only to the targets that did not take it.
type TargetSink interface {
	Sink
	// PublishTargets sends n to each of n.Webhooks and returns one result
	// per URL, in order.
	PublishTargets(ctx context.Context, n Notification) []TargetResult
}

// TargetResult is what one target did with a notification: Err is nil
// when it took it, and wraps ErrRefused when it refused it.
type TargetResult struct {
	Target string
	Err    error
}

// deliver sends a run's final verdict to every sink target that has not
// taken it yet (each target once delivered is never sent it again), and
// records the attempt: delivered when every target took it; abandoned
// when the targets left refused it, or when they still fail MaxAge after
// the run ended; else pending until the next attempt, Backoff after the
// first failed attempt and doubling up to MaxBackoff.
func (m *Manager) deliver(ctx context.Context, r Run) {
	prev := map[[2]string]Delivery{}
	for _, d := range r.Deliveries {
		prev[[2]string{d.Sink, d.Target}] = d
	}
	var ds []Delivery
	for _, s := range m.sinks {
		ds = append(ds, m.publish(ctx, s, r, prev)...)
	}
	if ctx.Err() != nil {
		return // lease lost or shutting down: the next holder delivers
	}
	o := DeliveryOutcome{Deliveries: ds, Attempts: r.DeliveryAttempts + 1}
	now := m.now().UTC()
	pending, refused := 0, 0
	for _, d := range ds {
		switch {
		case d.Refused:
			refused++
		case !d.OK:
			pending++
		}
	}
	ended := r.UpdatedAt
	if r.EndedAt != nil {
		ended = *r.EndedAt
	}
	giveUp := ended.Add(m.cfg.Delivery.MaxAge)
	switch {
	case pending == 0 && refused == 0:
		o.Delivered = true
	case pending == 0:
		o.Abandoned = true
		m.logger.Warn("verdict delivery abandoned: refused", "run", r.ID, "refused", refused)
	case !now.Before(giveUp):
		o.Abandoned = true
		m.logger.Warn("verdict delivery abandoned: still failing at the maximum age", "run", r.ID,
			"attempts", o.Attempts, "max_age", m.cfg.Delivery.MaxAge, "failing", pending)
	default:
		o.NextAttempt = now.Add(m.cfg.Delivery.backoff(o.Attempts))
		if o.NextAttempt.After(giveUp) {
			o.NextAttempt = giveUp // the last attempt
		}
		m.logger.Warn("verdict not delivered; will retry", "run", r.ID, "attempts", o.Attempts,
			"failing", pending, "next_attempt", o.NextAttempt)
	}
	if err := m.store.CommitDeliveries(ctx, m.cfg.Replica, r.ID, o); err != nil {
		m.logger.Warn("recording deliveries failed", "run", r.ID, "err", err)
		return
	}
	m.mu.Lock()
	close(m.ended)
	m.ended = make(chan struct{})
	m.mu.Unlock()
}

// publish sends r's final verdict to the targets of s that have not taken
// or refused it (by prev, the records of the previous attempt) and returns
// the records of every target of s.
func (m *Manager) publish(ctx context.Context, s NamedSink, r Run, prev map[[2]string]Delivery) []Delivery {
	n := Notification{ExperimentID: r.ExperimentID, Webhooks: r.Spec.Webhooks, Verdict: *r.Verdict}
	ts, ok := s.Sink.(TargetSink)
	if !ok {
		d, seen := prev[[2]string{s.Name, ""}]
		if seen && (d.OK || d.Refused) {
			return []Delivery{d}
		}
		return []Delivery{m.record(r, s.Name, "", d, s.Sink.Publish(ctx, n))}
	}
	var out []Delivery
	n.Webhooks = nil
	for _, u := range r.Spec.Webhooks {
		if d, seen := prev[[2]string{s.Name, u}]; seen && (d.OK || d.Refused) {
			out = append(out, d)
			continue
		}
		n.Webhooks = append(n.Webhooks, u)
	}
	if len(n.Webhooks) == 0 {
		return out
	}
	for _, res := range ts.PublishTargets(ctx, n) {
		out = append(out, m.record(r, s.Name, res.Target, prev[[2]string{s.Name, res.Target}], res.Err))
	}
	return out
}

// record is one target's delivery record after an attempt that ended with
// err; last is its record of the attempt before (zero if none).
func (m *Manager) record(r Run, sink, target string, last Delivery, err error) Delivery {
	d := Delivery{Sink: sink, Target: target, OK: err == nil, At: m.now().UTC(), Attempts: last.Attempts + 1}
	if err != nil {
		d.Error, d.Refused = err.Error(), errors.Is(err, ErrRefused)
		m.logger.Warn("verdict delivery failed", "run", r.ID, "sink", sink, "target", target, "refused", d.Refused, "err", err)
	}
	return d
}

// backoff is the wait after the attempt-th failed attempt.
func (d DeliveryRetry) backoff(attempt int) time.Duration {
	b := d.Backoff
	for i := 1; i < attempt && b < d.MaxBackoff; i++ {
		b *= 2
	}
	return min(b, d.MaxBackoff)
}
