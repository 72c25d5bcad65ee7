package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
)

func templateCases() []suiteCase {
	return []suiteCase{
		{"TemplateCRUD", testTemplateCRUD},
		{"InstanceCreatedOnce", testInstanceCreatedOnce},
		{"ConcurrentInstancesOneKey", testConcurrentInstances},
		{"FindExperiments", testFindExperiments},
		{"EventsOrderedAndCascaded", testEvents},
		{"MigratedExperimentsHaveNames", testMigratedNames},
	}
}

func testTemplate(name, spec string) analysis.Template {
	def := "prod"
	return analysis.Template{Name: name, Args: []analysis.TemplateArg{{Name: "ns", Default: &def}, {Name: "canary-hash", Required: true}},
		OnError: analysis.OnErrorInconclusive, Flagger: "rollout", Spec: spec}
}

func testTemplateCRUD(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	rec, created, err := s.PutTemplate(ctx, testTemplate("b", "name: x"), 0)
	if err != nil || !created || rec.Version != 1 || !rec.CreatedAt.Equal(stored(t0)) {
		t.Fatalf("create: %+v created=%v err=%v", rec, created, err)
	}
	mustEqual(t, "stored template", rec.Template, testTemplate("b", "name: x"))
	if _, _, err := s.PutTemplate(ctx, testTemplate("a", "name: a"), 0); err != nil {
		t.Fatal(err)
	}
	db.clock.Add(time.Minute)
	rec, created, err = s.PutTemplate(ctx, testTemplate("b", "name: y"), 0)
	if err != nil || created || rec.Version != 2 || rec.Spec != "name: y" || !rec.CreatedAt.Equal(stored(t0)) || !rec.UpdatedAt.Equal(stored(t0.Add(time.Minute))) {
		t.Fatalf("replace: %+v created=%v err=%v", rec, created, err)
	}
	if _, _, err := s.PutTemplate(ctx, testTemplate("b", "name: z"), 1); !errors.Is(err, analysis.ErrConflict) {
		t.Fatalf("replace of a stale version: %v, want ErrConflict", err)
	}
	if _, _, err := s.PutTemplate(ctx, testTemplate("c", "name: z"), 1); !errors.Is(err, analysis.ErrNotFound) {
		t.Fatalf("replace of a missing template: %v, want ErrNotFound", err)
	}
	if rec, _, err := s.PutTemplate(ctx, testTemplate("b", "name: z"), 2); err != nil || rec.Version != 3 {
		t.Fatalf("replace of the stored version: %+v %v", rec, err)
	}
	list, err := s.ListTemplates(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "a" || list[1].Name != "b" || list[1].Spec != "name: z" {
		t.Fatalf("list: %+v %v", list, err)
	}
	if err := s.DeleteTemplate(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	for _, call := range []error{s.DeleteTemplate(ctx, "a"), func() error { _, err := s.GetTemplate(ctx, "a"); return err }()} {
		if !errors.Is(call, analysis.ErrNotFound) {
			t.Fatalf("after delete: %v, want ErrNotFound", call)
		}
	}
}

// newInstance is an instance of template tpl under key with its experiment
// and first run (IDs derived from id).
func newInstance(key, tpl, id string, args map[string]string) (analysis.InstanceRecord, analysis.ExperimentRecord, analysis.Run) {
	e := testExperiment(id, t0)
	e.Template, e.Key = tpl, key
	e.Spec.Labels = map[string]string{"template": tpl, "team": "pay"}
	r := testRun(id, "run-"+id, t0)
	return analysis.InstanceRecord{Key: key, Template: tpl, Args: args, ExperimentID: e.ID, RunID: r.ID, CreatedAt: stored(t0)}, e, r
}

func countRows(t *testing.T, s *Store, table string) int {
	t.Helper()
	var n int
	if err := s.read.QueryRowContext(testCtx(t), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func testInstanceCreatedOnce(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	in, e, r := newInstance("ns/app/abc", "tpl", "e1", map[string]string{"canary-hash": "abc"})
	got, created, err := s.CreateInstance(ctx, in, e, r)
	if err != nil || !created {
		t.Fatalf("create: created=%v err=%v", created, err)
	}
	mustEqual(t, "created instance", got, in)
	if stored, err := s.GetInstance(ctx, in.Key); err != nil {
		t.Fatal(err)
	} else {
		mustEqual(t, "stored instance", stored, in)
	}
	x, err := s.GetExperiment(ctx, "e1")
	if err != nil || x.Template != "tpl" || x.Key != in.Key {
		t.Fatalf("experiment: %+v %v", x, err)
	}
	if runs, err := s.ListRuns(ctx, "e1"); err != nil || len(runs) != 1 || runs[0].ID != r.ID {
		t.Fatalf("runs: %+v %v", runs, err)
	}

	// The same key again stores nothing and answers the stored instance.
	in2, e2, r2 := newInstance(in.Key, "tpl", "e2", map[string]string{"canary-hash": "def"})
	got, created, err = s.CreateInstance(ctx, in2, e2, r2)
	if err != nil || created {
		t.Fatalf("second create: created=%v err=%v", created, err)
	}
	mustEqual(t, "instance answered for a stored key", got, in)
	if _, err := s.GetExperiment(ctx, "e2"); !errors.Is(err, analysis.ErrNotFound) {
		t.Fatalf("the refused instance's experiment: %v, want ErrNotFound", err)
	}
	if n := countRows(t, s, "runs"); n != 1 {
		t.Fatalf("%d runs, want 1", n)
	}

	// Deleting the experiment takes its instance, labels and events.
	if err := s.AddEvent(ctx, analysis.Event{ExperimentID: "e1", Source: "api", Message: "m"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteExperiment(ctx, "e1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetInstance(ctx, in.Key); !errors.Is(err, analysis.ErrNotFound) {
		t.Fatalf("instance after its experiment's deletion: %v, want ErrNotFound", err)
	}
	for _, table := range []string{"instances", "events", "experiment_labels"} {
		if n := countRows(t, s, table); n != 0 {
			t.Errorf("%d rows in %s after the experiment's deletion", n, table)
		}
	}
}

// testConcurrentInstances: 50 callers over two Stores (two pools, as two
// replicas have) create one key's instance: exactly one creates, every
// caller gets that instance, and one experiment and one run exist.
func testConcurrentInstances(t *testing.T, db testDB) {
	const callers = 50
	stores := []*Store{db.store(t), db.store(t)}
	ctx := testCtx(t)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created int
		exps    = map[string]bool{}
		errs    = make(chan error, callers)
	)
	for i := range callers {
		wg.Go(func() {
			in, e, r := newInstance("one-key", "tpl", fmt.Sprintf("e%02d", i), map[string]string{"a": "1"})
			got, c, err := stores[i%2].CreateInstance(ctx, in, e, r)
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if c {
				created++
			}
			exps[got.ExperimentID] = true
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if created != 1 || len(exps) != 1 {
		t.Fatalf("%d callers created, instances name experiments %v; want exactly one", created, exps)
	}
	for _, table := range []string{"experiments", "runs", "instances"} {
		if n := countRows(t, stores[0], table); n != 1 {
			t.Errorf("%d rows in %s, want 1", n, table)
		}
	}
}

func testFindExperiments(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	mk := func(id, name string, labels map[string]string) analysis.ExperimentRecord {
		e := testExperiment(id, t0.Add(time.Duration(len(id))*time.Second))
		e.Spec.Name, e.Spec.Labels = name, labels
		return e
	}
	for _, e := range []analysis.ExperimentRecord{
		mk("a", "checkout", map[string]string{"team": "pay", "env": "prod"}),
		mk("bb", "checkout", map[string]string{"team": "pay", "env": "dev"}),
		mk("ccc", "search", nil),
	} {
		if err := s.CreateExperiment(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	in, e, r := newInstance("k1", "tpl", "dddd", map[string]string{})
	e.CreatedAt = t0.Add(4 * time.Second)
	if _, _, err := s.CreateInstance(ctx, in, e, r); err != nil {
		t.Fatal(err)
	}
	done := testRun("ccc", "r-ccc", t0)
	done.Status, done.EndedAt, done.Verdict = analysis.RunCompleted, ptr(t0), &analysis.Verdict{}
	if err := s.CreateRun(ctx, done); err != nil {
		t.Fatal(err)
	}
	// Relabelling moves the experiment between label filters.
	relabel, _ := s.GetExperiment(ctx, "bb")
	relabel.Spec.Labels = map[string]string{"team": "search"}
	if _, err := s.UpdateExperiment(ctx, relabel); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    analysis.ExperimentFilter
		want []string
	}{
		{"all", analysis.ExperimentFilter{}, []string{"dddd", "ccc", "bb", "a"}},
		{"name", analysis.ExperimentFilter{Name: "checkout"}, []string{"bb", "a"}},
		{"label", analysis.ExperimentFilter{Labels: map[string]string{"team": "pay"}}, []string{"dddd", "a"}},
		{"two labels", analysis.ExperimentFilter{Labels: map[string]string{"team": "pay", "env": "prod"}}, []string{"a"}},
		{"relabelled", analysis.ExperimentFilter{Labels: map[string]string{"team": "search"}}, []string{"bb"}},
		{"template", analysis.ExperimentFilter{Template: "tpl"}, []string{"dddd"}},
		{"key", analysis.ExperimentFilter{Key: "k1"}, []string{"dddd"}},
		{"key and name", analysis.ExperimentFilter{Key: "k1", Name: "checkout"}, nil},
		{"status created", analysis.ExperimentFilter{Status: "created"}, []string{"bb", "a"}},
		{"status running", analysis.ExperimentFilter{Status: "running"}, []string{"dddd"}},
		{"status completed", analysis.ExperimentFilter{Status: "completed"}, []string{"ccc"}},
		{"no match", analysis.ExperimentFilter{Name: "nope"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.FindExperiments(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, e := range got {
				ids = append(ids, e.ID)
			}
			mustEqual(t, "experiments", ids, tt.want)
		})
	}
}

func testEvents(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	createExperiments(t, s, 2)
	want := []analysis.Event{
		{ExperimentID: "e0", Source: "flagger", Type: "Normal", Message: "first", Data: json.RawMessage(`{"a":1}`), At: stored(t0.Add(time.Second))},
		{ExperimentID: "e0", Source: "api", Message: "second", At: stored(t0)},
	}
	for _, ev := range want {
		if err := s.AddEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddEvent(ctx, analysis.Event{ExperimentID: "e1", Source: "api", Message: "other"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListEvents(ctx, "e0")
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "events in the order recorded", got, want)
	if err := s.AddEvent(ctx, analysis.Event{ExperimentID: "nope", Source: "api"}); !errors.Is(err, analysis.ErrNotFound) {
		t.Fatalf("event of an unknown experiment: %v, want ErrNotFound", err)
	}
}

// testMigratedNames: experiments stored before migration 3 are found by
// their spec's name.
func testMigratedNames(t *testing.T, db testDB) {
	raw, err := db.raw(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	conn, err := raw.Conn(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations(migrationFiles, "migrations/"+db.d.name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(testCtx(t), db.d.createMigrationsTable); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:2] {
		if _, err := applyMigration(testCtx(t), conn, db.d, m, t0); err != nil {
			t.Fatal(err)
		}
	}
	spec, _ := jsonArg("spec", testSpec("old-checkout"))
	if _, err := conn.ExecContext(testCtx(t), `INSERT INTO experiments (id, spec, created_at, updated_at, version) VALUES ('old', $1, $2, $2, 1)`,
		spec, db.d.timeArg(t0)); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	s := db.store(t)
	got, err := s.FindExperiments(testCtx(t), analysis.ExperimentFilter{Name: "old-checkout"})
	if err != nil || len(got) != 1 || got[0].ID != "old" {
		t.Fatalf("find by name after migrating: %+v %v", got, err)
	}
}
