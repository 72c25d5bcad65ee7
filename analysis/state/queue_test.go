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

func queueCases() []suiteCase {
	return []suiteCase{
		{"YieldQueuesBehindRunsDueBefore", testYieldQueue},
		{"IntervalPages", testIntervalPages},
		{"MigrationQueuesExistingRuns", testMigrationQueuesExistingRuns},
		{"MigrationLeavesEndedRunsOutOfTheQueue", testMigrationEndedRunsLeaveQueue},
		{"NewRunsKeepLegacyDeliveryColumnsAtDefaults", testLegacyDeliveryColumns},
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
	// A run aborted while leased leaves the queue when its holder yields.
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
	mustEqual(t, "claimed five minutes later", ids(claimed), []string{"later", "backlog"})
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
// are queued by the migrations: running ones at their NextDue; ended ones,
// delivered or not, are never claimed.
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
	mustEqual(t, "claimed after the migrations", ids(claimed), []string{"running"})
}

// applyMigrationsUpTo opens db without a Store and applies its migrations
// up to version, for rows written as an older augur wrote them.
func applyMigrationsUpTo(t *testing.T, db testDB, version int) *sql.Conn {
	t.Helper()
	ctx := testCtx(t)
	raw, err := db.raw(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	conn, err := raw.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := conn.ExecContext(ctx, db.d.createMigrationsTable); err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations(migrationFiles, "migrations/"+db.d.name)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:version] {
		if applied, err := applyMigration(ctx, conn, db.d, m, t0); err != nil || !applied {
			t.Fatalf("apply %04d_%s: %v", m.version, m.name, err)
		}
	}
	return conn
}

// testMigrationEndedRunsLeaveQueue: runs an older augur left ended with
// their verdict's per-run delivery pending, retrying or abandoned (queued
// by sched_at for it) are read as they are and never claimed once the
// store is migrated (0006); the running run is.
func testMigrationEndedRunsLeaveQueue(t *testing.T, db testDB) {
	ctx := testCtx(t)
	conn := applyMigrationsUpTo(t, db, 5)
	spec, _ := jsonArg("spec", testSpec("e0"))
	final := testVerdict("e0", judges.OutcomePass)
	verdict, _ := jsonArg("verdict", final)
	tm := func(d time.Duration) any { return db.d.timeArg(storedTime(t0.Add(d))) }
	for _, id := range []string{"e0", "e1"} {
		if _, err := conn.ExecContext(ctx, `INSERT INTO experiments (id, spec, created_at, updated_at, version)
			VALUES ($1, $2, $3, $3, 1)`, id, spec, tm(0)); err != nil {
			t.Fatal(err)
		}
	}
	failing := `[{"sink":"webhook","target":"http://127.0.0.1:9/a","ok":false,"error":"HTTP 503","at":"2026-01-01T00:00:00Z","attempts":2}]`
	for _, r := range []struct {
		id, exp, status, deliveries string
		sched                       any
		delivered, abandoned        bool
		attempts                    int
	}{
		{"running", "e0", "running", "[]", tm(-time.Minute), false, false, 0},
		{"paused", "e1", "paused", "[]", tm(-time.Hour), false, false, 0},
		{"pending", "e0", "completed", "[]", tm(-2 * time.Minute), false, false, 0},
		{"retrying", "e0", "aborted", failing, tm(-30 * time.Second), false, false, 2},
		{"abandoned", "e1", "completed", failing, tm(-time.Hour), false, true, 9},
		{"delivered", "e1", "completed", "[]", tm(-time.Hour), true, false, 1},
	} {
		v, ended := any(verdict), tm(-3*time.Minute)
		if r.status == "running" || r.status == "paused" {
			v, ended = nil, nil
		}
		if _, err := conn.ExecContext(ctx, `INSERT INTO runs (id, experiment_id, spec, status, started_at, next_index, next_due,
			verdict, deliveries, delivered, created_at, updated_at, ended_at, sched_at, delivery_attempts, delivery_abandoned)
			VALUES ($1, $12, $2, $3, $4, 0, $5, $6, $7, $8, $4, $4, $9, $5, $10, $11)`,
			r.id, spec, r.status, tm(-3*time.Hour), r.sched, v, r.deliveries, r.delivered, ended, r.attempts, r.abandoned, r.exp); err != nil {
			t.Fatalf("insert %s: %v", r.id, err)
		}
	}
	conn.Close()

	s := db.store(t)
	// Now, and a day later (the lease of the first claim expired).
	for _, at := range []time.Time{t0, t0.Add(24 * time.Hour)} {
		claimed, err := s.ClaimDue(ctx, "a", at, time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(t, "claimed at "+at.Format(time.RFC3339), ids(claimed), []string{"running"})
	}
	got, err := s.GetRun(ctx, "retrying")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != analysis.RunAborted || asJSON(got.Verdict) != asJSON(final) || got.EndedAt == nil {
		t.Fatalf("legacy ended run read as %s", asJSON(got))
	}
}

// testLegacyDeliveryColumns: runs written now leave the older per-run
// delivery columns at their defaults, ended or not, within the
// constraints of migrations 0001 and 0002.
func testLegacyDeliveryColumns(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	r := startRun(t, s, "a", time.Minute)
	final := testVerdict("e0", judges.OutcomePass)
	done, res0 := advance(r, 0)
	done.Status, done.Verdict = analysis.RunCompleted, &final
	if err := s.CommitInterval(ctx, "a", done, res0); err != nil {
		t.Fatal(err)
	}
	createExperimentsFrom(t, s, 1)
	aborted := testRun("e1", "r1", t0)
	aborted.Status, aborted.Verdict, aborted.EndedAt = analysis.RunAborted, &final, ptr(t0)
	if err := s.CreateRun(ctx, aborted); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"r0", "r1"} {
		var (
			deliveries         string
			delivered, abandon bool
			attempts           int
		)
		if err := s.read.QueryRowContext(ctx, `SELECT deliveries, delivered, delivery_attempts, delivery_abandoned
			FROM runs WHERE id = $1`, id).Scan(&deliveries, &delivered, &attempts, &abandon); err != nil {
			t.Fatal(err)
		}
		if deliveries != "[]" || delivered || attempts != 0 || abandon {
			t.Fatalf("run %s: deliveries %s, delivered %v, attempts %d, abandoned %v: want the defaults",
				id, deliveries, delivered, attempts, abandon)
		}
	}
}
