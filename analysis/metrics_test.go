package analysis_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/state"
)

// TestSnapshot: the experiments a metrics scrape sees, through a store
// that lists latest runs in one query (state.Store) and through one that
// does not (the journal hides the method), which must agree: a running
// run with its latest interval and backlog, an aborted run while in
// retention, and never an experiment not started.
func TestSnapshot(t *testing.T) {
	ctx := context.Background()
	db, err := state.OpenSQLite(ctx, filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg := analysis.DefaultManagerConfig()
	cfg.Poll, cfg.BatchIntervals = 10*time.Millisecond, 2
	m, err := analysis.NewManager(cfg, db, steadySources{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	// Judged in batches of 2: after the first batch, the rest of its
	// intervals that were due when it started (one a minute for 4 minutes)
	// remain.
	running, err := m.Create(ctx, scheduledSpec(t, "running", 4*time.Minute, time.Hour), true)
	if err != nil {
		t.Fatal(err)
	}
	aborted, err := m.Create(ctx, scheduledSpec(t, "aborted", time.Second, time.Hour), true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Abort(ctx, aborted.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Create(ctx, scheduledSpec(t, "created", time.Second, time.Hour), false); err != nil {
		t.Fatal(err)
	}

	// Judge the running run's first batch, then stop judging.
	m.Start()
	waitFor(t, "a batch judged", func() bool {
		r, err := m.Get(ctx, running.ID)
		return err == nil && r.Judged >= 2
	})
	m.Close()

	fallback, err := analysis.NewManager(cfg, newJournal(db), steadySources{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name       string
		endedSince time.Time
		want       []string
	}{
		{"aborted in retention", time.Now().Add(-time.Hour), []string{"aborted", "running"}},
		{"aborted past retention", time.Now().Add(time.Hour), []string{"running"}},
	} {
		for _, mgr := range []struct {
			name string
			m    *analysis.Manager
		}{{"one query", m}, {"per experiment", fallback}} {
			t.Run(tt.name+" "+mgr.name, func(t *testing.T) {
				snaps, err := mgr.m.Snapshotter().Snapshot(ctx, tt.endedSince)
				if err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, s := range snaps {
					names = append(names, s.Run.Spec.Name)
					switch s.Run.Spec.Name {
					case "running":
						judged := s.Run.NextIndex
						// Three or four intervals are due (the last one's settle
						// delay may hold it back, and a fifth may come due while
						// the test runs); a loaded machine may judge more than
						// the first batch before Close.
						if s.Experiment.ID != running.ID || s.Latest == nil || s.Latest.Index != judged-1 || s.Backlog < max(0, 3-judged) || s.Backlog > 5-judged {
							t.Errorf("running: latest interval %v, backlog %d after %d judged", s.Latest != nil, s.Backlog, judged)
						}
					case "aborted":
						if s.Run.Verdict == nil || s.Latest != nil || s.Backlog != 0 {
							t.Errorf("aborted: verdict %+v, latest %+v, backlog %d", s.Run.Verdict, s.Latest, s.Backlog)
						}
					}
				}
				if !slices.Equal(names, tt.want) {
					t.Errorf("experiments %v, want %v (newest first)", names, tt.want)
				}
			})
		}
	}
}
