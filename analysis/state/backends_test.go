package state

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/augurhq/augur/analysis/state/pgtest"
)

// testDB is one new, empty database of a backend. Every open is another
// Store (another pool, as another process would have) on that database.
type testDB struct {
	open func(ctx context.Context) (*Store, error)
	// raw opens the database without migrating it, in d's dialect.
	raw func(ctx context.Context) (*sql.DB, error)
	d   *dialect
	// clock is every Store's clock, starting at t0.
	clock *fakeClock
}

// store opens a Store on db, closed at cleanup.
func (db testDB) store(t *testing.T) *Store {
	t.Helper()
	s, err := db.open(testCtx(t))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	s.now = db.clock.Now
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// suiteCase is one behaviour every backend must have.
type suiteCase struct {
	name string
	run  func(t *testing.T, db testDB)
}

// suite is the conformance suite: one list of cases run against both
// backends.
func suite() []suiteCase {
	var all []suiteCase
	for _, part := range [][]suiteCase{experimentCases(), runCases(), leaseCases(), commitCases(), queueCases(),
		concurrencyCases(), migrationCases(), templateCases(), kayentaCases(), outboxCases()} {
		all = append(all, part...)
	}
	return all
}

func TestSQLite(t *testing.T) {
	for _, c := range suite() {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "data", "state.db")
			c.run(t, testDB{clock: newFakeClock(t0), open: func(ctx context.Context) (*Store, error) {
				return OpenSQLite(ctx, path, nil)
			}, raw: func(ctx context.Context) (*sql.DB, error) {
				if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
					return nil, err
				}
				return sql.Open("sqlite", path+"?_pragma=foreign_keys(1)")
			}, d: sqliteDialect()})
		})
	}
}

// TestPostgres runs the suite against one throwaway cluster, a new
// database per case.
func TestPostgres(t *testing.T) {
	srv := pgtest.Start(t)
	for _, c := range suite() {
		t.Run(c.name, func(t *testing.T) {
			dsn := srv.NewDatabase(t)
			c.run(t, testDB{clock: newFakeClock(t0), open: func(ctx context.Context) (*Store, error) {
				return OpenPostgres(ctx, dsn, nil)
			}, raw: func(ctx context.Context) (*sql.DB, error) {
				cfg, err := pgx.ParseConfig(dsn)
				if err != nil {
					return nil, err
				}
				return stdlib.OpenDB(*cfg), nil
			}, d: postgresDialect()})
		})
	}
	// Last: it restarts the shared server.
	t.Run("ServerRestart", func(t *testing.T) { testServerRestart(t, srv) })
}

// fakeClock is a settable clock for the Store's lease checks.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Add moves the clock by d and returns the new time.
func (c *fakeClock) Add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}
