package state

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

func commitCases() []suiteCase {
	return []suiteCase{
		{"CommitIntervalAtMostOnce", testCommitIntervalOnce},
		{"CommitIntervalLostLeaseWritesNothing", testCommitLostLease},
		{"CommitIntervalAfterPauseOrAbort", testCommitAfterPause},
		{"FinalVerdictEndsTheRun", testFinalVerdictEndsRun},
	}
}

// startRun stores experiment e0 with a running run r0 due at t0 and
// claims it for owner until t0+lease.
func startRun(t *testing.T, s *Store, owner string, lease time.Duration) analysis.Run {
	t.Helper()
	createExperiments(t, s, 1)
	if err := s.CreateRun(testCtx(t), testRun("e0", "r0", t0)); err != nil {
		t.Fatal(err)
	}
	return claimOne(t, s, owner, t0, lease)
}

// advance is r after judging interval i: the next one due a minute later.
func advance(r analysis.Run, i int) (analysis.Run, analysis.IntervalResult) {
	r.NextIndex, r.NextDue = i+1, t0.Add(time.Duration(i+1)*time.Minute)
	r.State = json.RawMessage(`{"judged":` + string(rune('0'+i)) + `}`)
	v := testVerdict("e0", judges.OutcomePass)
	v.Window = analysis.TimeRange{Start: t0.Add(time.Duration(i) * time.Minute), End: r.NextDue}
	return r, analysis.IntervalResult{Index: i, Verdict: v}
}

