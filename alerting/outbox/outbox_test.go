package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/augurhq/augur/alerting/notify"
	"github.com/augurhq/augur/alerting/route"
	"github.com/augurhq/augur/alerting/signedwebhook"
	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

var t0 = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// recorder is a Notifier that records what it was sent and answers with
// the error fail returns (nil: taken).
type recorder struct {
	mu   sync.Mutex
	got  []notify.Message
	fail func(m notify.Message) error
}

func (r *recorder) Notify(_ context.Context, m notify.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		if err := r.fail(m); err != nil {
			return err
		}
	}
	r.got = append(r.got, m)
	return nil
}

func (r *recorder) messages() []notify.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notify.Message(nil), r.got...)
}

// fixture holds a store with one experiment and a helper to end runs.
type fixture struct {
	st  *memStore
	clk *clock
}

func newFixture() *fixture {
	f := &fixture{st: newMemStore(), clk: &clock{t: t0}}
	return f
}

// verdict stores run runID of experiment expID ended with outcome and adds
// its verdict event.
func (f *fixture) verdict(expID, runID string, outcome judges.Outcome, labels map[string]string, webhooks ...string) {
	score := 42.0
	v := &analysis.Verdict{ExperimentID: expID, RunID: runID, Experiment: "checkout-" + expID, Verdict: outcome, Score: &score,
		Reason: "latency_p99: canary 18% slower",
		Metrics: []analysis.MetricResult{
			{Name: "latency_p99", Classification: judges.High, Reason: "canary 18% slower (CI 9%..27%)"},
			{Name: "errors", Classification: judges.Pass, Reason: "no difference"},
		}}
	f.st.mu.Lock()
	f.st.exps[expID] = analysis.ExperimentRecord{ID: expID, Template: "canary", Key: "argo/canary/prod/checkout/abc"}
	f.st.runs[runID] = analysis.Run{ID: runID, ExperimentID: expID, Status: analysis.RunCompleted, StartedAt: t0.Add(-time.Hour), Verdict: v,
		Spec: analysis.Spec{Name: "checkout-" + expID, Kind: "canary", Labels: labels, Webhooks: webhooks}}
	f.st.mu.Unlock()
	f.st.addEvent(analysis.OutboxEvent{ID: runID + "/verdict", ExperimentID: expID, RunID: runID, Kind: analysis.OutboxVerdict, Index: -1, At: f.clk.now()})
}

