package analysis_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/state"
)

// journal wraps a real Store and records, in order, every committed
// interval and, for each run the first time it is claimed, how many
// intervals every run had committed by then.
type journal struct {
	analysis.Store
	mu      sync.Mutex
	commits []string       // run IDs, one per committed interval
	counts  map[string]int // committed intervals per run
	// atFirstClaim[run] is a copy of counts when run was first claimed.
	atFirstClaim map[string]map[string]int
	claims       map[string]int // claims per run
}

func newJournal(s analysis.Store) *journal {
	return &journal{Store: s, counts: map[string]int{}, atFirstClaim: map[string]map[string]int{}, claims: map[string]int{}}
}

func (j *journal) ClaimDue(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]analysis.Run, error) {
	runs, err := j.Store.ClaimDue(ctx, owner, now, lease, limit)
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, r := range runs {
		j.claims[r.ID]++
		if j.atFirstClaim[r.ID] == nil {
			snapshot := map[string]int{}
			for id, n := range j.counts {
				snapshot[id] = n
			}
			j.atFirstClaim[r.ID] = snapshot
		}
	}
	return runs, err
}

func (j *journal) CommitInterval(ctx context.Context, owner string, r analysis.Run, res analysis.IntervalResult) error {
	// Under the lock, so that a claim sees every commit made before it.
	j.mu.Lock()
	defer j.mu.Unlock()
	err := j.Store.CommitInterval(ctx, owner, r, res)
	if err == nil {
		j.commits = append(j.commits, r.ID)
		j.counts[r.ID]++
	}
	return err
}

func (j *journal) count(run string) int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.counts[run]
}

// steadySources answers every query with the same few points; tick, when
// set, runs on every fetch (to move a fake clock).
type steadySources struct{ tick func() }

func (s steadySources) Source(string, *analysis.SourceSpec) (analysis.Source, error) {
	return analysis.SourceFunc(func(_ context.Context, q analysis.Query) ([]analysis.Series, error) {
		if s.tick != nil {
			s.tick()
		}
		var pts []analysis.Point
		for i := range 12 {
			pts = append(pts, analysis.Point{T: q.Start.UnixMilli() + int64(i)*1000, V: float64(100 + i%3)})
		}
		return []analysis.Series{{Labels: map[string]string{"pod": "a"}, Points: pts}}, nil
	}), nil
}

