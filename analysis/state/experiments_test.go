package state

import (
	"errors"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
)

func experimentCases() []suiteCase {
	return []suiteCase{
		{"ExperimentCRUD", testExperimentCRUD},
		{"ExperimentNotFound", testExperimentNotFound},
		{"ExperimentVersionConflict", testExperimentVersionConflict},
		{"ExperimentDefaults", testExperimentDefaults},
		{"DeleteExperimentCascades", testDeleteExperimentCascades},
	}
}

func testExperimentCRUD(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	exps := createExperiments(t, s, 3)

	got, err := s.GetExperiment(ctx, "e1")
	if err != nil {
		t.Fatal(err)
	}
	want := exps[1]
	want.CreatedAt, want.UpdatedAt = stored(want.CreatedAt), stored(want.UpdatedAt)
	mustEqual(t, "experiment", got, want)

	list, err := s.ListExperiments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range list {
		ids = append(ids, e.ID)
	}
	mustEqual(t, "experiments newest first", ids, []string{"e2", "e1", "e0"})

	if err := s.CreateExperiment(ctx, exps[0]); !errors.Is(err, analysis.ErrConflict) {
		t.Fatalf("create with an existing ID: %v, want ErrConflict", err)
	}

	if err := s.DeleteExperiment(ctx, "e1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetExperiment(ctx, "e1"); !errors.Is(err, analysis.ErrNotFound) {
		t.Fatalf("get after delete: %v, want ErrNotFound", err)
	}
	if list, _ := s.ListExperiments(ctx); len(list) != 2 {
		t.Fatalf("%d experiments after delete, want 2", len(list))
	}
}

func testExperimentNotFound(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	tests := []struct {
		name string
		call func() error
	}{
		{"get", func() error { _, err := s.GetExperiment(ctx, "nope"); return err }},
		{"update", func() error { _, err := s.UpdateExperiment(ctx, testExperiment("nope", t0)); return err }},
		{"delete", func() error { return s.DeleteExperiment(ctx, "nope") }},
		{"list runs", func() error { _, err := s.ListRuns(ctx, "nope"); return err }},
		{"create run", func() error { return s.CreateRun(ctx, testRun("nope", "r1", t0)) }},
	}
	for _, tt := range tests {
		if err := tt.call(); !errors.Is(err, analysis.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", tt.name, err)
		}
	}
	if list, err := s.ListExperiments(ctx); err != nil || len(list) != 0 {
		t.Fatalf("empty store lists %d experiments (err %v)", len(list), err)
	}
}

func testExperimentVersionConflict(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	e := createExperiments(t, s, 1)[0]

	now := db.clock.Add(time.Minute)
	e.Spec.Name = "renamed"
	updated, err := s.UpdateExperiment(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	if updated.Version != 2 || updated.Spec.Name != "renamed" || !updated.CreatedAt.Equal(stored(e.CreatedAt)) {
		t.Fatalf("updated = version %d, name %q, created %v; want 2, renamed, %v", updated.Version, updated.Spec.Name, updated.CreatedAt, e.CreatedAt)
	}
	if !updated.UpdatedAt.Equal(stored(now)) || updated.UpdatedAt.Location() != time.UTC {
		t.Fatalf("UpdatedAt %v, want the store's clock %v in UTC", updated.UpdatedAt, now)
	}
	got, _ := s.GetExperiment(ctx, e.ID)
	mustEqual(t, "stored after update", got, updated)

	// A second writer holding version 1 loses, and changes nothing.
	e.Spec.Name = "stale"
	if _, err := s.UpdateExperiment(ctx, e); !errors.Is(err, analysis.ErrConflict) {
		t.Fatalf("update with stale version: %v, want ErrConflict", err)
	}
	got, _ = s.GetExperiment(ctx, e.ID)
	if got.Spec.Name != "renamed" || got.Version != 2 {
		t.Fatalf("after stale update: name %q version %d, want renamed 2", got.Spec.Name, got.Version)
	}

	updated.Spec.Name = "third"
	if third, err := s.UpdateExperiment(ctx, updated); err != nil || third.Version != 3 {
		t.Fatalf("update with current version: version %d, err %v; want 3", third.Version, err)
	}
}

func testExperimentDefaults(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	now := db.clock.Add(time.Hour)
	if err := s.CreateExperiment(ctx, analysis.ExperimentRecord{ID: "x", Spec: testSpec("x")}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetExperiment(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 1 || !got.CreatedAt.Equal(stored(now)) || !got.UpdatedAt.Equal(got.CreatedAt) {
		t.Fatalf("defaults: version %d created %v updated %v; want 1, now, = created", got.Version, got.CreatedAt, got.UpdatedAt)
	}
	if err := s.CreateExperiment(ctx, analysis.ExperimentRecord{}); err == nil {
		t.Fatal("create with empty ID succeeded")
	}
}

func testDeleteExperimentCascades(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	createExperiments(t, s, 2)
	for _, r := range []analysis.Run{testRun("e0", "r0", t0), testRun("e1", "r1", t0)} {
		if err := s.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	claimed, err := s.ClaimDue(ctx, "a", t0, time.Hour, 10)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claimed %d (err %v), want 2", len(claimed), err)
	}
	for _, r := range claimed {
		r.NextIndex, r.NextDue = 1, t0.Add(time.Minute)
		if err := s.CommitInterval(ctx, "a", r, analysis.IntervalResult{Index: 0}); err != nil {
			t.Fatal(err)
		}
	}

	if err := s.DeleteExperiment(ctx, "e0"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetRun(ctx, "r0"); !errors.Is(err, analysis.ErrNotFound) {
		t.Fatalf("run of deleted experiment: %v, want ErrNotFound", err)
	}
	if _, err := s.ListIntervals(ctx, "r0", -1, 1000); !errors.Is(err, analysis.ErrNotFound) {
		t.Fatalf("intervals of deleted run: %v, want ErrNotFound", err)
	}
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM interval_results WHERE run_id = 'r0'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d interval rows of the deleted run left (err %v)", n, err)
	}
	// The other experiment is untouched.
	if ivs, err := s.ListIntervals(ctx, "r1", -1, 1000); err != nil || len(ivs) != 1 {
		t.Fatalf("other run has %d intervals (err %v), want 1", len(ivs), err)
	}
}