func (f *fixture) outbox(t *testing.T, cfg Config, replica string, recv map[string]notify.Notifier) *Outbox {
	t.Helper()
	o, err := New(cfg, f.st, f.st, Options{Replica: replica, ReportBase: "https://augur.example.org", Receivers: recv, Now: f.clk.now})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// testConfig routes everything to "chat" and fails also to "pager", with
// no group wait.
func testConfig(t *testing.T) Config {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Delivery.Backoff, cfg.Delivery.MaxBackoff = 10*time.Second, 80*time.Second
	var err error
	cfg.Config, err = route.Parse([]byte(`
route:
  receiver: chat
  group_by: [experiment_id]
  group_wait: 0s
  group_interval: 1m
  routes:
  - matchers: [verdict="fail"]
    receiver: pager
    continue: true
  - receiver: chat
`))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Receivers = []ReceiverConfig{{Name: "chat", Webhook: hook()}, {Name: "pager", Webhook: hook()}}
	return cfg
}

func hook() *signedwebhook.Config {
	c := signedwebhook.DefaultConfig()
	c.URL = "https://hooks.example.org/augur"
	return &c
}

// run steps o until nothing is due, advancing the clock by step each time,
// for at most n steps.
func (f *fixture) run(ctx context.Context, o *Outbox, step time.Duration, n int) {
	for range n {
		o.Step(ctx)
		f.clk.add(step)
	}
}

func TestVerdictRoutedAndDelivered(t *testing.T) {
	f := newFixture()
	chat, pager := &recorder{}, &recorder{}
	o := f.outbox(t, testConfig(t), "r1", map[string]notify.Notifier{"chat": chat, "pager": pager})
	ctx := context.Background()
	f.verdict("e1", "run1", judges.OutcomeFail, map[string]string{"team": "payments"})
	f.run(ctx, o, time.Second, 3)

	for name, r := range map[string]*recorder{"chat": chat, "pager": pager} {
		got := r.messages()
		if len(got) != 1 {
			t.Fatalf("%s got %d messages, want 1", name, len(got))
		}
		m := got[0]
		if m.Verdict != "fail" || m.Severity != notify.SeverityCritical || m.Resolved || m.Receiver != name ||
			m.ReportURL != "https://augur.example.org/experiments/e1" || m.Labels["team"] != "payments" ||
			m.Labels["template"] != "canary" || m.Labels["name"] != "checkout-e1" || *m.Score != 42 {
			t.Errorf("%s: message %+v", name, m)
		}
		if len(m.Failing) != 1 || m.Failing[0].Name != "latency_p99" || !strings.Contains(m.Failing[0].Reason, "18% slower") {
			t.Errorf("%s: failing metrics %+v, want latency_p99 only", name, m.Failing)
		}
		var v analysis.Verdict
		if err := json.Unmarshal(m.Payload, &v); err != nil || v.RunID != "run1" {
			t.Errorf("%s: payload %s (%v), want the verdict document", name, m.Payload, err)
		}
		if !strings.HasPrefix(m.ID, "msg_") {
			t.Errorf("%s: ID %q, want the delivery's webhook-id", name, m.ID)
		}
	}
	if chat.messages()[0].ID == pager.messages()[0].ID {
		t.Error("two receivers share a webhook-id")
	}
	for _, d := range f.st.all() {
		if d.Status != analysis.DeliveryDelivered || d.Attempts != 1 || len(d.History) != 1 || !d.History[0].OK {
			t.Errorf("delivery %+v, want delivered at the first attempt", d)
		}
	}
	// A later pass of the same experiment goes to chat, and resolves the
	// pager's fail.
	f.verdict("e1", "run2", judges.OutcomePass, map[string]string{"team": "payments"})
	f.run(ctx, o, 30*time.Second, 4)
	if got := chat.messages(); len(got) != 2 || got[1].Verdict != "pass" || !got[1].Resolved {
		t.Errorf("chat after the pass: %+v", got)
	}
	if got := pager.messages(); len(got) != 2 || !got[1].Resolved || got[1].RunID != "run2" {
		t.Errorf("pager after the pass: %+v, want the fail resolved", got)
	}
}

func TestRetriesWithBackoffAndRetryAfter(t *testing.T) {
	f := newFixture()
	calls := 0
	chat := &recorder{fail: func(notify.Message) error {
		calls++
		switch calls {
		case 1, 2, 3:
			return errors.New("chat: 503 Service Unavailable: down")
		case 4:
			return &notify.RetryAfterError{After: 5 * time.Minute, Err: errors.New("chat: 429 Too Many Requests: slow down")}
		}
		return nil
	}}
	cfg := testConfig(t)
	o := f.outbox(t, cfg, "r1", map[string]notify.Notifier{"chat": chat, "pager": &recorder{}})
	ctx := context.Background()
	f.verdict("e1", "run1", judges.OutcomePass, nil)
	o.Step(ctx)
	var waits []time.Duration
	for range 5 {
		d := deliveryTo(t, f.st, "chat")
		if d.Status != analysis.DeliveryPending {
			break
		}
		waits = append(waits, d.NextAttempt.Sub(f.clk.now()))
		f.clk.t = d.NextAttempt
		o.Step(ctx)
	}
	d := deliveryTo(t, f.st, "chat")
	if d.Status != analysis.DeliveryDelivered || d.Attempts != 5 || len(chat.messages()) != 1 {
		t.Fatalf("after 4 failures: %+v, want delivered at attempt 5", d)
	}
	// Backoff 10s doubling, each drawn from its upper half; the 429's
	// Retry-After (5m) wins over the backoff it exceeds.
	bounds := [][2]time.Duration{{5 * time.Second, 10 * time.Second}, {10 * time.Second, 20 * time.Second}, {20 * time.Second, 40 * time.Second}, {5 * time.Minute, 5 * time.Minute}}
	if len(waits) != len(bounds) {
		t.Fatalf("waits %v", waits)
	}
	for i, b := range bounds {
		if waits[i] < b[0] || waits[i] > b[1] {
			t.Errorf("wait %d: %s, want within [%s, %s]", i+1, waits[i], b[0], b[1])
		}
	}
	if d.History[3].Error != "chat: 429 Too Many Requests: slow down" || d.History[3].Permanent {
		t.Errorf("attempt 4 recorded %+v", d.History[3])
	}
}

func deliveryTo(t *testing.T, st *memStore, receiver string) analysis.OutboxDelivery {
	t.Helper()
	var found []analysis.OutboxDelivery
	for _, d := range st.all() {
		if d.Receiver == receiver {
			found = append(found, d)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d deliveries to %s, want 1", len(found), receiver)
	}
	return found[0]
}

func TestDeadLetters(t *testing.T) {
	tests := []struct {
		name     string
		fail     func(notify.Message) error
		advance  time.Duration
		wantErr  string
		attempts int
	}{
		{"permanent answer is not retried", func(notify.Message) error {
			return notify.Permanent(errors.New("chat: 404 Not Found: no_service"))
		}, time.Second, "chat: 404 Not Found: no_service", 1},
		{"a template that does not render", func(notify.Message) error {
			return notify.Permanent(errors.New(`chat: template: chat:1:2: executing "chat" at <.Nope>: can't evaluate field Nope`))
		}, time.Second, "can't evaluate field Nope", 1},
		{"failing past the maximum age", func(notify.Message) error {
			return errors.New("chat: 502 Bad Gateway: upstream")
		}, 10 * time.Minute, "gave up after", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			pager := &recorder{}
			cfg := testConfig(t)
			cfg.Delivery.MaxAge = time.Hour
			o := f.outbox(t, cfg, "r1", map[string]notify.Notifier{"chat": &recorder{fail: tt.fail}, "pager": pager})
			f.verdict("e1", "run1", judges.OutcomeFail, nil)
			f.run(context.Background(), o, tt.advance, 20)
			d := deliveryTo(t, f.st, "chat")
			if d.Status != analysis.DeliveryDead || !strings.Contains(d.LastError, tt.wantErr) {
				t.Errorf("got %s %q, want dead with %q", d.Status, d.LastError, tt.wantErr)
			}
			if tt.attempts > 0 && d.Attempts != tt.attempts {
				t.Errorf("attempts %d, want %d", d.Attempts, tt.attempts)
			}
			if tt.attempts == 0 && d.History[len(d.History)-1].At.Before(d.CreatedAt.Add(time.Hour)) {
				t.Errorf("last attempt at %s, before the maximum age ran out", d.History[len(d.History)-1].At)
			}
			// The other receiver is not held up.
			if len(pager.messages()) != 1 {
				t.Errorf("pager got %d messages, want 1", len(pager.messages()))
			}
		})
	}
}

func TestReceiverDownTenMinutes(t *testing.T) {
	f := newFixture()
	down := true
	var mu sync.Mutex
	chat := &recorder{fail: func(notify.Message) error {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return errors.New("chat: dial tcp: connection refused")
		}
		return nil
	}}
	cfg := testConfig(t)
	o := f.outbox(t, cfg, "r1", map[string]notify.Notifier{"chat": chat, "pager": &recorder{}})
	ctx := context.Background()
	for i := range 20 {
		f.verdict(fmt.Sprintf("e%02d", i), fmt.Sprintf("run%02d", i), judges.OutcomePass, nil)
		f.run(ctx, o, 15*time.Second, 2)
	}
	f.run(ctx, o, 5*time.Second, 120-40) // ten minutes in all
	mu.Lock()
	down = false
	mu.Unlock()
	f.run(ctx, o, 10*time.Second, 60) // the backoff is at most 80s
	seen := map[string]int{}
	for _, m := range chat.messages() {
		seen[m.ExperimentID]++
	}
	if len(seen) != 20 {
		t.Errorf("%d experiments' verdicts delivered, want 20", len(seen))
	}
	for e, n := range seen {
		if n != 1 {
			t.Errorf("%s delivered %d times", e, n)
		}
	}
}

