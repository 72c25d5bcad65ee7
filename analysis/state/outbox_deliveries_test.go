package state

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
)

// addDeliveries stores deliveries of experiment e0 due at the given
// offsets from t0, named by key.
func addDeliveries(t *testing.T, s *Store, due map[string]time.Duration) {
	t.Helper()
	var ds []analysis.OutboxDelivery
	for id, off := range due {
		d := testDelivery(id, "e0", t0.Add(-time.Hour))
		d.NextAttempt = t0.Add(off)
		ds = append(ds, d)
	}
	route(t, s, analysis.RoutingCommit{Deliveries: ds})
}

func claimIDs(t *testing.T, s *Store, owner string, now time.Time, lease time.Duration, limit int, skip ...string) []string {
	t.Helper()
	got, err := s.ClaimDeliveries(testCtx(t), owner, now, lease, limit, skip)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, d := range got {
		if len(d.History) != 0 || d.Status != analysis.DeliveryPending {
			t.Fatalf("claimed %+v: want pending, without history", d)
		}
		out = append(out, d.ID)
	}
	return out
}

// testClaimDeliveries: due deliveries in NextAttempt then ID order, none
// before its NextAttempt, leased ones skipped until their lease expires,
// delivered ones never.
func testClaimDeliveries(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	createExperiments(t, s, 1)
	addDeliveries(t, s, map[string]time.Duration{"late": time.Second, "c": 0, "b": 0, "early": -time.Minute})

	if got := claimIDs(t, s, "a", t0, time.Minute, 0); len(got) != 0 {
		t.Fatalf("limit 0 claimed %v", got)
	}
	mustEqual(t, "a's claim at t0", claimIDs(t, s, "a", t0, time.Minute, 10), []string{"early", "b", "c"})
	mustEqual(t, "b's claim at t0", claimIDs(t, s, "b", t0, time.Minute, 10), []string{})
	mustEqual(t, "b's claim at t0+1s", claimIDs(t, s, "b", t0.Add(time.Second), time.Minute, 10), []string{"late"})
	// At t0+1m a's leases have expired (lease_until <= now), b's not.
	mustEqual(t, "c's claim at t0+1m, limit 2", claimIDs(t, s, "c", t0.Add(time.Minute), time.Minute, 2), []string{"early", "b"})
	mustEqual(t, "c's next claim", claimIDs(t, s, "c", t0.Add(time.Minute), time.Minute, 10), []string{"c"})

	db.clock.set(t0.Add(time.Minute))
	if err := s.CommitAttempt(ctx, "c", succeeded("early", t0.Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "claim an hour later", claimIDs(t, s, "d", t0.Add(time.Hour), time.Minute, 10), []string{"b", "c", "late"})
	if _, err := s.ClaimDeliveries(ctx, "", t0, time.Minute, 1, nil); err == nil {
		t.Fatal("empty owner accepted")
	}
	if _, err := s.ClaimDeliveries(ctx, "x", t0, 0, 1, nil); err == nil {
		t.Fatal("zero lease accepted")
	}
}

// testClaimDeliveriesSkip: deliveries to the receivers a claim skips stay
// where they are, for the next claim that does not skip them.
func testClaimDeliveriesSkip(t *testing.T, db testDB) {
	s := db.store(t)
	createExperiments(t, s, 1)
	var ds []analysis.OutboxDelivery
	for i, r := range []string{"down", "up", "down", "other"} {
		d := testDelivery(fmt.Sprintf("d%d", i), "e0", t0.Add(-time.Hour))
		d.Receiver, d.NextAttempt = r, t0
		ds = append(ds, d)
	}
	route(t, s, analysis.RoutingCommit{Deliveries: ds})
	mustEqual(t, "claim skipping down", claimIDs(t, s, "a", t0, time.Minute, 10, "down"), []string{"d1", "d3"})
	mustEqual(t, "claim skipping nothing", claimIDs(t, s, "b", t0, time.Minute, 10), []string{"d0", "d2"})
	mustEqual(t, "a name with a quote", claimIDs(t, s, "c", t0.Add(time.Hour), time.Minute, 10, `x"y`, "up", "other"), []string{"d0", "d2"})
}

// succeeded is a successful attempt at at.
func succeeded(id string, at time.Time) analysis.AttemptOutcome {
	return analysis.AttemptOutcome{DeliveryID: id, Status: analysis.DeliveryDelivered,
		Attempt: analysis.DeliveryAttempt{At: at, OK: true, DurationMS: 3}}
}

// retry is a failed attempt at at, due again at next.
func retry(id string, at, next time.Time, msg string) analysis.AttemptOutcome {
	return analysis.AttemptOutcome{DeliveryID: id, Status: analysis.DeliveryPending, NextAttempt: next,
		Attempt: analysis.DeliveryAttempt{At: at, Error: msg, DurationMS: 1500}}
}

// dead is a permanent failure at at.
func dead(id string, at time.Time, msg string) analysis.AttemptOutcome {
	return analysis.AttemptOutcome{DeliveryID: id, Status: analysis.DeliveryDead,
		Attempt: analysis.DeliveryAttempt{At: at, Error: msg, Permanent: true, DurationMS: 7}}
}

// testClaimDeliveriesConcurrent: claimers on two Stores drain 200 due
// deliveries; each goes to exactly one of them.
func testClaimDeliveriesConcurrent(t *testing.T, db testDB) {
	const (
		deliveries = 200
		claimers   = 8
	)
	stores := []*Store{db.store(t), db.store(t)}
	createExperiments(t, stores[0], 1)
	due := map[string]time.Duration{}
	for i := range deliveries {
		due[fmt.Sprintf("d%03d", i)] = -time.Duration(i) * time.Second
	}
	addDeliveries(t, stores[1], due)
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		claims = map[string][]string{}
		errs   []error
	)
	for c := range claimers {
		owner := fmt.Sprintf("owner-%d", c)
		wg.Go(func() {
			for {
				got, err := stores[c%2].ClaimDeliveries(testCtx(t), owner, t0, time.Hour, 7, nil)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				}
				for _, d := range got {
					claims[d.ID] = append(claims[d.ID], owner)
				}
				mu.Unlock()
				if err != nil || len(got) == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if len(claims) != deliveries {
		t.Fatalf("%d deliveries claimed, want %d", len(claims), deliveries)
	}
	for id, owners := range claims {
		if len(owners) != 1 {
			t.Fatalf("delivery %s claimed by %v", id, owners)
		}
	}
}

// testCommitAttempt: a failed attempt queues the delivery for its next
// attempt and frees it; a success delivers it; a permanent failure
// dead-letters it. Every attempt is in the history, oldest first.
func testCommitAttempt(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	createExperiments(t, s, 1)
	addDeliveries(t, s, map[string]time.Duration{"d1": 0, "d2": 0})
	created := mustGetDelivery(t, s, "d1")
	mustEqual(t, "claimed", claimIDs(t, s, "a", t0, time.Minute, 10), []string{"d1", "d2"})

	at1 := stored(t0.Add(time.Second))
	db.clock.set(t0.Add(2 * time.Second))
	if err := s.CommitAttempt(ctx, "a", retry("d1", at1, t0.Add(30*time.Second), "503 Service Unavailable")); err != nil {
		t.Fatal(err)
	}
	want := created
	want.Attempts, want.NextAttempt, want.LastError, want.UpdatedAt = 1, stored(t0.Add(30*time.Second)), "503 Service Unavailable", stored(t0.Add(2*time.Second))
	want.History = []analysis.DeliveryAttempt{{N: 1, At: at1, Replica: "a", Error: "503 Service Unavailable", DurationMS: 1500}}
	mustEqual(t, "after a failed attempt", mustGetDelivery(t, s, "d1"), want)

	mustEqual(t, "claim before the next attempt", claimIDs(t, s, "b", t0.Add(29*time.Second), time.Minute, 10), []string{})
	mustEqual(t, "claim at the next attempt", claimIDs(t, s, "b", t0.Add(30*time.Second), time.Minute, 10), []string{"d1"})
	at2 := stored(t0.Add(31 * time.Second))
	db.clock.set(t0.Add(32 * time.Second))
	ok := succeeded("d1", at2)
	ok.Attempt.N, ok.Attempt.Replica = 2, "replica-b"
	if err := s.CommitAttempt(ctx, "b", ok); err != nil {
		t.Fatal(err)
	}
	want.Status, want.Attempts, want.NextAttempt, want.LastError = analysis.DeliveryDelivered, 2, time.Time{}, ""
	want.UpdatedAt, want.DeliveredAt = stored(t0.Add(32*time.Second)), &at2
	want.History = append(want.History, analysis.DeliveryAttempt{N: 2, At: at2, Replica: "replica-b", OK: true, DurationMS: 3})
	mustEqual(t, "after delivery", mustGetDelivery(t, s, "d1"), want)

	// A zero attempt time is the Store's now.
	if err := s.CommitAttempt(ctx, "a", dead("d2", time.Time{}, "400 Bad Request: no such channel")); err != nil {
		t.Fatal(err)
	}
	got := mustGetDelivery(t, s, "d2")
	if got.Status != analysis.DeliveryDead || got.Attempts != 1 || !got.NextAttempt.IsZero() || got.DeliveredAt != nil ||
		got.LastError != "400 Bad Request: no such channel" {
		t.Fatalf("after a permanent failure: %s", asJSON(got))
	}
	mustEqual(t, "dead letter's history", got.History, []analysis.DeliveryAttempt{
		{N: 1, At: stored(t0.Add(32 * time.Second)), Replica: "a", Error: "400 Bad Request: no such channel", Permanent: true, DurationMS: 7},
	})
	mustEqual(t, "claim an hour later", claimIDs(t, s, "c", t0.Add(time.Hour), time.Minute, 10), []string{})
}

// testCommitAttemptRefused: an attempt by a replica that does not hold the
// lease, on an unknown delivery, numbered wrong or with an inconsistent
// outcome, writes nothing.
func testCommitAttemptRefused(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	createExperiments(t, s, 1)
	addDeliveries(t, s, map[string]time.Duration{"d1": 0})
	mustEqual(t, "claimed", claimIDs(t, s, "a", t0, time.Minute, 10), []string{"d1"})
	before := mustGetDelivery(t, s, "d1")
	next := t0.Add(time.Hour)

	numbered := succeeded("d1", t0)
	numbered.Attempt.N = 5
	cases := []struct {
		name    string
		owner   string
		clock   time.Duration // the Store's clock past t0
		o       analysis.AttemptOutcome
		wantErr error // nil: any error
	}{
		{"another owner", "b", 0, succeeded("d1", t0), analysis.ErrLeaseLost},
		{"the lease expired", "a", time.Minute, succeeded("d1", t0), analysis.ErrLeaseLost},
		{"unknown delivery", "a", 0, succeeded("nope", t0), analysis.ErrNotFound},
		{"attempt numbered wrong", "a", 0, numbered, analysis.ErrConflict},
		{"delivered by a failed attempt", "a", 0, func() analysis.AttemptOutcome {
			o := succeeded("d1", t0)
			o.Attempt.OK = false
			return o
		}(), nil},
		{"ok but pending", "a", 0, func() analysis.AttemptOutcome {
			o := retry("d1", t0, next, "")
			o.Attempt.OK = true
			return o
		}(), nil},
		{"pending without a next attempt", "a", 0, retry("d1", t0, time.Time{}, "x"), nil},
		{"dead with a next attempt", "a", 0, func() analysis.AttemptOutcome {
			o := dead("d1", t0, "x")
			o.NextAttempt = next
			return o
		}(), nil},
		{"unknown status", "a", 0, analysis.AttemptOutcome{DeliveryID: "d1", Status: "lost"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db.clock.set(t0.Add(c.clock))
			err := s.CommitAttempt(ctx, c.owner, c.o)
			if err == nil || (c.wantErr != nil && !errors.Is(err, c.wantErr)) {
				t.Fatalf("got %v, want %v", err, c.wantErr)
			}
			mustEqual(t, "delivery after a refused attempt", mustGetDelivery(t, s, "d1"), before)
		})
	}
	db.clock.set(t0)
	if err := s.CommitAttempt(ctx, "a", succeeded("d1", t0)); err != nil {
		t.Fatal(err)
	}
	if err := s.CommitAttempt(ctx, "a", succeeded("d1", t0)); !errors.Is(err, analysis.ErrLeaseLost) {
		t.Fatalf("a second commit of a delivered delivery: %v, want ErrLeaseLost", err)
	}
	if d := mustGetDelivery(t, s, "d1"); d.Attempts != 1 || len(d.History) != 1 {
		t.Fatalf("after a refused second commit: %s", asJSON(d))
	}
}

// testRetryDelivery: a dead letter becomes pending, due at the given time,
// with its history; other deliveries are refused.
func testRetryDelivery(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	createExperiments(t, s, 1)
	addDeliveries(t, s, map[string]time.Duration{"dead": 0, "done": 0, "pending": 0})
	claimIDs(t, s, "a", t0, time.Minute, 2)
	if err := s.CommitAttempt(ctx, "a", dead("dead", t0, "401 Unauthorized")); err != nil {
		t.Fatal(err)
	}
	if err := s.CommitAttempt(ctx, "a", succeeded("done", t0)); err != nil {
		t.Fatal(err)
	}
	wasDead := mustGetDelivery(t, s, "dead")

	db.clock.set(t0.Add(time.Hour))
	got, err := s.RetryDelivery(ctx, "dead", t0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := wasDead
	want.Status, want.NextAttempt, want.UpdatedAt = analysis.DeliveryPending, stored(t0.Add(2*time.Hour)), stored(t0.Add(time.Hour))
	mustEqual(t, "retried", got, want)
	mustEqual(t, "stored after retry", mustGetDelivery(t, s, "dead"), want)
	mustEqual(t, "claim at the retry's time", claimIDs(t, s, "b", t0.Add(2*time.Hour), time.Minute, 10), []string{"pending", "dead"})

	for id, wantErr := range map[string]error{"dead": analysis.ErrNotDead, "done": analysis.ErrNotDead,
		"pending": analysis.ErrNotDead, "nope": analysis.ErrNotFound} {
		if _, err := s.RetryDelivery(ctx, id, t0); !errors.Is(err, wantErr) {
			t.Fatalf("retry %s: %v, want %v", id, err, wantErr)
		}
	}
}

// testListDeliveries: an experiment's deliveries newest first, each with
// its history oldest first; none of another experiment's.
func testListDeliveries(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	createExperiments(t, s, 3)
	ds := []analysis.OutboxDelivery{
		testDelivery("old-a", "e0", t0), testDelivery("old-b", "e0", t0),
		testDelivery("new", "e0", t0.Add(time.Minute)), testDelivery("other", "e1", t0.Add(time.Hour)),
	}
	route(t, s, analysis.RoutingCommit{Deliveries: ds})
	for n := range 3 {
		now := t0.Add(time.Duration(n+1) * time.Hour)
		db.clock.set(now)
		claimIDs(t, s, "a", now, time.Minute, 10)
		for _, d := range ds[n:] {
			if err := s.CommitAttempt(ctx, "a", retry(d.ID, now, now.Add(time.Hour), fmt.Sprintf("attempt %d", n+1))); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := s.ListDeliveries(ctx, "e0")
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "list", got, []analysis.OutboxDelivery{mustGetDelivery(t, s, "new"), mustGetDelivery(t, s, "old-b"), mustGetDelivery(t, s, "old-a")})
	for i, d := range got {
		want := 3 - i // new had 3 attempts, old-b 2, old-a 1
		if d.Attempts != want || len(d.History) != want {
			t.Fatalf("%s: %d attempts, history %s; want %d", d.ID, d.Attempts, asJSON(d.History), want)
		}
		for n, a := range d.History {
			if a.N != n+1 || a.Error != fmt.Sprintf("attempt %d", n+1) {
				t.Fatalf("%s: history %s, want oldest first", d.ID, asJSON(d.History))
			}
		}
	}
	if got, err := s.ListDeliveries(ctx, "e2"); err != nil || len(got) != 0 {
		t.Fatalf("experiment without deliveries: %v, %v", got, err)
	}
	if _, err := s.ListDeliveries(ctx, "nope"); !errors.Is(err, analysis.ErrNotFound) {
		t.Fatalf("unknown experiment: %v, want ErrNotFound", err)
	}
	if _, err := s.GetDelivery(ctx, "nope"); !errors.Is(err, analysis.ErrNotFound) {
		t.Fatalf("unknown delivery: %v, want ErrNotFound", err)
	}
}

// testOutboxCascade: deleting an experiment deletes its outbox events,
// deliveries and their attempts, and no other experiment's.
func testOutboxCascade(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	createExperiments(t, s, 2)
	for _, e := range []string{"e0", "e1"} {
		if err := s.CreateRun(ctx, testRun(e, e+"-r", t0)); err != nil {
			t.Fatal(err)
		}
	}
	route(t, s, analysis.RoutingCommit{Deliveries: []analysis.OutboxDelivery{testDelivery("d0", "e0", t0), testDelivery("d1", "e1", t0)}})
	claimIDs(t, s, "a", t0, time.Minute, 10)
	for _, id := range []string{"d0", "d1"} {
		if err := s.CommitAttempt(ctx, "a", dead(id, t0, "410 Gone")); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteExperiment(ctx, "e0"); err != nil {
		t.Fatal(err)
	}
	for table, want := range map[string]int{"outbox_events": 1, "outbox_deliveries": 1, "outbox_attempts": 1} {
		if n := countRows(t, s, table); n != want {
			t.Fatalf("%s: %d rows left, want %d", table, n, want)
		}
	}
	if _, err := s.GetDelivery(ctx, "d0"); !errors.Is(err, analysis.ErrNotFound) {
		t.Fatalf("d0 after its experiment's deletion: %v", err)
	}
	if d := mustGetDelivery(t, s, "d1"); len(d.History) != 1 || len(eventsOf(t, s, "e1")) != 1 {
		t.Fatalf("e1's outbox after e0's deletion: %s, events %v", asJSON(d), eventsOf(t, s, "e1"))
	}
}
