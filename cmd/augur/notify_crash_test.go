package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
)

// crashHook is a webhook receiver whose answer the test sets: 503, 200, or
// hang (hold the request until released, as a receiver does when the
// sender dies mid-request). It records the webhook-ids it answered 2xx
// and the ones it saw at all.
type crashHook struct {
	mu      sync.Mutex
	mode    string
	seen    map[string]int
	taken   map[string]int
	arrived chan string
	release chan struct{}
}

func newCrashHook(t *testing.T, mode string) (*crashHook, string) {
	h := &crashHook{mode: mode, seen: map[string]int{}, taken: map[string]int{}, arrived: make(chan string, 16), release: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("webhook-id")
		h.mu.Lock()
		mode := h.mode
		h.seen[id]++
		h.mu.Unlock()
		select {
		case h.arrived <- id:
		default:
		}
		switch mode {
		case "503":
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		case "hang":
			<-h.release
			return // the sender is gone: nothing it could read
		}
		h.mu.Lock()
		h.taken[id]++
		h.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(func() {
		h.set("200")
		close(h.release)
		srv.Close()
	})
	return h, srv.URL
}

func (h *crashHook) set(mode string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.mode = mode
}

func (h *crashHook) counts() (seen, taken map[string]int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	seen, taken = map[string]int{}, map[string]int{}
	for k, v := range h.seen {
		seen[k] = v
	}
	for k, v := range h.taken {
		taken[k] = v
	}
	return seen, taken
}

// endedSpec is an experiment whose single interval is due at once.
func endedSpec(name string) string {
	return fmt.Sprintf(`apiVersion: augur/v1
name: %s
cohorts: {baseline: 'version="v1"', canary: 'version="v2"'}
timing: {start: "-1m", interval: 1m, lifetime: 1m}
metrics:
  - {name: latency, query: 'latency{${cohort}}', judge: {type: mannwhitney}}
`, name)
}

// deliveriesOf reads an experiment's deliveries.
func deliveriesOf(t *testing.T, base, exp string) []analysis.OutboxDelivery {
	t.Helper()
	var out struct{ Deliveries []analysis.OutboxDelivery }
	apiJSON(t, http.MethodGet, base+"/api/v1/experiments/"+exp+"/deliveries", "", http.StatusOK, &out)
	return out.Deliveries
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestKillBetweenCommitAndDelivery: augur serve is killed with SIGKILL
// after verdicts were committed and before they were delivered, once with
// the receiver failing (the deliveries pending in the outbox) and once
// with the request in flight (the receiver holding it when the process
// dies). After a restart on the same data directory every verdict is
// delivered, and taken exactly once; the request cut off in flight is
// sent again with the same webhook-id, so a receiver de-duplicating on it
// processes it once.
func TestKillBetweenCommitAndDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	const lease = 2 * time.Second
	dir := t.TempDir()
	for _, tt := range []struct{ name, mode string }{{"pending", "503"}, {"in flight", "hang"}} {
		t.Run(tt.name, func(t *testing.T) {
			hook, url := newCrashHook(t, tt.mode)
			conf := fmt.Sprintf("analysis:\n  state: {path: %q}\n  lease: 1s\n  poll: 100ms\n", dir+"/"+tt.mode+".db") + notifyConfig(url, lease)
			first := startReplica(t, "first", conf)
			var ids []string
			for i := range 3 {
				var e analysis.Experiment
				apiJSON(t, http.MethodPost, first.base+"/api/v1/experiments", endedSpec(fmt.Sprintf("crash-%d", i)), http.StatusCreated, &e)
				ids = append(ids, e.ID)
			}
			// Wait until each verdict reached the receiver once (and was
			// refused, or is being held).
			waitFor(t, "every verdict to reach the receiver", 30*time.Second, func() bool {
				seen, _ := hook.counts()
				return len(seen) == len(ids)
			})
			if err := first.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			_ = first.cmd.Wait()
			if _, taken := hook.counts(); len(taken) != 0 {
				t.Fatalf("%d verdicts taken before the kill: the test did not cut in between", len(taken))
			}
			hook.set("200")
			second := startReplica(t, "second", conf)
			var delivered []analysis.OutboxDelivery
			waitFor(t, "every verdict delivered after the restart", 30*time.Second, func() bool {
				delivered = delivered[:0]
				for _, id := range ids {
					for _, d := range deliveriesOf(t, second.base, id) {
						if d.Status == analysis.DeliveryDelivered {
							delivered = append(delivered, d)
						}
					}
				}
				return len(delivered) == len(ids)
			})
			seen, taken := hook.counts()
			for _, d := range delivered {
				if taken[d.ID] != 1 {
					t.Errorf("delivery %s (%s) taken %d times, want 1", d.ID, d.ExperimentID, taken[d.ID])
				}
				if tt.mode == "hang" && seen[d.ID] != 2 {
					t.Errorf("delivery %s arrived %d times, want 2: the cut-off request, then the resend with the same webhook-id", d.ID, seen[d.ID])
				}
			}
			if len(taken) != len(ids) {
				t.Errorf("%d distinct webhook-ids taken, want %d: %v", len(taken), len(ids), taken)
			}
		})
	}
}