func TestOneRouterAcrossReplicas(t *testing.T) {
	f := newFixture()
	chat := &recorder{}
	recv := map[string]notify.Notifier{"chat": chat, "pager": &recorder{}}
	a, b := f.outbox(t, testConfig(t), "a", recv), f.outbox(t, testConfig(t), "b", recv)
	ctx := context.Background()
	for i := range 10 {
		f.verdict(fmt.Sprintf("e%d", i), fmt.Sprintf("run%d", i), judges.OutcomePass, nil)
		a.Step(ctx)
		b.Step(ctx)
		f.clk.add(time.Second)
	}
	f.run(ctx, b, time.Second, 3)
	if n := len(chat.messages()); n != 10 {
		t.Errorf("chat got %d messages from two replicas, want 10", n)
	}
	// a stops; b takes the router over once a's lease runs out.
	f.verdict("late", "runlate", judges.OutcomePass, nil)
	f.run(ctx, b, time.Second, 3)
	if n := len(chat.messages()); n != 10 {
		t.Fatalf("routed while a still held the router lease: %d", n)
	}
	f.clk.add(testConfig(t).Delivery.Lease)
	f.run(ctx, b, time.Second, 3)
	if n := len(chat.messages()); n != 11 {
		t.Errorf("after a's lease ran out chat got %d messages, want 11", n)
	}
}

