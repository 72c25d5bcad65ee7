package state

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

func queueCases() []suiteCase {
	return []suiteCase{
		{"YieldQueuesBehindRunsDueBefore", testYieldQueue},
		{"DeliveryRetryIsQueued", testDeliveryRetry},
		{"IntervalPages", testIntervalPages},
		{"MigrationQueuesExistingRuns", testMigrationQueuesExistingRuns},
	}
}

// testYieldQueue: a run that yields with intervals still due goes behind
// the runs due before it yielded, though its NextDue is earlier; a commit
// queues it at its NextDue again.
func testYieldQueue(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	createExperiments(t, s, 3)
	for _, r := range []analysis.Run{
		testRun("e0", "backlog", t0.Add(-time.Hour)),
		testRun("e1", "on-time", t0.Add(-time.Minute)),
		testRun("e2", "later", t0.Add(time.Minute)),
	} {
		if err := s.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	claimed, err := s.ClaimDue(ctx, "a", t0, time.Hour, 1)
	if err != nil || len(claimed) != 1 || claimed[0].ID != "backlog" {
		t.Fatalf("first claim: %v (err %v), want the backlog", ids(claimed), err)
	}
	// One interval of the backlog judged; the next is still due.
	next := claimed[0]
	next.NextIndex, next.NextDue = 1, t0.Add(-59*time.Minute)
	if err := s.CommitInterval(ctx, "a", next, analysis.IntervalResult{Index: 0}); err != nil {
		t.Fatal(err)
	}
	if err := s.YieldLease(ctx, "backlog", "b", t0); !errors.Is(err, analysis.ErrLeaseLost) {
		t.Fatalf("b yields a's lease: %v, want ErrLeaseLost", err)
	}
	if err := s.YieldLease(ctx, "backlog", "a", t0); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.GetRun(ctx, "backlog"); r.LeaseOwner != "" || !r.NextDue.Equal(stored(t0.Add(-59*time.Minute))) {
		t.Fatalf("after yielding: %s", asJSON(r))
	}
	if err := s.YieldLease(ctx, "backlog", "a", t0); !errors.Is(err, analysis.ErrLeaseLost) {
		t.Fatalf("yield twice: %v, want ErrLeaseLost", err)
	}
	claimed, err = s.ClaimDue(ctx, "b", t0, time.Hour, 10)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "claimed after the yield", ids(claimed), []string{"on-time", "backlog"})
	for _, id := range ids(claimed) {
		if err := s.ReleaseLease(ctx, id, "b"); err != nil {
			t.Fatal(err)
		}
	}
	// Released, not yielded: each keeps its place; the later run comes
	// behind the yielded one.
	claimed, _ = s.ClaimDue(ctx, "b", t0.Add(2*time.Minute), time.Hour, 10)
	mustEqual(t, "claimed two minutes later", ids(claimed), []string{"on-time", "backlog", "later"})

	// A commit that catches the backlog up queues it at its NextDue; a
	// yield never queues a run before its NextDue.
	next, _ = s.GetRun(ctx, "backlog")
	next.NextIndex, next.NextDue = 2, t0.Add(5*time.Minute)
	if err := s.CommitInterval(ctx, "b", next, analysis.IntervalResult{Index: 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.YieldLease(ctx, "backlog", "b", t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ClaimDue(ctx, "c", t0.Add(5*time.Minute-time.Microsecond), time.Hour, 10); len(got) != 0 {
		t.Fatalf("claimed %v before the caught-up run's next interval is due", ids(got))
	}
	// A run aborted while leased keeps its place for delivery when its
	// holder yields.
	final := testVerdict("e1", judges.OutcomeInconclusive)
	if err := s.SetRunStatus(ctx, "on-time", analysis.RunAborted, time.Time{}, &final); err != nil {
		t.Fatal(err)
	}
	if err := s.YieldLease(ctx, "on-time", "b", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseLease(ctx, "later", "b"); err != nil {
		t.Fatal(err)
	}
	claimed, _ = s.ClaimDue(ctx, "c", t0.Add(5*time.Minute), time.Hour, 10)
	mustEqual(t, "claimed five minutes later", ids(claimed), []string{"on-time", "later", "backlog"})
}

// testDeliveryRetry: an attempt that left targets failing records them and
// queues the run for its next attempt, not before; an abandoned delivery
// is never claimed again and is not delivered.
func testDeliveryRetry(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	r := startRun(t, s, "a", time.Minute)
	final := testVerdict("e0", judges.OutcomeFail)
	done, res0 := advance(r, 0)
	done.Status, done.Verdict = analysis.RunCompleted, &final
	db.clock.Add(10 * time.Second)
	if err := s.CommitInterval(ctx, "a", done, res0); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetRun(ctx, "r0"); got.NextDelivery == nil || !got.NextDelivery.Equal(stored(t0.Add(10*time.Second))) {
		t.Fatalf("an ended run is due for delivery when it ends: %s", asJSON(got))
	}
	before, _ := s.GetRun(ctx, "r0")
	for _, bad := range []analysis.DeliveryOutcome{
		{Attempts: 1},
		{Attempts: 1, Delivered: true, Abandoned: true},
		{Attempts: 1, Delivered: true, NextAttempt: t0.Add(time.Minute)},
	} {
		if err := s.CommitDeliveries(ctx, "a", "r0", bad); err == nil {
			t.Fatalf("outcome %+v accepted", bad)
		}
	}
	if got, _ := s.GetRun(ctx, "r0"); asJSON(got) != asJSON(before) {
		t.Fatalf("a refused outcome changed the run: %s", asJSON(got))
	}

	ds := []analysis.Delivery{
		{Sink: "webhook", Target: "http://127.0.0.1:9/a", OK: true, At: t0.Add(11 * time.Second), Attempts: 1},
		{Sink: "webhook", Target: "http://127.0.0.1:9/b", Error: "HTTP 503: busy", At: t0.Add(12 * time.Second), Attempts: 1},
		{Sink: "webhook", Target: "http://127.0.0.1:9/c", Refused: true, Error: "HTTP 410: gone", At: t0.Add(12 * time.Second), Attempts: 1},
	}
	retry := t0.Add(40 * time.Second)
	if err := s.CommitDeliveries(ctx, "a", "r0", analysis.DeliveryOutcome{Deliveries: ds, Attempts: 1, NextAttempt: retry}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetRun(ctx, "r0")
	if got.Delivered || got.DeliveryAbandoned || got.DeliveryAttempts != 1 || got.NextDelivery == nil ||
		!got.NextDelivery.Equal(stored(retry)) || got.LeaseOwner != "" {
		t.Fatalf("after a failed attempt: %s", asJSON(got))
	}
	mustEqual(t, "deliveries", got.Deliveries, ds)
	if got, _ := s.ClaimDue(ctx, "b", retry.Add(-time.Microsecond), time.Minute, 10); len(got) != 0 {
		t.Fatalf("claimed %v before the next attempt is due", ids(got))
	}
	b := claimOne(t, s, "b", retry, time.Minute)
	if b.DeliveryAttempts != 1 || len(b.Deliveries) != 3 {
		t.Fatalf("b claimed %s", asJSON(b))
	}
	db.clock.Add(30 * time.Second)
	if err := s.CommitDeliveries(ctx, "b", "r0", analysis.DeliveryOutcome{Deliveries: ds, Attempts: 2, Abandoned: true}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetRun(ctx, "r0")
	if got.Delivered || !got.DeliveryAbandoned || got.DeliveryAttempts != 2 || got.NextDelivery != nil || got.LeaseOwner != "" {
		t.Fatalf("after abandoning: %s", asJSON(got))
	}
	if got, _ := s.ClaimDue(ctx, "c", t0.Add(48*time.Hour), time.Minute, 10); len(got) != 0 {
		t.Fatalf("an abandoned delivery was claimed: %v", ids(got))
	}
}

// testIntervalPages: intervals are read a page at a time after an index,
// and the latest alone.
func testIntervalPages(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	r := startRun(t, s, "a", time.Hour)
	var all []analysis.IntervalResult
	for i := range 5 {
		next, res := advance(r, i)
		if err := s.CommitInterval(ctx, "a", next, res); err != nil {
			t.Fatal(err)
		}
		res.RunID, res.Replica, res.CreatedAt = "r0", "a", stored(t0)
		all = append(all, res)
		r = next
	}
	for _, tt := range []struct {
		after, limit int
		want         []analysis.IntervalResult
	}{
		{-1, 2, all[:2]},
		{1, 2, all[2:4]},
		{3, 2, all[4:]},
		{4, 2, nil},
		{10, 2, nil},
		{-1, 100, all},
		{2, 1, all[3:4]},
	} {
		got, err := s.ListIntervals(ctx, "r0", tt.after, tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(t, fmt.Sprintf("page after %d limit %d", tt.after, tt.limit), got, tt.want)
	}
	if _, err := s.ListIntervals(ctx, "r0", -1, 0); err == nil {
		t.Error("limit 0 was accepted")
	}
	if _, err := s.ListIntervals(ctx, "nope", -1, 10); !errors.Is(err, analysis.ErrNotFound) {
		t.Errorf("page of an unknown run: %v, want ErrNotFound", err)
	}

	latest, ok, err := s.LatestInterval(ctx, "r0")
	if err != nil || !ok {
		t.Fatalf("latest: ok %v, err %v", ok, err)
	}
	mustEqual(t, "latest interval", latest, all[4])
	createExperimentsFrom(t, s, 1)
	if err := s.CreateRun(ctx, testRun("e1", "fresh", t0)); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.LatestInterval(ctx, "fresh"); ok || err != nil {
		t.Errorf("latest of a run without intervals: ok %v, err %v", ok, err)
	}
	if _, _, err := s.LatestInterval(ctx, "nope"); !errors.Is(err, analysis.ErrNotFound) {
		t.Errorf("latest of an unknown run: %v, want ErrNotFound", err)
	}
}

// createExperimentsFrom stores n more experiments after e0: e1, e2...
func createExperimentsFrom(t *testing.T, s *Store, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		e := testExperiment(fmt.Sprintf("e%d", i), t0.Add(time.Duration(i)*time.Second))
		if err := s.CreateExperiment(testCtx(t), e); err != nil {
			t.Fatal(err)
		}
	}
}

// testMigrationQueuesExistingRuns: runs written before the queue existed
// are queued by the migration: running ones at their NextDue, ended ones
// with their verdict undelivered for delivery at their end.
func testMigrationQueuesExistingRuns(t *testing.T, db testDB) {
	ctx := testCtx(t)
	raw, err := db.raw(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := raw.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, db.d.createMigrationsTable); err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations(migrationFiles, "migrations/"+db.d.name)
	if err != nil {
		t.Fatal(err)
	}
	if applied, err := applyMigration(ctx, conn, db.d, ms[0], t0); err != nil || !applied {
		t.Fatalf("apply %s: %v", ms[0].name, err)
	}
	spec, _ := jsonArg("spec", testSpec("e0"))
	verdict, _ := jsonArg("verdict", testVerdict("e0", judges.OutcomePass))
	tm := func(d time.Duration) any { return db.d.timeArg(storedTime(t0.Add(d))) }
	if _, err := conn.ExecContext(ctx, `INSERT INTO experiments (id, spec, created_at, updated_at, version)
		VALUES ('e0', $1, $2, $2, 1)`, spec, tm(0)); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct {
		id, status string
		due, ended any
		delivered  bool
	}{
		{"running", "running", tm(-time.Minute), nil, false},
		{"ended", "completed", tm(time.Hour), tm(-2 * time.Minute), false},
		{"delivered", "completed", tm(-time.Hour), tm(-time.Hour), true},
	} {
		v := any(nil)
		if r.status != "running" {
			v = verdict
		}
		if _, err := conn.ExecContext(ctx, `INSERT INTO runs (id, experiment_id, spec, status, started_at, next_index, next_due,
			verdict, delivered, created_at, updated_at, ended_at)
			VALUES ($1, 'e0', $2, $3, $4, 0, $5, $6, $7, $4, $4, $8)`,
			r.id, spec, r.status, tm(-3*time.Hour), r.due, v, r.delivered, r.ended); err != nil {
			t.Fatalf("insert %s: %v", r.id, err)
		}
	}
	conn.Close()
	raw.Close()

	s := db.store(t)
	claimed, err := s.ClaimDue(ctx, "a", t0, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "claimed after the migration", ids(claimed), []string{"ended", "running"})
	if e := claimed[0]; e.NextDelivery == nil || !e.NextDelivery.Equal(stored(t0.Add(-2*time.Minute))) || e.DeliveryAttempts != 0 || e.DeliveryAbandoned {
		t.Fatalf("ended run after the migration: %s", asJSON(e))
	}
}
