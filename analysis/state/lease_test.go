package state

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

func leaseCases() []suiteCase {
	return []suiteCase{
		{"ClaimDue", testClaimDue},
		{"ClaimDueLimit", testClaimDueLimit},
		{"LeaseExpiryTakeover", testLeaseExpiryTakeover},
		{"RenewLease", testRenewLease},
		{"ReleaseLease", testReleaseLease},
	}
}

func testClaimDue(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	createExperiments(t, s, 6)
	v := testVerdict("e5", judges.OutcomePass)
	runs := []struct {
		run  analysis.Run
		edit func(*analysis.Run)
	}{
		{testRun("e0", "due", t0.Add(-time.Minute)), nil},
		{testRun("e1", "due-now", t0), nil},
		{testRun("e2", "not-yet", t0.Add(time.Second)), nil},
		{testRun("e3", "paused", t0.Add(-time.Hour)), func(r *analysis.Run) { r.Status = analysis.RunPaused }},
		{testRun("e4", "leased", t0.Add(-time.Hour)), func(r *analysis.Run) { r.LeaseOwner, r.LeaseUntil = "x", t0.Add(time.Second) }},
		{testRun("e5", "lease-expired", t0.Add(-30*time.Second)), func(r *analysis.Run) { r.LeaseOwner, r.LeaseUntil = "x", t0 }},
		// Ended runs are never claimed, whatever their NextDue, end or
		// lease: their verdict left through the outbox when they ended.
		{testRun("e5", "completed", t0.Add(-time.Hour)), func(r *analysis.Run) {
			r.Status, r.Verdict, r.EndedAt = analysis.RunCompleted, &v, ptr(t0.Add(-10*time.Second))
		}},
		{testRun("e5", "aborted", t0.Add(-time.Hour)), func(r *analysis.Run) { r.Status, r.EndedAt = analysis.RunAborted, ptr(t0.Add(-2*time.Hour)) }},
		{testRun("e5", "ended-lease-expired", t0.Add(-time.Hour)), func(r *analysis.Run) {
			r.Status, r.LeaseOwner, r.LeaseUntil = analysis.RunCompleted, "x", t0.Add(-time.Minute)
		}},
		{testRun("e5", "ended-leased", t0.Add(-time.Hour)), func(r *analysis.Run) {
			r.Status, r.LeaseOwner, r.LeaseUntil = analysis.RunCompleted, "x", t0.Add(time.Minute)
		}},
	}
	for _, c := range runs {
		r := c.run
		if c.edit != nil {
			c.edit(&r)
		}
		if err := s.CreateRun(ctx, r); err != nil {
			t.Fatalf("create %s: %v", r.ID, err)
		}
	}

	claimed, err := s.ClaimDue(ctx, "a", t0, time.Minute, 100)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "claimed, earliest due first", ids(claimed), []string{"due", "lease-expired", "due-now"})
	for _, r := range claimed {
		if r.LeaseOwner != "a" || !r.LeaseUntil.Equal(stored(t0.Add(time.Minute))) {
			t.Fatalf("claimed %s leased to %q until %v, want a until t0+1m", r.ID, r.LeaseOwner, r.LeaseUntil)
		}
		stored, _ := s.GetRun(ctx, r.ID)
		mustEqual(t, "claimed run "+r.ID, r, stored)
	}
	if again, err := s.ClaimDue(ctx, "b", t0, time.Minute, 100); err != nil || len(again) != 0 {
		t.Fatalf("second claimer got %v (err %v), want nothing", ids(again), err)
	}
	// A second later the not-yet-due run and the one leased until then
	// are due; the fresh leases are not, and the ended runs never are.
	later, err := s.ClaimDue(ctx, "b", t0.Add(time.Second), time.Minute, 100)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "claimed a second later", ids(later), []string{"leased", "not-yet"})
	// A day later, every lease expired: the running runs only.
	late, err := s.ClaimDue(ctx, "c", t0.Add(24*time.Hour), time.Minute, 100)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "claimed a day later", ids(late), []string{"leased", "due", "lease-expired", "due-now", "not-yet"})
}