func TestSpecURLsOffByDefault(t *testing.T) {
	f := newFixture()
	cfg := DefaultConfig() // no routing
	o := f.outbox(t, cfg, "r1", nil)
	f.verdict("e1", "run1", judges.OutcomeFail, nil, "http://127.0.0.1:9/hook")
	f.run(context.Background(), o, time.Second, 2)
	d := deliveryTo(t, f.st, "spec.webhooks[0]")
	if d.Status != analysis.DeliveryDead || !strings.Contains(d.LastError, "notify.allow_spec_urls is off") {
		t.Errorf("got %+v, want dead naming notify.allow_spec_urls", d)
	}
	if f.st.routed["run1/verdict"] != true {
		t.Error("the event was not marked routed")
	}
}

func TestDeletedRunIsConsumed(t *testing.T) {
	f := newFixture()
	chat := &recorder{}
	o := f.outbox(t, testConfig(t), "r1", map[string]notify.Notifier{"chat": chat, "pager": &recorder{}})
	f.st.addEvent(analysis.OutboxEvent{ID: "gone/verdict", ExperimentID: "gone", RunID: "gone", Kind: analysis.OutboxVerdict, Index: -1, At: t0})
	f.run(context.Background(), o, time.Second, 2)
	if !f.st.routed["gone/verdict"] || len(chat.messages()) != 0 {
		t.Errorf("routed %v, sent %d", f.st.routed["gone/verdict"], len(chat.messages()))
	}
}

