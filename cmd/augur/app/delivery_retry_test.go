package app

import (
	"context"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/augurhq/augur/alerting/webhook"
	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/source"
	"github.com/augurhq/augur/analysis/source/embedded"
	"github.com/augurhq/augur/analysis/state"
	"github.com/augurhq/augur/collector/store/storetest"
)

// testClock is the manager's clock, moved by the test. It starts at the
// real time: the state store checks leases on the real clock.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// claimCounter counts the manager's polls of its store.
type claimCounter struct {
	analysis.Store
	n atomic.Int64
}

func (c *claimCounter) ClaimDue(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]analysis.Run, error) {
	defer c.n.Add(1)
	return c.Store.ClaimDue(ctx, owner, now, lease, limit)
}

// TestDeliveryRetryBackoffRestartAndMaxAge drives a manager over a real
// SQLite file and the real webhook sink with an injected clock. A verdict
// for three URLs: one takes it, one refuses it (404), one fails (500). The
// refusing and the taking URL get it once; the failing one is tried again
// only when its next attempt is due (Backoff, doubling up to MaxBackoff),
// never in between however often the manager polls, across a restart of
// the manager; at MaxAge after the run ended, the last failure abandons
// the delivery, which is never marked delivered.
func TestDeliveryRetryBackoffRestartAndMaxAge(t *testing.T) {
	ok := newHookReceiver(t, http.StatusOK)
	refusing := newHookReceiver(t, http.StatusNotFound)
	failing := newHookReceiver(t, http.StatusInternalServerError)
	clock := &testClock{now: time.Now()}
	path := filepath.Join(t.TempDir(), "augur.db")
	reg, err := source.NewRegistry(embedded.New(storetest.Open(t)), nil, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	hooks, err := webhook.New(webhook.Config{Attempts: 1, Timeout: 5 * time.Second, UserAgent: "augur-test"}, nil, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig().Analysis.managerConfig()
	cfg.Poll, cfg.Now = 10*time.Millisecond, clock.Now
	cfg.Delivery = analysis.DeliveryRetry{Backoff: time.Minute, MaxBackoff: 4 * time.Minute, MaxAge: 10 * time.Minute}

	var (
		db     *state.Store
		polls  *claimCounter
		mgr    *analysis.Manager
		closed = true
	)
	start := func() {
		t.Helper()
		if db, err = state.OpenSQLite(context.Background(), path, nil); err != nil {
			t.Fatal(err)
		}
		polls = &claimCounter{Store: db}
		if mgr, err = analysis.NewManager(cfg, polls, reg, quietLogger(), analysis.NamedSink{Name: "webhook", Sink: hooks}); err != nil {
			t.Fatal(err)
		}
		mgr.Start()
		closed = false
	}
	stop := func() {
		if !closed {
			mgr.Close()
			_ = db.Close()
			closed = true
		}
	}
	t.Cleanup(stop)
	start()

	spec := analysis.Spec{
		APIVersion: analysis.APIVersion, Name: "retried",
		Cohorts:  analysis.Cohorts{Baseline: &analysis.Cohort{Selector: `version="v1"`}, Canary: &analysis.Cohort{Selector: `version="v2"`}},
		Timing:   analysis.Timing{Start: &analysis.StartTime{Relative: -time.Minute}, Interval: analysis.Duration(time.Minute), Lifetime: analysis.Duration(time.Minute)},
		Metrics:  []analysis.MetricSpec{{Name: "latency", Query: `latency{${cohort}}`, Judge: analysis.JudgeSpec{Type: analysis.JudgeMannWhitney}}},
		Webhooks: []string{ok.URL, refusing.URL, failing.URL},
	}
	x, err := mgr.Create(context.Background(), spec, true)
	if err != nil {
		t.Fatal(err)
	}
	waitAttempts := func(n int) analysis.Run {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			r, err := mgr.Run(context.Background(), x.Run)
			if err != nil {
				t.Fatal(err)
			}
			if r.DeliveryAttempts >= n {
				return r
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for delivery attempt %d: %+v", n, r)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	// idle waits for n more polls of the store: a run claimed by them
	// would have been sent its verdict.
	idle := func(n int64) {
		t.Helper()
		target := polls.n.Load() + n
		for polls.n.Load() < target {
			time.Sleep(2 * time.Millisecond)
		}
	}
	check := func(what string, r analysis.Run, attempts int, next time.Duration) {
		t.Helper()
		if r.Delivered || r.DeliveryAbandoned || r.DeliveryAttempts != attempts || r.NextDelivery == nil ||
			!r.NextDelivery.Equal(clock.Now().UTC().Truncate(time.Microsecond).Add(next)) {
			t.Fatalf("%s: %+v, want %d attempts, pending until %s from now", what, r, attempts, next)
		}
		if n := len(failing.received()); n != 1 || failing.received()[500] != attempts {
			t.Fatalf("%s: the failing URL got %v, want %d requests", what, failing.received(), attempts)
		}
		if ok.received()[200] != 1 || refusing.received()[404] != 1 {
			t.Fatalf("%s: the taking URL got %v and the refusing one %v, want one request each", what, ok.received(), refusing.received())
		}
	}

	r := waitAttempts(1)
	check("first attempt", r, 1, time.Minute)
	byTarget := map[string]analysis.Delivery{}
	for _, d := range r.Deliveries {
		byTarget[d.Target] = d
	}
	if d := byTarget[ok.URL]; !d.OK || d.Attempts != 1 {
		t.Errorf("taking URL: %+v", d)
	}
	if d := byTarget[refusing.URL]; d.OK || !d.Refused || d.Attempts != 1 {
		t.Errorf("refusing URL: %+v", d)
	}
	if d := byTarget[failing.URL]; d.OK || d.Refused || d.Attempts != 1 || d.Error == "" {
		t.Errorf("failing URL: %+v", d)
	}
	idle(10)
	check("polled before the next attempt", waitAttempts(1), 1, time.Minute)

	// A restart keeps the schedule and the count.
	stop()
	start()
	idle(10)
	check("restarted before the next attempt", waitAttempts(1), 1, time.Minute)

	clock.Add(time.Minute)
	check("second attempt", waitAttempts(2), 2, 2*time.Minute)
	idle(10)
	clock.Add(2 * time.Minute)
	check("third attempt", waitAttempts(3), 3, 4*time.Minute)
	clock.Add(4 * time.Minute)
	// 7 minutes after the end: the backoff (4m) would pass the maximum age
	// (10m), so the last attempt is at the maximum age.
	check("fourth attempt", waitAttempts(4), 4, 3*time.Minute)
	clock.Add(3 * time.Minute)
	r = waitAttempts(5)
	if r.Delivered || !r.DeliveryAbandoned || r.NextDelivery != nil || r.DeliveryAttempts != 5 {
		t.Fatalf("at the maximum age: %+v, want abandoned, not delivered", r)
	}
	clock.Add(time.Hour)
	idle(10)
	if got := failing.received()[500]; got != 5 {
		t.Errorf("the failing URL got %d requests, want 5", got)
	}
	failing.checkOneID(t)
	x2, err := mgr.Get(context.Background(), x.ID)
	if err != nil || x2.Delivered || !x2.DeliveryAbandoned {
		t.Errorf("experiment after abandoning: %+v (%v)", x2, err)
	}
}