func testClaimDueLimit(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	createExperiments(t, s, 5)
	for i := range 5 {
		if err := s.CreateRun(ctx, testRun(fmt.Sprintf("e%d", i), fmt.Sprintf("r%d", i), t0.Add(-time.Duration(i)*time.Minute))); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, limit := range []int{2, 2, 2, 2} {
		claimed, err := s.ClaimDue(ctx, "a", t0, time.Hour, limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(claimed) > limit {
			t.Fatalf("limit %d, claimed %d", limit, len(claimed))
		}
		got = append(got, ids(claimed)...)
	}
	mustEqual(t, "claims in due order", got, []string{"r4", "r3", "r2", "r1", "r0"})
	if claimed, err := s.ClaimDue(ctx, "a", t0.Add(2*time.Hour), time.Hour, 0); err != nil || len(claimed) != 0 {
		t.Fatalf("limit 0 claimed %d (err %v)", len(claimed), err)
	}
	if _, err := s.ClaimDue(ctx, "a", t0, 0, 1); err == nil {
		t.Fatal("a zero lease was accepted")
	}
	if _, err := s.ClaimDue(ctx, "", t0, time.Minute, 1); err == nil {
		t.Fatal("an empty owner was accepted")
	}
}

func testLeaseExpiryTakeover(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	createExperiments(t, s, 1)
	if err := s.CreateRun(ctx, testRun("e0", "r0", t0)); err != nil {
		t.Fatal(err)
	}
	a := claimOne(t, s, "a", t0, time.Minute)
	if got, _ := s.ClaimDue(ctx, "b", t0.Add(59*time.Second), time.Minute, 10); len(got) != 0 {
		t.Fatalf("b took %v before a's lease expired", ids(got))
	}
	b := claimOne(t, s, "b", t0.Add(time.Minute), time.Minute)

	db.clock.Add(time.Minute)
	next := a
	next.NextIndex, next.NextDue = 1, t0.Add(time.Minute)
	if err := s.CommitInterval(ctx, "a", next, analysis.IntervalResult{Index: 0}); !errors.Is(err, analysis.ErrLeaseLost) {
		t.Fatalf("a commits after b took over: %v, want ErrLeaseLost", err)
	}
	if err := s.RenewLease(ctx, "r0", "a", t0.Add(time.Hour)); !errors.Is(err, analysis.ErrLeaseLost) {
		t.Fatalf("a renews after b took over: %v, want ErrLeaseLost", err)
	}
	next = b
	next.NextIndex, next.NextDue = 1, t0.Add(time.Minute)
	if err := s.CommitInterval(ctx, "b", next, analysis.IntervalResult{Index: 0}); err != nil {
		t.Fatalf("b commits: %v", err)
	}
	ivs, _ := s.ListIntervals(ctx, "r0", -1, 1000)
	if len(ivs) != 1 || ivs[0].Replica != "b" {
		t.Fatalf("intervals %s, want one by b", asJSON(ivs))
	}
}

func testRenewLease(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	createExperiments(t, s, 1)
	if err := s.CreateRun(ctx, testRun("e0", "r0", t0)); err != nil {
		t.Fatal(err)
	}
	claimOne(t, s, "a", t0, time.Minute)
	db.clock.Add(50 * time.Second)
	if err := s.RenewLease(ctx, "r0", "a", t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.GetRun(ctx, "r0"); !r.LeaseUntil.Equal(stored(t0.Add(2 * time.Minute))) {
		t.Fatalf("lease until %v after renewal, want t0+2m", r.LeaseUntil)
	}
	if got, _ := s.ClaimDue(ctx, "b", t0.Add(90*time.Second), time.Minute, 10); len(got) != 0 {
		t.Fatalf("b took the renewed lease: %v", ids(got))
	}
	if err := s.RenewLease(ctx, "r0", "b", t0.Add(time.Hour)); !errors.Is(err, analysis.ErrLeaseLost) {
		t.Fatalf("b renews a's lease: %v, want ErrLeaseLost", err)
	}
	db.clock.Add(70 * time.Second) // t0+2m: expired, nobody took it
	if err := s.RenewLease(ctx, "r0", "a", t0.Add(time.Hour)); !errors.Is(err, analysis.ErrLeaseLost) {
		t.Fatalf("renew an expired lease: %v, want ErrLeaseLost", err)
	}
	if err := s.RenewLease(ctx, "nope", "a", t0.Add(time.Hour)); !errors.Is(err, analysis.ErrNotFound) {
		t.Fatalf("renew on an unknown run: %v, want ErrNotFound", err)
	}
}

func testReleaseLease(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	createExperiments(t, s, 1)
	if err := s.CreateRun(ctx, testRun("e0", "r0", t0)); err != nil {
		t.Fatal(err)
	}
	claimOne(t, s, "a", t0, time.Hour)
	if err := s.ReleaseLease(ctx, "r0", "b"); !errors.Is(err, analysis.ErrLeaseLost) {
		t.Fatalf("b releases a's lease: %v, want ErrLeaseLost", err)
	}
	if err := s.ReleaseLease(ctx, "r0", "a"); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.GetRun(ctx, "r0"); r.LeaseOwner != "" || !r.LeaseUntil.IsZero() {
		t.Fatalf("after release: lease %q until %v", r.LeaseOwner, r.LeaseUntil)
	}
	if err := s.ReleaseLease(ctx, "r0", "a"); !errors.Is(err, analysis.ErrLeaseLost) {
		t.Fatalf("release twice: %v, want ErrLeaseLost", err)
	}
	claimOne(t, s, "b", t0, time.Hour) // at once, long before a's hour ended
	if err := s.ReleaseLease(ctx, "nope", "a"); !errors.Is(err, analysis.ErrNotFound) {
		t.Fatalf("release on an unknown run: %v, want ErrNotFound", err)
	}
}

// claimOne claims and expects exactly one run.
func claimOne(t *testing.T, s *Store, owner string, now time.Time, lease time.Duration) analysis.Run {
	t.Helper()
	got, err := s.ClaimDue(testCtx(t), owner, now, lease, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%s claimed %v, want one run", owner, ids(got))
	}
	return got[0]
}

func ids(runs []analysis.Run) []string {
	out := []string{}
	for _, r := range runs {
		out = append(out, r.ID)
	}
	return out
}
