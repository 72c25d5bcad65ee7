package state

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"
)

func migrationCases() []suiteCase {
	return []suiteCase{
		{"MigrationsIdempotent", testMigrationsIdempotent},
		{"ConcurrentOpensMigrateOnce", testConcurrentOpens},
		{"RefusesNewerSchema", testRefusesNewerSchema},
		{"DataSurvivesReopen", testDataSurvivesReopen},
	}
}

// appliedMigrations returns schema_migrations as "version name applied_at".
func appliedMigrations(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.read.QueryContext(testCtx(t), `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var (
			v    int
			name string
			at   dbTime
		)
		if err := rows.Scan(&v, &name, &at); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%d %s %s", v, name, at.Format(time.RFC3339Nano)))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func latestVersion(t *testing.T, s *Store) int {
	t.Helper()
	ms, err := loadMigrations(migrationFiles, "migrations/"+s.d.name)
	if err != nil {
		t.Fatal(err)
	}
	return ms[len(ms)-1].version
}

func testMigrationsIdempotent(t *testing.T, db testDB) {
	first := db.store(t)
	applied := appliedMigrations(t, first)
	if len(applied) != latestVersion(t, first) || !strings.HasPrefix(applied[0], "1 init ") {
		t.Fatalf("applied %v, want every migration from 1 init", applied)
	}
	db.clock.Add(time.Hour) // a re-applied migration would get a new time
	second := db.store(t)
	mustEqual(t, "migrations after a second open", appliedMigrations(t, second), applied)
}

func testConcurrentOpens(t *testing.T, db testDB) {
	const replicas = 4
	var (
		wg     sync.WaitGroup
		stores = make([]*Store, replicas)
		errs   = make([]error, replicas)
	)
	for i := range replicas {
		wg.Go(func() { stores[i], errs[i] = db.open(testCtx(t)) })
	}
	wg.Wait()
	for i, s := range stores {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		t.Cleanup(func() { s.Close() })
	}
	if applied := appliedMigrations(t, stores[0]); len(applied) != latestVersion(t, stores[0]) {
		t.Fatalf("applied %v after concurrent opens", applied)
	}
	// Every replica sees the same, working schema.
	for i, s := range stores {
		if err := s.CreateExperiment(testCtx(t), testExperiment(fmt.Sprintf("e%d", i), t0)); err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
	}
}

func testRefusesNewerSchema(t *testing.T, db testDB) {
	s := db.store(t)
	newer := latestVersion(t, s) + 1
	if _, err := s.write.ExecContext(testCtx(t), `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'future', $2)`,
		newer, s.t(t0)); err != nil {
		t.Fatal(err)
	}
	_, err := db.open(testCtx(t))
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("open a newer schema: %v, want ErrSchemaTooNew", err)
	}
	if want := fmt.Sprintf("schema version %d", newer); !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not name %q", err, want)
	}
}

func testDataSurvivesReopen(t *testing.T, db testDB) {
	s := db.store(t)
	ctx := testCtx(t)
	r := startRun(t, s, "a", time.Hour)
	r1, res0 := advance(r, 0)
	if err := s.CommitInterval(ctx, "a", r1, res0); err != nil {
		t.Fatal(err)
	}
	exp, _ := s.GetExperiment(ctx, "e0")
	run, _ := s.GetRun(ctx, "r0")
	ivs, _ := s.ListIntervals(ctx, "r0", -1, 1000)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = db.store(t)
	gotExp, err := s.GetExperiment(ctx, "e0")
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "experiment after reopen", gotExp, exp)
	gotRun, _ := s.GetRun(ctx, "r0")
	mustEqual(t, "run after reopen", gotRun, run)
	gotIvs, _ := s.ListIntervals(ctx, "r0", -1, 1000)
	mustEqual(t, "intervals after reopen", gotIvs, ivs)
	// The lease survives too: another replica cannot take the run.
	if got, _ := s.ClaimDue(ctx, "b", t0.Add(30*time.Minute), time.Minute, 10); len(got) != 0 {
		t.Fatalf("claimed %v under a's lease after reopen", ids(got))
	}
}

func TestLoadMigrations(t *testing.T) {
	file := func(sql string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(sql)} }
	tests := []struct {
		name    string
		files   fstest.MapFS
		want    []int
		wantErr string
	}{
		{"ordered", fstest.MapFS{"m/0002_b.sql": file("B"), "m/0001_a.sql": file("A"), "m/README": file("")}, []int{1, 2}, ""},
		{"gap", fstest.MapFS{"m/0001_a.sql": file("A"), "m/0003_c.sql": file("C")}, nil, "version 3 where 2"},
		{"duplicate", fstest.MapFS{"m/0001_a.sql": file("A"), "m/0001_b.sql": file("B")}, nil, "version 1 where 2"},
		{"no name", fstest.MapFS{"m/0001.sql": file("A")}, nil, "want NNNN_name.sql"},
		{"not a number", fstest.MapFS{"m/init_a.sql": file("A")}, nil, "want NNNN_name.sql"},
		{"empty", fstest.MapFS{"m/README": file("")}, nil, "none in m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := loadMigrations(tt.files, "m")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, m := range ms {
				got = append(got, m.version)
			}
			mustEqual(t, "versions", got, tt.want)
			if ms[0].name != "a" || ms[0].sql != "A" {
				t.Fatalf("first migration %+v", ms[0])
			}
		})
	}
}

// TestDialectsMigrateInStep: both dialects have the same migrations, so a
// version means the same schema on either.
func TestDialectsMigrateInStep(t *testing.T) {
	names := map[string][]string{}
	for _, d := range []*dialect{sqliteDialect(), postgresDialect()} {
		ms, err := loadMigrations(migrationFiles, "migrations/"+d.name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			names[d.name] = append(names[d.name], fmt.Sprintf("%04d_%s", m.version, m.name))
		}
	}
	mustEqual(t, "postgres migrations (sqlite's are "+strings.Join(names["sqlite"], ", ")+")", names["postgres"], names["sqlite"])
}
