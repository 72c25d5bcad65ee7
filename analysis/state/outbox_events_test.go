package state

import (
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

func outboxCases() []suiteCase {
	return []suiteCase{
		{"OutboxEventsInTheChangesTransaction", testOutboxEventsInTx},
		{"OutboxEventOnInstanceCreation", testOutboxEventOnInstance},
		{"OutboxEventReplayIsIgnored", testOutboxEventReplay},
		{"OutboxPendingOrderAndPrune", testOutboxPendingAndPrune},
		{"RouterLease", testRouterLease},
		{"RouterLeaseOneOfManyOwners", testRouterLeaseRace},
		{"CommitRoutingAtomicAndIdempotent", testCommitRoutingAtomic},
		{"ClaimDeliveries", testClaimDeliveries},
		{"ClaimDeliveriesSkip", testClaimDeliveriesSkip},
		{"ClaimDeliveriesConcurrentlyExactlyOnce", testClaimDeliveriesConcurrent},
		{"CommitAttemptTransitions", testCommitAttempt},
		{"CommitAttemptRefused", testCommitAttemptRefused},
		{"RetryDelivery", testRetryDelivery},
		{"ListDeliveriesNewestFirstWithHistory", testListDeliveries},
		{"DeletingExperimentDeletesItsOutbox", testOutboxCascade},
	}
}

// failed is the result of interval i of r judged fail.
func failed(r analysis.Run, i int) (analysis.Run, analysis.IntervalResult) {
	next, res := advance(r, i)
	res.Verdict.Verdict = judges.OutcomeFail
	return next, res
}

// ended is r completed (or aborted) after interval i with a final verdict.
func ended(r analysis.Run, i int, status analysis.RunStatus) (analysis.Run, analysis.IntervalResult) {
	next, res := advance(r, i)
	v := testVerdict("e0", judges.OutcomeFail)
	next.Status, next.Verdict = status, &v
	return next, res
}

// testOutboxEventsInTx: each change writes its events in its own
// transaction, and a change refused writes none. Every case has its own
// experiment x<i> and run x<i>-r.
func testOutboxEventsInTx(t *testing.T, db testDB) {
	s := db.store(t)
	at := stored(t0.Add(time.Minute))
	type want struct {
		suffix string // the ID after "<run>/"
		kind   analysis.OutboxKind
		index  int
	}
	var (
		verdict      = want{"verdict", analysis.OutboxVerdict, -1}
		aborted      = want{"run_aborted", analysis.OutboxRunAborted, -1}
		intervalFail = want{"interval_failed/1", analysis.OutboxIntervalFailed, 1}
	)
	cases := []struct {
		name string
		// act changes run r, running and leased to "a" until t0+1h, at
		// store time t0+1m (its run_started event was written at t0).
		act     func(s *Store, r analysis.Run) error
		wantErr error
		want    []want
	}{
		{"interval passed, run goes on", func(s *Store, r analysis.Run) error {
			next, res := advance(r, 0)
			return s.CommitInterval(testCtx(t), "a", next, res)
		}, nil, nil},
		{"interval failed, run goes on", func(s *Store, r analysis.Run) error {
			next, res := advance(r, 0)
			if err := s.CommitInterval(testCtx(t), "a", next, res); err != nil {
				return err
			}
			next, res = failed(next, 1)
			return s.CommitInterval(testCtx(t), "a", next, res)
		}, nil, []want{intervalFail}},
		{"marginal interval, run goes on", func(s *Store, r analysis.Run) error {
			next, res := advance(r, 0)
			res.Verdict.Verdict = judges.OutcomeMarginal
			return s.CommitInterval(testCtx(t), "a", next, res)
		}, nil, nil},
		{"run completed", func(s *Store, r analysis.Run) error {
			next, res := ended(r, 0, analysis.RunCompleted)
			return s.CommitInterval(testCtx(t), "a", next, res)
		}, nil, []want{verdict}},
		{"run ended aborted by its engine on a failed interval: the verdict only", func(s *Store, r analysis.Run) error {
			next, res := ended(r, 0, analysis.RunAborted)
			res.Verdict.Verdict = judges.OutcomeFail
			return s.CommitInterval(testCtx(t), "a", next, res)
		}, nil, []want{verdict}},
		{"failed interval committed under a lost lease", func(s *Store, r analysis.Run) error {
			next, res := failed(r, 0)
			return s.CommitInterval(testCtx(t), "b", next, res)
		}, analysis.ErrLeaseLost, nil},
		{"final interval committed under an expired lease", func(s *Store, r analysis.Run) error {
			db.clock.Add(time.Hour)
			defer db.clock.Add(-time.Hour)
			next, res := ended(r, 0, analysis.RunCompleted)
			return s.CommitInterval(testCtx(t), "a", next, res)
		}, analysis.ErrLeaseLost, nil},
		{"final commit of an interval recorded already", func(s *Store, r analysis.Run) error {
			next, res := advance(r, 0)
			if err := s.CommitInterval(testCtx(t), "a", next, res); err != nil {
				return err
			}
			_, res = failed(next, 0)
			next, _ = ended(next, 1, analysis.RunCompleted)
			return s.CommitInterval(testCtx(t), "a", next, res)
		}, analysis.ErrConflict, nil},
		{"aborted by a user or an alert", func(s *Store, r analysis.Run) error {
			v := testVerdict(r.ExperimentID, judges.OutcomeInconclusive)
			return s.SetRunStatus(testCtx(t), r.ID, analysis.RunAborted, time.Time{}, &v)
		}, nil, []want{aborted, verdict}},
		{"paused, aborted", func(s *Store, r analysis.Run) error {
			if err := s.SetRunStatus(testCtx(t), r.ID, analysis.RunPaused, time.Time{}, nil); err != nil {
				return err
			}
			return s.SetRunStatus(testCtx(t), r.ID, analysis.RunAborted, time.Time{}, nil)
		}, nil, []want{aborted, verdict}},
		{"paused and resumed", func(s *Store, r analysis.Run) error {
			if err := s.SetRunStatus(testCtx(t), r.ID, analysis.RunPaused, time.Time{}, nil); err != nil {
				return err
			}
			return s.SetRunStatus(testCtx(t), r.ID, analysis.RunRunning, t0.Add(time.Hour), nil)
		}, nil, nil},
		{"abort of a run that completed", func(s *Store, r analysis.Run) error {
			next, res := ended(r, 0, analysis.RunCompleted)
			if err := s.CommitInterval(testCtx(t), "a", next, res); err != nil {
				return err
			}
			return s.SetRunStatus(testCtx(t), r.ID, analysis.RunAborted, time.Time{}, nil)
		}, analysis.ErrConflict, []want{verdict}},
		{"abort of an unknown run", func(s *Store, _ analysis.Run) error {
			return s.SetRunStatus(testCtx(t), "nope", analysis.RunAborted, time.Time{}, nil)
		}, analysis.ErrNotFound, nil},
		{"a second active run refused", func(s *Store, r analysis.Run) error {
			return s.CreateRun(testCtx(t), testRun(r.ExperimentID, "second", t0))
		}, analysis.ErrConflict, nil},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := testCtx(t)
			exp := fmt.Sprintf("x%d", i)
			r := testRun(exp, exp+"-r", t0)
			r.LeaseOwner, r.LeaseUntil = "a", t0.Add(time.Hour)
			db.clock.set(t0)
			if err := s.CreateExperiment(ctx, testExperiment(exp, t0)); err != nil {
				t.Fatal(err)
			}
			if err := s.CreateRun(ctx, r); err != nil {
				t.Fatal(err)
			}
			db.clock.set(at)
			err := c.act(s, r)
			if !errors.Is(err, c.wantErr) || (err == nil) != (c.wantErr == nil) {
				t.Fatalf("got error %v, want %v", err, c.wantErr)
			}
			evs := []analysis.OutboxEvent{
				{ID: r.ID + "/run_started", ExperimentID: exp, RunID: r.ID, Kind: analysis.OutboxRunStarted, Index: -1, At: stored(t0)},
			}
			for _, w := range c.want {
				evs = append(evs, analysis.OutboxEvent{ID: r.ID + "/" + w.suffix, ExperimentID: exp, RunID: r.ID, Kind: w.kind, Index: w.index, At: at})
			}
			mustEqual(t, "the run's outbox events", eventsOf(t, s, exp), evs)
		})
	}
}

