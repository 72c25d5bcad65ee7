package state

import (
	"sort"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
)

// testLatestRuns: one run per experiment, the newest (ties broken by ID
// as ListRuns orders them), if it is active or ended since the time
// asked; an experiment without runs has none.
func testLatestRuns(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	createExperiments(t, s, 3)
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
	for _, id := range []string{"a", "b"} { // same creation time
		r := testRun("e1", id, t0)
		r.Status, r.EndedAt = analysis.RunCompleted, ptr(t0.Add(time.Hour))
		if err := s.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	latest := func(since time.Time) []string {
		t.Helper()
		runs, err := s.LatestRuns(ctx, since)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range runs {
			got = append(got, r.ExperimentID+"/"+r.ID)
		}
		sort.Strings(got)
		return got
	}
	mustEqual(t, "latest runs", latest(time.Time{}), []string{"e0/new", "e1/b"})
	mustEqual(t, "ended in time", latest(t0.Add(time.Hour)), []string{"e0/new", "e1/b"})
	mustEqual(t, "ended before", latest(t0.Add(time.Hour+time.Second)), []string{"e0/new"})
	runs, err := s.LatestRuns(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []string{"e0", "e1"} {
		list, err := s.ListRuns(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			if r.ExperimentID == e && r.ID != list[0].ID {
				t.Errorf("%s: LatestRuns has %s, ListRuns lists %s first", e, r.ID, list[0].ID)
			}
		}
	}
}
