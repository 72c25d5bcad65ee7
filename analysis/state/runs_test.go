package state

import (
	"errors"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

func runCases() []suiteCase {
	return []suiteCase{
		{"RunRoundTrip", testRunRoundTrip},
		{"OneActiveRunPerExperiment", testOneActiveRun},
		{"ListRunsNewestFirst", testListRunsOrder},
		{"LatestRunsOnePerExperiment", testLatestRuns},
		{"SetRunStatus", testSetRunStatus},
	}
}

func testRunRoundTrip(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	createExperiments(t, s, 2)

	// Times in another zone and with nanoseconds come back in UTC,
	// truncated to microseconds; JSON comes back exactly.
	zone := time.FixedZone("IST", 5*3600+1800)
	running := testRun("e0", "r0", t0.Add(time.Minute).In(zone))
	running.StartedAt = t0.In(zone)
	running.LeaseOwner, running.LeaseUntil = "a", t0.Add(time.Hour)

	v := testVerdict("e1", judges.OutcomeFail)
	ended := t0.Add(2 * time.Hour)
	done := testRun("e1", "r1", t0)
	done.Status, done.Verdict, done.EndedAt, done.NextIndex = analysis.RunCompleted, &v, &ended, 7
	done.State = nil
	aborted := testRun("e0", "r2", t0)
	aborted.Status, aborted.Verdict, aborted.EndedAt = analysis.RunAborted, &v, &ended

	for _, r := range []analysis.Run{running, done, aborted} {
		if err := s.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetRun(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(t, "run "+r.ID, got, storedRun(r))
		if got.StartedAt.Location() != time.UTC || got.NextDue.Nanosecond()%1000 != 0 {
			t.Fatalf("StartedAt %v, NextDue %v: want UTC microseconds", got.StartedAt, got.NextDue)
		}
	}
	got, _ := s.GetRun(ctx, "r0")
	if string(got.State) != string(running.State) {
		t.Fatalf("state %s, want the bytes %s", got.State, running.State)
	}
	if _, err := s.GetRun(ctx, "nope"); !errors.Is(err, analysis.ErrNotFound) {
		t.Fatalf("get unknown run: %v, want ErrNotFound", err)
	}
	if _, err := s.ListIntervals(ctx, "nope", -1, 1000); !errors.Is(err, analysis.ErrNotFound) {
		t.Fatalf("intervals of unknown run: %v, want ErrNotFound", err)
	}
	if ivs, err := s.ListIntervals(ctx, "r0", -1, 1000); err != nil || len(ivs) != 0 {
		t.Fatalf("new run has %d intervals (err %v)", len(ivs), err)
	}
	badStatus, noStart := testRun("e0", "r3", t0), testRun("e0", "r4", t0)
	badStatus.Status, noStart.StartedAt = "finished", time.Time{}
	for _, bad := range []analysis.Run{badStatus, noStart} {
		if err := s.CreateRun(ctx, bad); err == nil {
			t.Fatalf("invalid run created: %s", asJSON(bad))
		}
	}
}

func testOneActiveRun(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	createExperiments(t, s, 2)
	if err := s.CreateRun(ctx, testRun("e0", "r0", t0)); err != nil {
		t.Fatal(err)
	}
	paused := testRun("e0", "r1", t0)
	paused.Status = analysis.RunPaused
	completed := testRun("e0", "r2", t0)
	completed.Status = analysis.RunCompleted
	tests := []struct {
		name string
		run  analysis.Run
		want error
	}{
		{"second running run", testRun("e0", "r1", t0), analysis.ErrConflict},
		{"paused run beside a running one", paused, analysis.ErrConflict},
		{"same run ID", testRun("e1", "r0", t0), analysis.ErrConflict},
		{"ended run beside the active one", completed, nil},
		{"active run of another experiment", testRun("e1", "r3", t0), nil},
	}
	for _, tt := range tests {
		if err := s.CreateRun(ctx, tt.run); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	// Once the active run ended, a new one may start.
	if err := s.SetRunStatus(ctx, "r0", analysis.RunAborted, time.Time{}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRun(ctx, testRun("e0", "r4", t0)); err != nil {
		t.Fatalf("new run after abort: %v", err)
	}
}

func testListRunsOrder(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	createExperiments(t, s, 2)
	for i, id := range []string{"old", "mid", "new"} {
		r := testRun("e0", id, t0)
		r.CreatedAt = t0.Add(time.Duration(i) * time.Minute)
		if id != "new" {
			r.Status = analysis.RunCompleted
		}
		if err := s.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	runs, err := s.ListRuns(ctx, "e0")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	mustEqual(t, "runs newest first", ids, []string{"new", "mid", "old"})
	if runs, err := s.ListRuns(ctx, "e1"); err != nil || len(runs) != 0 {
		t.Fatalf("experiment without runs: %d runs, err %v", len(runs), err)
	}
}

func testSetRunStatus(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	createExperiments(t, s, 1)
	if err := s.CreateRun(ctx, testRun("e0", "r0", t0)); err != nil {
		t.Fatal(err)
	}
	final := testVerdict("e0", judges.OutcomeInconclusive)
	later := t0.Add(10 * time.Minute)
	steps := []struct {
		name    string
		status  analysis.RunStatus
		nextDue time.Time
		final   *analysis.Verdict
		want    error
		check   func(analysis.Run) bool
	}{
		{"pause", analysis.RunPaused, time.Time{}, nil, nil,
			func(r analysis.Run) bool { return r.Status == analysis.RunPaused && r.NextDue.Equal(stored(t0)) }},
		{"pause again", analysis.RunPaused, time.Time{}, nil, nil,
			func(r analysis.Run) bool { return r.Status == analysis.RunPaused }},
		{"resume keeping NextDue", analysis.RunRunning, time.Time{}, nil, nil,
			func(r analysis.Run) bool { return r.Status == analysis.RunRunning && r.NextDue.Equal(stored(t0)) }},
		{"resume with NextDue", analysis.RunRunning, later, nil, nil,
			func(r analysis.Run) bool { return r.NextDue.Equal(stored(later)) }},
		{"complete is not a status change", analysis.RunCompleted, time.Time{}, &final, errors.New("any"),
			func(r analysis.Run) bool { return r.Status == analysis.RunRunning }},
		{"abort", analysis.RunAborted, time.Time{}, &final, nil,
			func(r analysis.Run) bool {
				return r.Status == analysis.RunAborted && r.EndedAt != nil && r.EndedAt.Equal(stored(t0)) &&
					asJSON(r.Verdict) == asJSON(final)
			}},
		{"resume after abort", analysis.RunRunning, later, nil, analysis.ErrConflict,
			func(r analysis.Run) bool { return r.Status == analysis.RunAborted }},
		{"abort after abort", analysis.RunAborted, time.Time{}, nil, analysis.ErrConflict,
			func(r analysis.Run) bool { return r.Verdict != nil }},
	}
	for _, st := range steps {
		err := s.SetRunStatus(ctx, "r0", st.status, st.nextDue, st.final)
		switch {
		case st.want == nil && err != nil:
			t.Fatalf("%s: %v", st.name, err)
		case st.want != nil && err == nil:
			t.Fatalf("%s: succeeded, want an error", st.name)
		case errors.Is(st.want, analysis.ErrConflict) && !errors.Is(err, analysis.ErrConflict):
			t.Fatalf("%s: %v, want ErrConflict", st.name, err)
		}
		r, err := s.GetRun(ctx, "r0")
		if err != nil {
			t.Fatal(err)
		}
		if !st.check(r) {
			t.Fatalf("%s: run is now %s", st.name, asJSON(r))
		}
	}
	if err := s.SetRunStatus(ctx, "nope", analysis.RunPaused, time.Time{}, nil); !errors.Is(err, analysis.ErrNotFound) {
		t.Fatalf("unknown run: %v, want ErrNotFound", err)
	}
}