// eventsOf returns experiment exp's unrouted outbox events, oldest first.
func eventsOf(t *testing.T, s *Store, exp string) []analysis.OutboxEvent {
	t.Helper()
	evs, err := s.PendingEvents(testCtx(t), 10000)
	if err != nil {
		t.Fatal(err)
	}
	out := []analysis.OutboxEvent{}
	for _, ev := range evs {
		if ev.ExperimentID == exp {
			out = append(out, ev)
		}
	}
	return out
}

// set sets the clock to t.
func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// testOutboxEventOnInstance: template instantiation announces the run it
// creates; a second instantiation under the same key, rolled back, does
// not.
func testOutboxEventOnInstance(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	in, e, r := newInstance("k", "tpl", "e1", nil)
	if _, created, err := s.CreateInstance(ctx, in, e, r); err != nil || !created {
		t.Fatalf("create instance: created %t, %v", created, err)
	}
	in2, e2, r2 := newInstance("k", "tpl", "e2", nil)
	if _, created, err := s.CreateInstance(ctx, in2, e2, r2); err != nil || created {
		t.Fatalf("same key again: created %t, %v", created, err)
	}
	evs, err := s.PendingEvents(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "events", evs, []analysis.OutboxEvent{
		{ID: "run-e1/run_started", ExperimentID: "e1", RunID: "run-e1", Kind: analysis.OutboxRunStarted, Index: -1, At: stored(t0)},
	})
}

