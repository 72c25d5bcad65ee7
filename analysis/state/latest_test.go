package state

import (
	"sort"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
)

// testLatestRuns: one run per experiment, the newest (ties broken by ID
// as ListRuns orders them); an experiment without runs has none.
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
		r.Status = analysis.RunCompleted
		if err := s.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	runs, err := s.LatestRuns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range runs {
		got = append(got, r.ExperimentID+"/"+r.ID)
	}
	sort.Strings(got)
	mustEqual(t, "latest runs", got, []string{"e0/new", "e1/b"})
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
