package state

import (
	"context"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis/state/pgtest"
)

// testServerRestart: a Store outlives a crash of the server: committed
// work is there afterwards and the pool replaces its broken connections.
// pgx pings a pooled connection idle for over a second before reusing it,
// so calls made that long after the restart do not see the broken ones
// (calls in flight during a restart fail, and callers retry them).
func testServerRestart(t *testing.T, srv *pgtest.Server) {
	dsn := srv.NewDatabase(t)
	db := testDB{clock: newFakeClock(t0), open: func(ctx context.Context) (*Store, error) {
		return OpenPostgres(ctx, dsn, nil)
	}}
	s, ctx := db.store(t), testCtx(t)
	r := startRun(t, s, "a", time.Hour)
	r1, res0 := advance(r, 0)
	if err := s.CommitInterval(ctx, "a", r1, res0); err != nil {
		t.Fatal(err)
	}

	lastUse := time.Now()
	srv.Restart(t)
	time.Sleep(time.Until(lastUse.Add(1100 * time.Millisecond)))

	if got, err := s.GetRun(ctx, "r0"); err != nil || got.NextIndex != 1 {
		t.Fatalf("after restart: next index %d (err %v), want 1", got.NextIndex, err)
	}
	r2, res1 := advance(r1, 1)
	if err := s.CommitInterval(ctx, "a", r2, res1); err != nil {
		t.Fatalf("commit after restart: %v", err)
	}
	if ivs, err := s.ListIntervals(ctx, "r0", -1, 1000); err != nil || len(ivs) != 2 {
		t.Fatalf("after restart: %d intervals (err %v), want 2", len(ivs), err)
	}
}