// scheduledSpec is a one-metric spec judged every minute over lifetime,
// starting start before the run does.
func scheduledSpec(t *testing.T, name string, start, lifetime time.Duration) analysis.Spec {
	t.Helper()
	spec, err := analysis.ParseSpec(strings.NewReader(fmt.Sprintf(`apiVersion: augur/v1
name: %s
cohorts: {baseline: 'version="v1"', canary: 'version="v2"'}
timing: {start: "-%s", interval: 1m, lifetime: %s}
limits: {failure_limit: 10000, inconclusive_limit: 10000}
metrics:
  - {name: latency, query: 'latency{${cohort}}', judge: {type: mannwhitney}}
`, name, analysis.Duration(start), analysis.Duration(lifetime))))
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// schedulerFixture is a manager over a journal of a real SQLite store.
func schedulerFixture(t *testing.T, cfg analysis.ManagerConfig, sources analysis.Sources) (*analysis.Manager, *journal) {
	t.Helper()
	db, err := state.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	j := newJournal(db)
	m, err := analysis.NewManager(cfg, j, sources, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m, j
}

// waitFor polls cond until it holds (failing the test after a minute).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestBacklogDoesNotStarveOnTimeRuns: runs with a backlog of intervals (a
// start far in the past) are judged in batches, each then queued behind the
// runs that came due before it yielded. With one worker and one backlogged
// run, the on-time run's interval is judged after at most one batch of the
// backlog; with W workers and W+1 backlogged runs, the on-time run is
// claimed before any backlogged run has judged more than one batch. The
// backlogs go on afterwards. The order is checked, not the time it takes.
func TestBacklogDoesNotStarveOnTimeRuns(t *testing.T) {
	const batch = 3
	for _, tt := range []struct{ workers, backlogs int }{{1, 1}, {1, 2}, {2, 3}, {4, 5}} {
		workers := tt.workers
		t.Run(fmt.Sprintf("%d workers %d backlogs", workers, tt.backlogs), func(t *testing.T) {
			cfg := analysis.DefaultManagerConfig()
			cfg.Workers, cfg.Poll, cfg.BatchIntervals, cfg.BatchTime = workers, 10*time.Millisecond, batch, time.Hour
			m, j := schedulerFixture(t, cfg, steadySources{})
			ctx := t.Context()
			var backlogs []string
			for i := range tt.backlogs {
				// 40 intervals or more due at once; the oldest first.
				x, err := m.Create(ctx, scheduledSpec(t, fmt.Sprintf("backlog-%d", i), time.Duration(40+tt.backlogs-i)*time.Minute, 60*time.Minute), true)
				if err != nil {
					t.Fatal(err)
				}
				backlogs = append(backlogs, x.Run)
			}
			onTime, err := m.Create(ctx, scheduledSpec(t, "on-time", time.Minute, 10*time.Minute), true)
			if err != nil {
				t.Fatal(err)
			}
			m.Start()
			waitFor(t, "the on-time run's first interval", func() bool { return j.count(onTime.Run) >= 1 })
			waitFor(t, "the backlogs to go on", func() bool {
				for _, id := range backlogs {
					if j.count(id) < 2*batch+1 {
						return false
					}
				}
				return true
			})
			m.Close()

			j.mu.Lock()
			defer j.mu.Unlock()
			seen := j.atFirstClaim[onTime.Run]
			for i, id := range backlogs {
				if seen[id] > batch {
					t.Errorf("backlog-%d had judged %d intervals when the on-time run was claimed, more than one batch of %d", i, seen[id], batch)
				}
			}
			if tt.backlogs == 1 {
				before := 0
				for _, id := range j.commits {
					if id == onTime.Run {
						break
					}
					before++
				}
				if before > batch {
					t.Errorf("%d backlog intervals judged before the on-time run's, more than one batch of %d", before, batch)
				}
			}
			// Every backlog was claimed once per batch at least: no run held
			// a worker for more than a batch.
			for i, id := range backlogs {
				if c, n := j.claims[id], j.counts[id]; c < (n+batch-1)/batch {
					t.Errorf("backlog-%d judged %d intervals in %d claims, more than %d per claim", i, n, c, batch)
				}
			}
		})
	}
}

// fakeClock is a clock the test moves; it starts at the real time so that
// the store's lease checks (on the real clock) see leases as valid.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestBatchTimeBudget: a batch also ends once it has judged for BatchTime
// (here each fetch takes a second of the manager's clock: two per
// interval), however few intervals that was.
func TestBatchTimeBudget(t *testing.T) {
	clock := newFakeClock()
	cfg := analysis.DefaultManagerConfig()
	cfg.Workers, cfg.Poll, cfg.BatchIntervals, cfg.BatchTime = 1, 10*time.Millisecond, 100, 5*time.Second
	cfg.Now = clock.Now
	m, j := schedulerFixture(t, cfg, steadySources{tick: func() { clock.Add(time.Second) }})
	x, err := m.Create(t.Context(), scheduledSpec(t, "backlog", 30*time.Minute, 30*time.Minute), true)
	if err != nil {
		t.Fatal(err)
	}
	m.Start()
	waitFor(t, "the run to end", func() bool { return j.count(x.Run) == 30 })
	m.Close()
	// 2 s per interval: after 3 intervals (6 s) the batch is over.
	j.mu.Lock()
	defer j.mu.Unlock()
	if c := j.claims[x.Run]; c < 10 {
		t.Errorf("30 intervals judged in %d claims, want at most 3 per claim (10 claims or more)", c)
	}
}
