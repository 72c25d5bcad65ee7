package outbox

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/augurhq/augur/alerting/notify"
	"github.com/augurhq/augur/alerting/route"
	"github.com/augurhq/augur/analysis"
)

// routeBatch bounds the events one router pass reads.
const routeBatch = 500

// stateEvery is how often the router commits its state when nothing else
// changed (the dispatcher's timers move on even then).
const stateEvery = time.Minute

// pruneEvery is how often the router deletes old routed events.
const pruneEvery = time.Hour

// SpecReceiver is the receiver name of a spec's i-th raw webhook URL.
func SpecReceiver(i int) string { return "spec.webhooks[" + strconv.Itoa(i) + "]" }

// SpecIndex is the index of a spec receiver name (SpecReceiver), or false.
func SpecIndex(name string) (int, bool) {
	s, ok := strings.CutPrefix(name, "spec.webhooks[")
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, "]")
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(s)
	return i, err == nil && i >= 0
}

// routePass routes pending events if this replica is (or becomes) the
// router, and returns when the dispatcher next has a group due.
func (o *Outbox) routePass(ctx context.Context) time.Time {
	now := o.now()
	if o.disp == nil || !now.Add(o.cfg.Delivery.Lease/2).Before(o.leaseUntil) {
		state, ok, err := o.st.AcquireRouter(ctx, o.opts.Replica, now, o.cfg.Delivery.Lease)
		if err != nil || !ok {
			if err != nil && ctx.Err() == nil {
				o.logger.Warn("notification router lease", "err", err)
			}
			o.disp = nil
			return time.Time{}
		}
		o.leaseUntil = now.Add(o.cfg.Delivery.Lease)
		if o.disp == nil {
			if err := o.loadDispatcher(state); err != nil {
				o.logger.Warn("notification router state unreadable; starting afresh", "err", err)
			}
		}
	}
	events, err := o.st.PendingEvents(ctx, routeBatch)
	if err != nil {
		if ctx.Err() == nil {
			o.logger.Warn("reading the outbox", "err", err)
		}
		return time.Time{}
	}
	var c analysis.RoutingCommit
	for _, ev := range events {
		m, err := buildMessage(ctx, o.runs, ev, o.opts.ReportBase)
		if errors.Is(err, errGone) {
			c.Routed = append(c.Routed, ev.ID)
			continue
		}
		if err != nil {
			// Keep the order: this event and the ones after it wait for
			// the next pass.
			if ctx.Err() == nil {
				o.logger.Warn("building a notification", "event", ev.ID, "err", err)
			}
			break
		}
		c.Routed = append(c.Routed, ev.ID)
		c.Deliveries = append(c.Deliveries, o.specDeliveries(ctx, ev, m, now)...)
		if o.disp != nil && o.tree != nil {
			o.disp.Add(m, now)
		}
	}
	if o.tree != nil {
		for _, n := range o.disp.Due(now) {
			for _, m := range n.Messages {
				c.Deliveries = append(c.Deliveries, newDelivery(n, m, now))
			}
		}
	}
	if len(c.Routed) == 0 && len(c.Deliveries) == 0 && now.Sub(o.lastCommit) < stateEvery {
		return o.nextDue()
	}
	if o.tree != nil {
		st, err := json.Marshal(o.disp.State())
		if err != nil {
			o.logger.Error("encoding the notification router state", "err", err)
			o.disp = nil
			return time.Time{}
		}
		c.State = st
	}
	if err := o.st.CommitRouting(ctx, o.opts.Replica, c); err != nil {
		// The dispatcher in memory moved on without the commit: reload
		// the committed state on the next pass.
		if ctx.Err() == nil {
			o.logger.Warn("committing routed notifications", "err", err)
		}
		o.disp = nil
		return time.Time{}
	}
	o.lastCommit = now
	if n := len(c.Deliveries); n > 0 {
		o.logger.Debug("notifications routed", "events", len(c.Routed), "deliveries", n)
		o.Wake()
	}
	if now.Sub(o.lastPrune) >= pruneEvery {
		o.lastPrune = now
		if n, err := o.st.PruneOutbox(ctx, now.Add(-o.cfg.Delivery.EventRetention)); err != nil {
			o.logger.Warn("pruning the outbox", "err", err)
		} else if n > 0 {
			o.logger.Debug("outbox pruned", "events", n)
		}
	}
	return o.nextDue()
}

func (o *Outbox) loadDispatcher(raw json.RawMessage) error {
	var st route.State
	var err error
	if len(raw) > 0 && string(raw) != "null" {
		err = json.Unmarshal(raw, &st)
	}
	if o.tree == nil {
		o.disp = route.NewDispatcher(emptyTree, route.State{})
		return err
	}
	if err != nil {
		st = route.State{}
	}
	o.disp = route.NewDispatcher(o.tree, st)
	return err
}

// emptyTree stands in when no routing is configured, so that disp marks
// leadership either way.
var emptyTree = func() *route.Tree {
	t, err := route.Build(route.Config{Route: &route.RouteConfig{Receiver: "none"}}, []string{"none"})
	if err != nil {
		panic(err)
	}
	return t
}()

func (o *Outbox) nextDue() time.Time {
	if o.disp == nil || o.tree == nil {
		return time.Time{}
	}
	t, _ := o.disp.NextDue()
	return t
}

// specDeliveries are the deliveries of a final verdict to the raw webhook
// URLs of the run's spec: sent when the server allows spec URLs, else
// recorded dead at once, so that the refusal is visible.
func (o *Outbox) specDeliveries(ctx context.Context, ev analysis.OutboxEvent, m notify.Message, now time.Time) []analysis.OutboxDelivery {
	if ev.Kind != analysis.OutboxVerdict {
		return nil
	}
	r, err := o.runs.GetRun(ctx, ev.RunID)
	if err != nil || len(r.Spec.Webhooks) == 0 {
		return nil
	}
	var out []analysis.OutboxDelivery
	for i := range r.Spec.Webhooks {
		name := SpecReceiver(i)
		d := newDelivery(route.Notification{Receiver: name, GroupKey: "spec"}, m, now)
		if !o.cfg.AllowSpecURLs {
			d.Status = analysis.DeliveryDead
			d.LastError = "spec webhook URLs are not allowed by this server (notify.allow_spec_urls is off): name a receiver in the server's notify config instead"
		}
		out = append(out, d)
	}
	return out
}

// newDelivery makes the delivery of m to n's receiver. Its ID, the
// webhook-id, is derived from the receiver, the group and the message's
// state and the send time, so one message sent twice (a repeat) gets two.
func newDelivery(n route.Notification, m notify.Message, now time.Time) analysis.OutboxDelivery {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%t\x00%d", n.Receiver, n.RouteID, n.GroupKey, m.ID, m.Resolved, now.UnixNano())
	id := "msg_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(h.Sum(nil)[:15]))
	m.ID, m.Receiver = id, n.Receiver
	body, _ := json.Marshal(m)
	return analysis.OutboxDelivery{
		ID: id, Receiver: n.Receiver, ExperimentID: m.ExperimentID, RunID: m.RunID, Event: string(m.Event),
		Message: body, Status: analysis.DeliveryPending, NextAttempt: now, CreatedAt: now, UpdatedAt: now,
	}
}