func TestUnknownReceiverIsDead(t *testing.T) {
	f := newFixture()
	o := f.outbox(t, testConfig(t), "r1", map[string]notify.Notifier{"chat": &recorder{}, "pager": &recorder{}})
	f.st.deliveries["x"] = &memDelivery{d: analysis.OutboxDelivery{ID: "x", Receiver: "removed", Status: analysis.DeliveryPending,
		Message: json.RawMessage(`{"id":"x"}`), NextAttempt: t0, CreatedAt: t0}}
	o.Step(context.Background())
	if d := f.st.deliveries["x"].d; d.Status != analysis.DeliveryDead || !strings.Contains(d.LastError, `receiver "removed" is not configured`) {
		t.Errorf("got %+v", d)
	}
}

// TestDownReceiverHeldBack: while one receiver is down, its deliveries
// are tried one batch per backoff window, not each on its own schedule,
// and the other receiver's are not held up; when it is back, its backlog
// goes at the next window.
func TestDownReceiverHeldBack(t *testing.T) {
	f := newFixture()
	var mu sync.Mutex
	down, attempts := true, 0
	chat := &recorder{fail: func(notify.Message) error {
		mu.Lock()
		defer mu.Unlock()
		attempts++
		if down {
			return errors.New("chat: 502 Bad Gateway: down")
		}
		return nil
	}}
	pager := &recorder{}
	cfg := testConfig(t) // backoff 10s doubling to 80s
	cfg.Delivery.Workers = 4
	o := f.outbox(t, cfg, "r1", map[string]notify.Notifier{"chat": chat, "pager": pager})
	ctx := context.Background()
	for i := range 30 {
		f.verdict(fmt.Sprintf("e%02d", i), fmt.Sprintf("run%02d", i), judges.OutcomeFail, nil)
	}
	f.run(ctx, o, time.Second, 600) // ten minutes
	if n := len(pager.messages()); n != 30 {
		t.Errorf("pager got %d of 30 while chat was down", n)
	}
	// Windows: 10s, 20s, 40s, then 80s each (jittered down to half):
	// at most 3 + 520/40 = 16 windows of 4 attempts.
	mu.Lock()
	held := attempts
	down = false
	mu.Unlock()
	if held > 16*4 {
		t.Errorf("%d attempts to the down receiver in ten minutes: not held back", held)
	}
	f.run(ctx, o, time.Second, 90)
	if n := len(chat.messages()); n != 30 {
		t.Errorf("chat got %d of 30 within 90s of coming back (the longest window is 80s)", n)
	}
	t.Logf("%d attempts to the down receiver in ten minutes, for 30 deliveries", held)
}

// TestReload: an invalid configuration is refused with its errors and
// changes nothing; a valid one takes effect at the next pass, routing new
// events by its tree.
func TestReload(t *testing.T) {
	f := newFixture()
	chat, pager := &recorder{}, &recorder{}
	recv := map[string]notify.Notifier{"chat": chat, "pager": pager}
	o := f.outbox(t, testConfig(t), "r1", recv)
	ctx := context.Background()
	bad := testConfig(t)
	bad.Route.Routes[0].Receiver = "pagerdutty"
	if err := o.Reload(bad); err == nil || !strings.Contains(err.Error(), `unknown receiver "pagerdutty"`) {
		t.Fatalf("invalid reload: %v", err)
	}
	f.verdict("e1", "run1", judges.OutcomeFail, nil)
	f.run(ctx, o, time.Second, 3)
	if len(pager.messages()) != 1 || len(chat.messages()) != 1 {
		t.Fatalf("before the reload: pager %d, chat %d", len(pager.messages()), len(chat.messages()))
	}
	// Fails now go to the pager only.
	good := testConfig(t)
	good.Route.Routes[0].Continue = false
	if err := o.Reload(good); err != nil {
		t.Fatal(err)
	}
	f.verdict("e2", "run2", judges.OutcomeFail, nil)
	f.run(ctx, o, time.Second, 3)
	if len(pager.messages()) != 2 || len(chat.messages()) != 1 {
		t.Errorf("after the reload: pager %d (want 2), chat %d (want 1)", len(pager.messages()), len(chat.messages()))
	}
}