func testCommitIntervalOnce(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	r := startRun(t, s, "a", time.Hour)

	r1, res0 := advance(r, 0)
	if err := s.CommitInterval(ctx, "a", r1, res0); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetRun(ctx, "r0")
	want := storedRun(r1)
	want.UpdatedAt = stored(t0)
	mustEqual(t, "run after commit", got, want)

	// The same interval again, even with a newer run state, changes nothing.
	r2, _ := advance(r1, 1)
	if err := s.CommitInterval(ctx, "a", r2, res0); !errors.Is(err, analysis.ErrConflict) {
		t.Fatalf("interval 0 twice: %v, want ErrConflict", err)
	}
	got, _ = s.GetRun(ctx, "r0")
	mustEqual(t, "run after refused commit", got, want)

	// Recorded out of order, listed in index order.
	r3, res2 := advance(r2, 2)
	_, res1 := advance(r1, 1)
	res1.Replica, res1.CreatedAt = "replica-1", t0.Add(90*time.Second)
	for _, c := range []struct {
		r   analysis.Run
		res analysis.IntervalResult
	}{{r3, res2}, {r2, res1}} {
		if err := s.CommitInterval(ctx, "a", c.r, c.res); err != nil {
			t.Fatal(err)
		}
	}
	ivs, err := s.ListIntervals(ctx, "r0", -1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	res0.RunID, res0.Replica, res0.CreatedAt = "r0", "a", stored(t0)
	res1.RunID, res1.CreatedAt = "r0", stored(res1.CreatedAt)
	res2.RunID, res2.Replica, res2.CreatedAt = "r0", "a", stored(t0)
	mustEqual(t, "intervals", ivs, []analysis.IntervalResult{res0, res1, res2})

	other := res0
	other.RunID = "r9"
	if err := s.CommitInterval(ctx, "a", r3, other); err == nil {
		t.Fatal("a result of another run was committed")
	}
}

func testCommitLostLease(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	r := startRun(t, s, "a", time.Minute)
	before, _ := s.GetRun(ctx, "r0")
	r1, res0 := advance(r, 0)

	checkUnchanged := func(what string) {
		t.Helper()
		got, _ := s.GetRun(ctx, "r0")
		if got.NextIndex != 0 || string(got.State) != string(before.State) || !got.UpdatedAt.Equal(before.UpdatedAt) {
			t.Fatalf("%s: run changed: %s", what, asJSON(got))
		}
		if ivs, _ := s.ListIntervals(ctx, "r0", -1, 1000); len(ivs) != 0 {
			t.Fatalf("%s: %d intervals written", what, len(ivs))
		}
	}

	// Expired, nobody took it over: still lost.
	db.clock.Add(time.Minute)
	if err := s.CommitInterval(ctx, "a", r1, res0); !errors.Is(err, analysis.ErrLeaseLost) {
		t.Fatalf("commit on an expired lease: %v, want ErrLeaseLost", err)
	}
	checkUnchanged("expired lease")

	// Taken over by b.
	claimOne(t, s, "b", t0.Add(time.Minute), time.Minute)
	if err := s.CommitInterval(ctx, "a", r1, res0); !errors.Is(err, analysis.ErrLeaseLost) {
		t.Fatalf("commit on b's lease: %v, want ErrLeaseLost", err)
	}
	checkUnchanged("lease taken over")
	if err := s.CommitInterval(ctx, "nobody", r1, res0); !errors.Is(err, analysis.ErrLeaseLost) {
		t.Fatalf("commit without ever holding a lease: %v, want ErrLeaseLost", err)
	}
	r1.ID = "nope"
	if err := s.CommitInterval(ctx, "a", r1, analysis.IntervalResult{}); !errors.Is(err, analysis.ErrNotFound) {
		t.Fatalf("commit on an unknown run: %v, want ErrNotFound", err)
	}
}

func testCommitAfterPause(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	r := startRun(t, s, "a", time.Hour)
	r1, res0 := advance(r, 0)

	if err := s.SetRunStatus(ctx, "r0", analysis.RunPaused, time.Time{}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.CommitInterval(ctx, "a", r1, res0); !errors.Is(err, analysis.ErrConflict) {
		t.Fatalf("commit on a paused run: %v, want ErrConflict", err)
	}
	final := testVerdict("e0", judges.OutcomeInconclusive)
	if err := s.SetRunStatus(ctx, "r0", analysis.RunAborted, time.Time{}, &final); err != nil {
		t.Fatal(err)
	}
	if err := s.CommitInterval(ctx, "a", r1, res0); !errors.Is(err, analysis.ErrConflict) {
		t.Fatalf("commit on an aborted run: %v, want ErrConflict", err)
	}
	got, _ := s.GetRun(ctx, "r0")
	if got.Status != analysis.RunAborted || got.NextIndex != 0 || got.LeaseOwner != "a" {
		t.Fatalf("after refused commits: %s", asJSON(got))
	}
	if ivs, _ := s.ListIntervals(ctx, "r0", -1, 1000); len(ivs) != 0 {
		t.Fatalf("%d intervals written to a paused or aborted run", len(ivs))
	}
	// The lease holder gives the lease up; the aborted run is never
	// claimed again.
	if err := s.ReleaseLease(ctx, "r0", "a"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ClaimDue(ctx, "b", t0.Add(24*time.Hour), time.Minute, 10); len(got) != 0 {
		t.Fatalf("an aborted run was claimed: %v", ids(got))
	}
}

// testFinalVerdictEndsRun: the final interval's commit ends the run with
// its verdict and the verdict's outbox event; the run is never claimed
// again, not even once the lease of a holder that died expired.
func testFinalVerdictEndsRun(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	r := startRun(t, s, "a", time.Minute)
	final := testVerdict("e0", judges.OutcomeFail)
	done, res0 := advance(r, 0)
	done.Status, done.Verdict, done.NextDue = analysis.RunCompleted, &final, time.Time{}
	db.clock.Add(10 * time.Second)
	if err := s.CommitInterval(ctx, "a", done, res0); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetRun(ctx, "r0")
	if got.Status != analysis.RunCompleted || got.EndedAt == nil || !got.EndedAt.Equal(stored(t0.Add(10*time.Second))) ||
		!got.NextDue.Equal(stored(t0)) || got.NextIndex != 1 ||
		asJSON(got.Verdict) != asJSON(final) || got.LeaseOwner != "a" {
		t.Fatalf("after the final interval: %s", asJSON(got))
	}
	evs, err := s.PendingEvents(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []analysis.OutboxKind
	for _, ev := range evs {
		kinds = append(kinds, ev.Kind)
	}
	mustEqual(t, "outbox events", kinds, []analysis.OutboxKind{analysis.OutboxRunStarted, analysis.OutboxVerdict})

	// a dies holding the lease: once it expires, nobody claims the run.
	for _, at := range []time.Duration{30 * time.Second, time.Minute, 24 * time.Hour} {
		if got, _ := s.ClaimDue(ctx, "b", t0.Add(at), time.Minute, 10); len(got) != 0 {
			t.Fatalf("b claimed %v at t0+%s: an ended run", ids(got), at)
		}
	}
	if got, _ := s.GetRun(ctx, "r0"); got.LeaseOwner != "a" || asJSON(got.Verdict) != asJSON(final) {
		t.Fatalf("after the claims: %s", asJSON(got))
	}
}
