package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/augurhq/augur/alerting/notify"
	"github.com/augurhq/augur/alerting/signedwebhook"
	"github.com/augurhq/augur/analysis"
)

// deliverPass claims the due deliveries, up to the workers at a time, and
// sends them, until none is due.
func (o *Outbox) deliverPass(ctx context.Context) {
	for ctx.Err() == nil {
		now := o.now()
		ds, err := o.st.ClaimDeliveries(ctx, o.opts.Replica, now, o.cfg.Delivery.Lease, o.cfg.Delivery.Workers, o.blockedReceivers(now))
		if err != nil {
			if ctx.Err() == nil {
				o.logger.Warn("claiming deliveries", "err", err)
			}
			return
		}
		if len(ds) == 0 {
			return
		}
		var wg sync.WaitGroup
		for _, d := range ds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o.deliver(ctx, d)
			}()
		}
		wg.Wait()
	}
}

// deliver makes one attempt at d and records it.
func (o *Outbox) deliver(ctx context.Context, d analysis.OutboxDelivery) {
	start := o.now()
	// The attempt must end well within the lease, so that no other
	// replica takes the delivery over while it is in flight.
	sctx, cancel := context.WithTimeout(ctx, o.cfg.Delivery.Lease/2)
	err := o.send(sctx, d)
	cancel()
	if ctx.Err() != nil {
		return // shutting down: the lease runs out and the delivery is retried
	}
	end := o.now()
	a := analysis.DeliveryAttempt{N: d.Attempts + 1, At: start, Replica: o.opts.Replica, OK: err == nil,
		DurationMS: end.Sub(start).Milliseconds()}
	out := analysis.AttemptOutcome{DeliveryID: d.ID, Attempt: a}
	var outcome string
	switch {
	case err == nil:
		out.Status, outcome = analysis.DeliveryDelivered, "delivered"
		o.breaker(d.Receiver, nil, end)
	case notify.IsPermanent(err):
		out.Attempt.Error, out.Attempt.Permanent = o.errorText(d, err), true
		out.Status, outcome = analysis.DeliveryDead, "dead"
	default:
		out.Attempt.Error = o.errorText(d, err)
		giveUp := d.CreatedAt.Add(o.cfg.Delivery.MaxAge)
		wait := o.jitter(o.backoff(a.N))
		if ra, ok := notify.RetryAfter(err); ok && ra > wait {
			wait = ra
		}
		next := end.Add(wait)
		// Not before the receiver's hold lifts: its deliveries are not
		// claimed until then anyway.
		if until := o.breaker(d.Receiver, err, end); until.After(next) {
			next = until
		}
		switch {
		case !end.Before(giveUp):
			out.Status, outcome = analysis.DeliveryDead, "dead"
			out.Attempt.Error = fmt.Sprintf("gave up after %d attempts over %s (notify.delivery.max_age): %s", a.N, o.cfg.Delivery.MaxAge, out.Attempt.Error)
		case next.After(giveUp):
			out.Status, out.NextAttempt, outcome = analysis.DeliveryPending, giveUp, "retry"
		default:
			out.Status, out.NextAttempt, outcome = analysis.DeliveryPending, next, "retry"
		}
	}
	if o.opts.Observer != nil {
		o.opts.Observer.Attempted(d.Receiver, outcome, end.Sub(start))
	}
	log := o.logger.With("delivery", d.ID, "receiver", d.Receiver, "experiment", d.ExperimentID, "event", d.Event, "attempt", a.N)
	switch outcome {
	case "delivered":
		log.Info("notification delivered")
	case "dead":
		log.Warn("notification dead-lettered", "err", out.Attempt.Error)
	default:
		log.Warn("notification not delivered; will retry", "err", out.Attempt.Error, "next_attempt", out.NextAttempt)
	}
	// Recording must not be cut short by shutdown once the send is done.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer rcancel()
	if err := o.st.CommitAttempt(rctx, o.opts.Replica, out); err != nil {
		log.Warn("recording a delivery attempt", "err", err)
	}
}

// receiverState is what a replica remembers of a receiver that is
// failing: how many probe windows in a row failed, and until when no
// delivery to it is claimed.
type receiverState struct {
	failures int
	until    time.Time
}