// testOutboxEventReplay: an event whose ID is stored already is left as it
// was, routed or not.
func testOutboxEventReplay(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	createExperiments(t, s, 1)
	first := outboxEvent("e0", "r0", analysis.OutboxVerdict, 7, stored(t0))
	if first.ID != "r0/verdict" || first.Index != -1 {
		t.Fatalf("verdict event %+v: want ID r0/verdict and index -1", first)
	}
	failed := outboxEvent("e0", "r0", analysis.OutboxIntervalFailed, 3, stored(t0))
	if failed.ID != "r0/interval_failed/3" || failed.Index != 3 {
		t.Fatalf("interval_failed event %+v: want ID r0/interval_failed/3 and index 3", failed)
	}
	add := func(evs ...analysis.OutboxEvent) {
		t.Helper()
		if err := s.inTx(ctx, func(tx *sql.Tx) error { return s.addOutboxEvents(ctx, tx, evs...) }); err != nil {
			t.Fatal(err)
		}
	}
	add(first, failed)
	replay := first
	replay.At = t0.Add(time.Hour)
	add(replay, failed)
	mustEqual(t, "events after a replay", eventsOf(t, s, "e0"), []analysis.OutboxEvent{failed, first})

	routeEvents(t, s, first.ID)
	add(replay)
	mustEqual(t, "events after a replay of a routed one", eventsOf(t, s, "e0"), []analysis.OutboxEvent{failed})
}

// routeEvents marks events routed as a router would.
func routeEvents(t *testing.T, s *Store, ids ...string) {
	t.Helper()
	route(t, s, analysis.RoutingCommit{Routed: ids})
}

// route commits c with the router lease taken and given up around it.
func route(t *testing.T, s *Store, c analysis.RoutingCommit) {
	t.Helper()
	ctx := testCtx(t)
	if _, ok, err := s.AcquireRouter(ctx, "router", s.now(), time.Minute); err != nil || !ok {
		t.Fatalf("acquire router: ok %t, %v", ok, err)
	}
	if err := s.CommitRouting(ctx, "router", c); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseRouter(ctx, "router"); err != nil {
		t.Fatal(err)
	}
}

// testOutboxPendingAndPrune: PendingEvents pages through the unrouted
// events by time, then ID; PruneOutbox deletes routed events older than
// its cut-off and keeps unrouted ones, however old.
func testOutboxPendingAndPrune(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	createExperiments(t, s, 1)
	at := func(m int) time.Time { return stored(t0.Add(time.Duration(m) * time.Minute)) }
	evs := []analysis.OutboxEvent{
		outboxEvent("e0", "b", analysis.OutboxRunStarted, -1, at(0)),
		outboxEvent("e0", "a", analysis.OutboxRunStarted, -1, at(0)),
		outboxEvent("e0", "a", analysis.OutboxIntervalFailed, 0, at(1)),
		outboxEvent("e0", "a", analysis.OutboxVerdict, -1, at(2)),
		outboxEvent("e0", "b", analysis.OutboxVerdict, -1, at(3)),
	}
	if err := s.inTx(ctx, func(tx *sql.Tx) error { return s.addOutboxEvents(ctx, tx, evs...) }); err != nil {
		t.Fatal(err)
	}
	if got, err := s.PendingEvents(ctx, 0); err != nil || len(got) != 0 {
		t.Fatalf("limit 0: %v, %v; want nothing", got, err)
	}
	page, err := s.PendingEvents(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "first page", page, []analysis.OutboxEvent{evs[1], evs[0], evs[2]})

	routeEvents(t, s, evs[1].ID, evs[0].ID, evs[2].ID, evs[4].ID)
	mustEqual(t, "pending after routing", eventsOf(t, s, "e0"), []analysis.OutboxEvent{evs[3]})
	// Before t0+3m: the routed events of t0 and t0+1m go, the unrouted
	// one of t0+2m and the routed one of t0+3m stay.
	if n, err := s.PruneOutbox(ctx, at(3)); err != nil || n != 3 {
		t.Fatalf("prune: %d, %v; want 3", n, err)
	}
	if n := countRows(t, s, "outbox_events"); n != 2 {
		t.Fatalf("%d events left, want 2", n)
	}
	mustEqual(t, "pending after prune", eventsOf(t, s, "e0"), []analysis.OutboxEvent{evs[3]})
	if n, err := s.PruneOutbox(ctx, at(3)); err != nil || n != 0 {
		t.Fatalf("prune again: %d, %v; want 0", n, err)
	}
}
