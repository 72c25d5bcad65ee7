package state

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
)

// testDelivery is a delivery of experiment exp created at created, with a
// message whose spacing and number text the store must keep.
func testDelivery(id, exp string, created time.Time) analysis.OutboxDelivery {
	return analysis.OutboxDelivery{
		ID: id, Receiver: "hook", ExperimentID: exp, RunID: exp + "-r", Event: "verdict",
		Message:   json.RawMessage(`{"z": 1.50, "a": ["ü", null]}`),
		CreatedAt: created,
	}
}

// pendingDelivery is d as CommitRouting stores it at store time now.
func pendingDelivery(d analysis.OutboxDelivery, now time.Time) analysis.OutboxDelivery {
	if d.CreatedAt.IsZero() {
		d.CreatedAt = now
	}
	if d.NextAttempt.IsZero() {
		d.NextAttempt = d.CreatedAt
	}
	d.CreatedAt, d.NextAttempt, d.UpdatedAt = stored(d.CreatedAt), stored(d.NextAttempt), stored(now)
	d.Status = analysis.DeliveryPending
	return d
}

func mustGetDelivery(t *testing.T, s *Store, id string) analysis.OutboxDelivery {
	t.Helper()
	d, err := s.GetDelivery(testCtx(t), id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// addEvents stores run_started events of runs of experiment e0 at t0.
func addEvents(t *testing.T, s *Store, runs ...string) []string {
	t.Helper()
	ctx := testCtx(t)
	var ids []string
	for _, r := range runs {
		ev := outboxEvent("e0", r, analysis.OutboxRunStarted, -1, t0)
		if err := s.inTx(ctx, func(tx *sql.Tx) error { return s.addOutboxEvents(ctx, tx, ev) }); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ev.ID)
	}
	return ids
}

// testRouterLease: one owner routes at a time; a renewal keeps the lease,
// expiry hands it over with the state last committed, and a stale owner
// writes nothing.
func testRouterLease(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	createExperiments(t, s, 1)
	evs := addEvents(t, s, "r1", "r2")
	acquire := func(owner string, now time.Time) (string, bool) {
		t.Helper()
		state, ok, err := s.AcquireRouter(ctx, owner, now, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return string(state), ok
	}

	if state, ok := acquire("a", t0); !ok || state != "" {
		t.Fatalf("a on a new database: ok %t, state %q; want the lease and no state", ok, state)
	}
	if _, ok := acquire("b", t0.Add(30*time.Second)); ok {
		t.Fatal("b took the router a holds")
	}
	if _, ok := acquire("a", t0.Add(30*time.Second)); !ok {
		t.Fatal("a could not renew its lease")
	}

	stale := analysis.RoutingCommit{Routed: evs, Deliveries: []analysis.OutboxDelivery{testDelivery("d1", "e0", t0)},
		State: json.RawMessage(`{"by":"b"}`)}
	if err := s.CommitRouting(ctx, "b", stale); !errors.Is(err, analysis.ErrLeaseLost) {
		t.Fatalf("b's commit: %v, want ErrLeaseLost", err)
	}
	if n := countRows(t, s, "outbox_deliveries"); n != 0 || len(eventsOf(t, s, "e0")) != 2 {
		t.Fatalf("b's refused commit wrote: %d deliveries, events pending %v", n, eventsOf(t, s, "e0"))
	}

	state := `{"groups": {"team=pay": 1.50}}`
	if err := s.CommitRouting(ctx, "a", analysis.RoutingCommit{Routed: evs[:1], State: json.RawMessage(state)}); err != nil {
		t.Fatal(err)
	}
	// a renewed until t0+1m30s: its commits are refused by the Store's
	// clock from then on, even before anyone else takes the lease.
	db.clock.set(t0.Add(90 * time.Second))
	if err := s.CommitRouting(ctx, "a", stale); !errors.Is(err, analysis.ErrLeaseLost) {
		t.Fatalf("a's commit after expiry: %v, want ErrLeaseLost", err)
	}
	// b's clock decides when b may take it.
	if _, ok := acquire("b", t0.Add(89*time.Second)); ok {
		t.Fatal("b took the router before a's renewed lease expired")
	}
	got, ok := acquire("b", t0.Add(90*time.Second))
	if !ok || got != state {
		t.Fatalf("b after expiry: ok %t, state %q; want the lease and %q", ok, got, state)
	}
	if err := s.CommitRouting(ctx, "a", stale); !errors.Is(err, analysis.ErrLeaseLost) {
		t.Fatalf("a's commit with b holding the lease: %v, want ErrLeaseLost", err)
	}
	if err := s.ReleaseRouter(ctx, "a"); !errors.Is(err, analysis.ErrLeaseLost) {
		t.Fatalf("a releasing b's lease: %v, want ErrLeaseLost", err)
	}
	mustEqual(t, "events pending", eventsOf(t, s, "e0"), []analysis.OutboxEvent{outboxEvent("e0", "r2", analysis.OutboxRunStarted, -1, stored(t0))})

	// Released, the router is free at once; an empty State keeps the
	// stored one.
	if err := s.ReleaseRouter(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseRouter(ctx, "b"); !errors.Is(err, analysis.ErrLeaseLost) {
		t.Fatalf("b releasing twice: %v, want ErrLeaseLost", err)
	}
	if got, ok := acquire("c", t0.Add(91*time.Second)); !ok || got != state {
		t.Fatalf("c after release: ok %t, state %q", ok, got)
	}
	if err := s.CommitRouting(ctx, "c", analysis.RoutingCommit{Routed: evs[1:]}); err != nil {
		t.Fatal(err)
	}
	if got, ok := acquire("c", t0.Add(92*time.Second)); !ok || got != state {
		t.Fatalf("c renewing: ok %t, state %q; want %q kept", ok, got, state)
	}
	if pending := eventsOf(t, s, "e0"); len(pending) != 0 {
		t.Fatalf("events pending after routing: %v", pending)
	}
}

// testRouterLeaseRace: owners on two Stores racing for the router, first
// for its row (none yet), then for an expired lease: one wins each round.
func testRouterLeaseRace(t *testing.T, db testDB) {
	const owners = 8
	stores := []*Store{db.store(t), db.store(t)}
	ctx := testCtx(t)
	for round, now := range []time.Time{t0, t0.Add(2 * time.Minute)} {
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			won  []string
			errs []error
		)
		for i := range owners {
			owner := fmt.Sprintf("owner-%d-%d", round, i)
			wg.Go(func() {
				_, ok, err := stores[i%2].AcquireRouter(ctx, owner, now, time.Minute)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
				}
				if ok {
					won = append(won, owner)
				}
			})
		}
		wg.Wait()
		if len(errs) > 0 || len(won) != 1 {
			t.Fatalf("round %d: won by %v, errors %v; want one owner", round, won, errs)
		}
	}
}

// testCommitRoutingAtomic: a routing pass is written whole or not at all;
// a delivery whose ID is stored is left alone; deliveries of an experiment
// that is gone are dropped; bad deliveries refuse the commit.
func testCommitRoutingAtomic(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	createExperiments(t, s, 1)
	evs := addEvents(t, s, "r1", "r2", "r3")
	now := stored(t0.Add(time.Second))
	db.clock.set(now)
	if _, ok, err := s.AcquireRouter(ctx, "a", t0, time.Hour); err != nil || !ok {
		t.Fatalf("acquire: %t %v", ok, err)
	}
	state := func() string {
		t.Helper()
		got, ok, err := s.AcquireRouter(ctx, "a", t0, time.Hour)
		if err != nil || !ok {
			t.Fatalf("renew: %t %v", ok, err)
		}
		return string(got)
	}

	d1 := testDelivery("d1", "e0", t0.Add(-time.Minute))
	d2 := testDelivery("d2", "e0", time.Time{})
	d2.NextAttempt = t0.Add(5 * time.Minute)
	gone := testDelivery("d-gone", "no-such-experiment", t0)
	if err := s.CommitRouting(ctx, "a", analysis.RoutingCommit{Routed: evs[:1], Deliveries: []analysis.OutboxDelivery{d1, d2, gone},
		State: json.RawMessage(`{"pass":1}`)}); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "d1", mustGetDelivery(t, s, "d1"), pendingDelivery(d1, now))
	mustEqual(t, "d2", mustGetDelivery(t, s, "d2"), pendingDelivery(d2, now))
	if _, err := s.GetDelivery(ctx, "d-gone"); !errors.Is(err, analysis.ErrNotFound) {
		t.Fatalf("delivery of a missing experiment: %v, want it dropped", err)
	}

	// Idempotent: d1 again (another receiver, another message) stays as
	// it was; events routed before are no error.
	again := testDelivery("d1", "e0", t0)
	again.Receiver, again.Message = "other", json.RawMessage(`{}`)
	d3 := testDelivery("d3", "e0", t0)
	if err := s.CommitRouting(ctx, "a", analysis.RoutingCommit{Routed: evs[:2], Deliveries: []analysis.OutboxDelivery{again, d3},
		State: json.RawMessage(`{"pass":2}`)}); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "d1 after a second insert", mustGetDelivery(t, s, "d1"), pendingDelivery(d1, now))
	mustEqual(t, "d3", mustGetDelivery(t, s, "d3"), pendingDelivery(d3, now))

	// Atomic: the database refuses the last insert, and neither the event
	// marked routed, nor the delivery before, nor the state is kept.
	failOnReceiver(t, s, "boom")
	d4, boom := testDelivery("d4", "e0", t0), testDelivery("d5", "e0", t0)
	boom.Receiver = "boom"
	if err := s.CommitRouting(ctx, "a", analysis.RoutingCommit{Routed: evs[2:], Deliveries: []analysis.OutboxDelivery{d4, boom},
		State: json.RawMessage(`{"pass":3}`)}); err == nil {
		t.Fatal("commit with a refused insert succeeded")
	}
	if _, err := s.GetDelivery(ctx, "d4"); !errors.Is(err, analysis.ErrNotFound) {
		t.Fatalf("d4 of the failed commit: %v, want ErrNotFound", err)
	}
	mustEqual(t, "events pending after the failed commit", eventsOf(t, s, "e0"),
		[]analysis.OutboxEvent{outboxEvent("e0", "r3", analysis.OutboxRunStarted, -1, stored(t0))})
	if got := state(); got != `{"pass":2}` {
		t.Fatalf("state after the failed commit %s, want pass 2", got)
	}

	// Bad input refuses the whole commit before anything is written.
	bad := []func(*analysis.OutboxDelivery){
		func(d *analysis.OutboxDelivery) { d.ID = "" },
		func(d *analysis.OutboxDelivery) { d.Receiver = "" },
		func(d *analysis.OutboxDelivery) { d.ExperimentID = "" },
		func(d *analysis.OutboxDelivery) { d.Message = json.RawMessage(`{"a":`) },
		func(d *analysis.OutboxDelivery) { d.Message = nil },
	}
	for i, edit := range bad {
		d := testDelivery(fmt.Sprintf("bad%d", i), "e0", t0)
		edit(&d)
		err := s.CommitRouting(ctx, "a", analysis.RoutingCommit{Routed: evs[2:], Deliveries: []analysis.OutboxDelivery{d4, d}})
		if err == nil {
			t.Fatalf("bad delivery %d accepted", i)
		}
	}
	if err := s.CommitRouting(ctx, "a", analysis.RoutingCommit{State: json.RawMessage(`{`)}); err == nil {
		t.Fatal("a state that is not JSON was accepted")
	}
	if n := countRows(t, s, "outbox_deliveries"); n != 3 || len(eventsOf(t, s, "e0")) != 1 || state() != `{"pass":2}` {
		t.Fatalf("refused commits wrote: %d deliveries (want 3), events %v", n, eventsOf(t, s, "e0"))
	}
}

// failOnReceiver makes the database refuse inserting a delivery to
// receiver, with a trigger.
func failOnReceiver(t *testing.T, s *Store, receiver string) {
	t.Helper()
	stmt := `CREATE TRIGGER refuse_receiver BEFORE INSERT ON outbox_deliveries
		WHEN NEW.receiver = '` + receiver + `' BEGIN SELECT RAISE(ABORT, 'refused'); END`
	if s.d.name == "postgres" {
		stmt = `CREATE FUNCTION refuse_receiver() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				IF NEW.receiver = '` + receiver + `' THEN RAISE EXCEPTION 'refused'; END IF;
				RETURN NEW;
			END $$;
			CREATE TRIGGER refuse_receiver BEFORE INSERT ON outbox_deliveries
				FOR EACH ROW EXECUTE FUNCTION refuse_receiver();`
	}
	if _, err := s.write.ExecContext(testCtx(t), stmt); err != nil {
		t.Fatal(err)
	}
}
