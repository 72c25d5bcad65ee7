package state

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
)

func concurrencyCases() []suiteCase {
	return []suiteCase{
		{"ConcurrentClaimsExactlyOnce", testConcurrentClaims},
		{"ConcurrentCommitsOfOneInterval", testConcurrentCommits},
	}
}

// testConcurrentClaims: 8 claimers over two Stores (two pools, as two
// replicas have) drain 200 due runs; each run goes to exactly one claimer
// per lease period, round after round.
func testConcurrentClaims(t *testing.T, db testDB) {
	const (
		runs     = 200
		claimers = 8
		rounds   = 3
		lease    = time.Hour
	)
	stores := []*Store{db.store(t), db.store(t)}
	ctx := testCtx(t)
	createExperiments(t, stores[0], runs)
	for i := range runs {
		r := testRun(fmt.Sprintf("e%d", i), fmt.Sprintf("r%03d", i), t0.Add(-time.Duration(i)*time.Second))
		if err := stores[1].CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}

	for round := range rounds {
		now := t0.Add(time.Duration(round) * (lease + time.Second))
		var (
			mu     sync.Mutex
			claims = map[string][]string{} // run → owners
			wg     sync.WaitGroup
			errs   = make(chan error, claimers)
		)
		for c := range claimers {
			owner := fmt.Sprintf("owner-%d", c)
			s := stores[c%len(stores)]
			wg.Go(func() {
				for {
					got, err := s.ClaimDue(ctx, owner, now, lease, 7)
					if err != nil {
						errs <- fmt.Errorf("%s: %w", owner, err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, r := range got {
						claims[r.ID] = append(claims[r.ID], owner)
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("round %d: %v", round, err)
		}
		if len(claims) != runs {
			t.Fatalf("round %d: %d runs claimed, want %d", round, len(claims), runs)
		}
		for id, owners := range claims {
			if len(owners) != 1 {
				t.Fatalf("round %d: run %s claimed by %v", round, id, owners)
			}
			r, err := stores[round%2].GetRun(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if r.LeaseOwner != owners[0] || !r.LeaseUntil.Equal(stored(now.Add(lease))) {
				t.Fatalf("round %d: run %s leased to %s until %v, claimed by %s", round, id, r.LeaseOwner, r.LeaseUntil, owners[0])
			}
		}
	}
}

// testConcurrentCommits: the lease holder's goroutines race to record the
// same interval; exactly one wins.
func testConcurrentCommits(t *testing.T, db testDB) {
	s, ctx := db.store(t), testCtx(t)
	r := startRun(t, s, "a", time.Hour)
	const racers = 8
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		won      int
		conflict int
		other    []error
	)
	for i := range racers {
		wg.Go(func() {
			next, res := advance(r, 0)
			res.Replica = fmt.Sprintf("racer-%d", i)
			err := s.CommitInterval(ctx, "a", next, res)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case errors.Is(err, analysis.ErrConflict):
				conflict++
			default:
				other = append(other, err)
			}
		})
	}
	wg.Wait()
	if won != 1 || conflict != racers-1 || len(other) != 0 {
		t.Fatalf("%d won, %d conflicts, other errors %v; want 1, %d, none", won, conflict, other, racers-1)
	}
	if ivs, _ := s.ListIntervals(ctx, "r0", -1, 1000); len(ivs) != 1 {
		t.Fatalf("%d intervals recorded, want 1", len(ivs))
	}
}
