package outbox_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/augurhq/augur/alerting/notify"
	"github.com/augurhq/augur/alerting/outbox"
	"github.com/augurhq/augur/alerting/route"
	"github.com/augurhq/augur/alerting/signedwebhook"
	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/state"
	"github.com/augurhq/augur/analysis/state/pgtest"
	"github.com/augurhq/augur/judges"
)

// counter is a receiver that takes every message while up, counting them
// per message ID, and fails retryably while down.
type counter struct {
	up   atomic.Bool
	mu   sync.Mutex
	seen map[string]int
	n    atomic.Int64
}

func newCounter(up bool) *counter {
	c := &counter{seen: map[string]int{}}
	c.up.Store(up)
	return c
}

func (c *counter) Notify(_ context.Context, m notify.Message) error {
	if !c.up.Load() {
		return fmt.Errorf("down: 503 Service Unavailable")
	}
	c.mu.Lock()
	c.seen[m.ExperimentID]++
	c.mu.Unlock()
	c.n.Add(1)
	return nil
}

// seedVerdicts stores n experiments, each with a run aborted by an alert
// (final verdict fail): n verdict events in the outbox.
func seedVerdicts(b *testing.B, st *state.Store, n int) {
	ctx := context.Background()
	now := time.Now().UTC()
	for i := range n {
		id := fmt.Sprintf("exp-%04d", i)
		spec := analysis.Spec{APIVersion: analysis.APIVersion, Kind: analysis.KindCanary, Name: "checkout-" + id,
			Labels: map[string]string{"team": "payments"}}
		if err := st.CreateExperiment(ctx, analysis.ExperimentRecord{ID: id, Spec: spec, CreatedAt: now, UpdatedAt: now, Version: 1}); err != nil {
			b.Fatal(err)
		}
		run := analysis.Run{ID: "run-" + id, ExperimentID: id, Spec: spec, Status: analysis.RunRunning, StartedAt: now, NextDue: now.Add(time.Hour),
			CreatedAt: now, UpdatedAt: now}
		if err := st.CreateRun(ctx, run); err != nil {
			b.Fatal(err)
		}
		score := 0.0
		v := analysis.Verdict{ExperimentID: id, RunID: run.ID, Experiment: spec.Name, Verdict: judges.OutcomeFail, Score: &score,
			Reason: "alert HighErrorRate fired", Stopped: "alert", CompletedAt: now}
		if err := st.SetRunStatus(ctx, run.ID, analysis.RunAborted, time.Time{}, &v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFanOut: 1,000 verdicts fanned out to three receivers, one of
// them down. It reports the outbox's cost per verdict (routing and
// delivering to the two receivers that are up, per verdict, from the
// committed events to the last delivery recorded) and, once the third
// receiver comes back, how long until it has every verdict. The retry
// schedule is scaled down (100ms doubling to 1s) so that a run takes
// seconds: with the defaults (5s doubling to 5m) the recovery lag is at
// most max_backoff plus the time to send the backlog. STATE=postgres runs
// it on PostgreSQL.
func BenchmarkFanOut(b *testing.B) {
	const verdicts = 1000
	for range b.N {
		b.StopTimer()
		st := openBenchStore(b)
		seedVerdicts(b, st, verdicts)
		a, c, down := newCounter(true), newCounter(true), newCounter(os.Getenv("ALLUP") != "")
		cfg := outbox.DefaultConfig()
		hook := signedwebhook.DefaultConfig()
		hook.URL = "https://hooks.example.org/x"
		for _, name := range []string{"slack", "pager", "down"} {
			cfg.Receivers = append(cfg.Receivers, outbox.ReceiverConfig{Name: name, Webhook: &hook})
		}
		cfg.Route = &route.RouteConfig{Receiver: "slack", GroupBy: []string{"experiment_id"}, GroupWait: "0s", Routes: []*route.RouteConfig{
			{Matchers: []string{`verdict="fail"`}, Receiver: "pager", Continue: true},
			{Matchers: []string{`verdict="fail"`}, Receiver: "down", Continue: true},
			{Receiver: "slack"},
		}}
		cfg.Delivery.Backoff, cfg.Delivery.MaxBackoff, cfg.Delivery.Workers = 100*time.Millisecond, time.Second, 16
		cfg.Delivery.PollInterval = 10 * time.Millisecond
		ob, err := outbox.New(cfg, st, st, outbox.Options{Replica: "bench",
			Receivers: map[string]notify.Notifier{"slack": a, "pager": c, "down": down}})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		b.StartTimer()
		start := time.Now()
		go func() { defer close(done); ob.Run(ctx) }()
		waitCount(b, a, verdicts)
		waitCount(b, c, verdicts)
		upCost := time.Since(start)
		b.StopTimer()
		down.up.Store(true)
		back := time.Now()
		waitCount(b, down, verdicts)
		lag := time.Since(back)
		cancel()
		<-done
		for _, r := range []*counter{a, c, down} {
			for id, n := range r.seen {
				if n != 1 {
					b.Fatalf("%s delivered %d times", id, n)
				}
			}
		}
		_ = st.Close()
		b.ReportMetric(float64(upCost.Microseconds())/verdicts/1000, "ms/verdict")
		b.ReportMetric(lag.Seconds(), "recovery-lag-s")
		b.StartTimer()
	}
}

func waitCount(b *testing.B, c *counter, n int64) {
	deadline := time.Now().Add(5 * time.Minute)
	for c.n.Load() < n {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d delivered after 5m", c.n.Load(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func openBenchStore(b *testing.B) *state.Store {
	ctx := context.Background()
	if os.Getenv("STATE") == "postgres" {
		st, err := state.OpenPostgres(ctx, pgtest.Start(b).NewDatabase(b), nil)
		if err != nil {
			b.Fatal(err)
		}
		return st
	}
	st, err := state.OpenSQLite(ctx, filepath.Join(b.TempDir(), "augur.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	return st
}