// breaker updates a receiver's state after an attempt. A retryable
// failure holds every delivery to the receiver back, not only the one
// that failed, for a backoff that grows with each window that fails in a
// row (and is never shorter than a Retry-After), so that a receiver that
// is down costs one batch of attempts per window instead of one attempt
// per delivery, and the others' deliveries are not slowed by it. A success
// lifts the hold: the backlog is claimed at once. Spec URLs (one receiver
// name, many targets) and permanent failures (about one message) hold
// nothing back.
// It returns until when the receiver is held back (zero: not held).
func (o *Outbox) breaker(receiver string, err error, now time.Time) time.Time {
	if _, spec := SpecIndex(receiver); spec || notify.IsPermanent(err) {
		return time.Time{}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if err == nil {
		delete(o.failing, receiver)
		return time.Time{}
	}
	st := o.failing[receiver]
	if st.until.After(now) {
		return st.until // this window already failed: one step per window
	}
	st.failures++
	wait := o.jitterLocked(o.backoff(st.failures))
	if ra, ok := notify.RetryAfter(err); ok && ra > wait {
		wait = ra
	}
	st.until = now.Add(wait)
	o.failing[receiver] = st
	return st.until
}

// blockedReceivers are the receivers held back at now.
func (o *Outbox) blockedReceivers(now time.Time) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for r, st := range o.failing {
		if st.until.After(now) {
			out = append(out, r)
		}
	}
	return out
}

// backoff is the wait after the n-th failed attempt, before jitter.
func (o *Outbox) backoff(n int) time.Duration {
	b := o.cfg.Delivery.Backoff
	for i := 1; i < n && b < o.cfg.Delivery.MaxBackoff; i++ {
		b *= 2
	}
	return min(b, o.cfg.Delivery.MaxBackoff)
}

// send hands d's message to its receiver.
func (o *Outbox) send(ctx context.Context, d analysis.OutboxDelivery) error {
	var m notify.Message
	if err := json.Unmarshal(d.Message, &m); err != nil {
		return notify.Permanent(fmt.Errorf("stored message does not decode: %w", err))
	}
	if i, ok := SpecIndex(d.Receiver); ok {
		return o.sendSpec(ctx, d, i, m)
	}
	n, ok := o.receivers[d.Receiver]
	if !ok {
		return notify.Permanent(fmt.Errorf("receiver %q is not configured (notify.receivers)", d.Receiver))
	}
	return n.Notify(ctx, m)
}

// sendSpec POSTs a verdict to the i-th raw webhook URL of the run's spec,
// through the spec URL guard.
func (o *Outbox) sendSpec(ctx context.Context, d analysis.OutboxDelivery, i int, m notify.Message) error {
	if !o.cfg.AllowSpecURLs {
		return notify.Permanent(errors.New("spec webhook URLs are not allowed by this server (notify.allow_spec_urls is off)"))
	}
	r, err := o.runs.GetRun(ctx, d.RunID)
	if errors.Is(err, analysis.ErrNotFound) {
		return notify.Permanent(errors.New("the run was deleted"))
	}
	if err != nil {
		return err
	}
	if i >= len(r.Spec.Webhooks) {
		return notify.Permanent(fmt.Errorf("the run's spec has no webhooks[%d]", i))
	}
	cfg := signedwebhook.DefaultConfig()
	cfg.URL, cfg.SecretFiles, cfg.HTTP.Timeout = r.Spec.Webhooks[i], o.cfg.SpecURLs.SecretFiles, o.cfg.SpecURLs.Timeout
	n, err := signedwebhook.New(d.Receiver, cfg, o.cfg.SpecURLs.Guard)
	if err != nil {
		return notify.Permanent(err)
	}
	return n.Notify(ctx, m)
}

// answerBody matches what follows an HTTP status in a receiver's error:
// the target's answer.
var answerBody = regexp.MustCompile(`(?s)^(.*?: [1-5][0-9]{2} [^:\n]*):.*$`)

// errorText is the error recorded for an attempt. For a spec's raw URL the
// target's answer body is left out: anyone who can create an experiment
// can read its deliveries, and the body of an internal service's answer
// is not theirs to read.
func (o *Outbox) errorText(d analysis.OutboxDelivery, err error) string {
	s := err.Error()
	if _, ok := SpecIndex(d.Receiver); ok {
		s = answerBody.ReplaceAllString(s, "$1")
	}
	if len(s) > 1024 {
		s = s[:1024] + "…"
	}
	return s
}
