package analysis_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
)

// waitConfig polls so rarely that Wait can return within a test only by
// being told that a run ended here.
func waitConfig() analysis.ManagerConfig {
	cfg := analysis.DefaultManagerConfig()
	cfg.Lease, cfg.Poll = time.Hour, 20*time.Minute
	return cfg
}

// TestWaitReturnsWhenTheRunEnds: Manager.Wait returns as soon as the run
// ended on this replica, by its last interval or by an abort, with the
// final verdict, and the experiment no longer reports a per-run delivery
// (its notifications are the outbox's). The ended run is never claimed
// again.
func TestWaitReturnsWhenTheRunEnds(t *testing.T) {
	tests := []struct {
		name   string
		start  bool // start the manager (judge the intervals)
		abort  bool
		status analysis.RunStatus
	}{
		{"last interval judged", true, false, analysis.RunCompleted},
		{"aborted by a user", false, true, analysis.RunAborted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, j := schedulerFixture(t, waitConfig(), steadySources{})
			x, err := m.Create(t.Context(), scheduledSpec(t, "wait", 10*time.Minute, 2*time.Minute), true)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			done := make(chan analysis.Experiment, 1)
			errs := make(chan error, 1)
			go func() {
				got, err := m.Wait(ctx, x.ID)
				errs <- err
				done <- got
			}()
			if tt.start {
				m.Start()
			}
			if tt.abort {
				if _, err := m.Abort(t.Context(), x.ID); err != nil {
					t.Fatal(err)
				}
			}
			if err := <-errs; err != nil {
				t.Fatalf("wait: %v", err)
			}
			got := <-done
			if got.Status != string(tt.status) || got.Verdict == nil {
				t.Fatalf("wait returned status %s, verdict %v; want %s with its verdict", got.Status, got.Verdict, tt.status)
			}
			raw, _ := json.Marshal(got)
			for _, key := range []string{`"delivered"`, `"deliveries"`, `"delivery_attempts"`, `"next_delivery"`, `"delivery_abandoned"`} {
				if strings.Contains(string(raw), key) {
					t.Errorf("experiment answer has %s: %s", key, raw)
				}
			}
			runs, err := j.Store.ClaimDue(t.Context(), "other", time.Now().Add(24*time.Hour), time.Minute, 10)
			if err != nil || len(runs) != 0 {
				t.Fatalf("a day later another replica claimed %d runs (err %v), want none: the run ended", len(runs), err)
			}
		})
	}
}
