package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
)

// hookReceiver is a webhook receiver answering status until told
// otherwise; it records every request's webhook-id and the status it got.
type hookReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	status int
	ids    []string
	codes  []int
}

func newHookReceiver(t *testing.T, status int) *hookReceiver {
	t.Helper()
	h := &hookReceiver{status: status}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h.mu.Lock()
		code := h.status
		h.ids = append(h.ids, r.Header.Get("webhook-id"))
		h.codes = append(h.codes, code)
		h.mu.Unlock()
		w.WriteHeader(code)
		_, _ = fmt.Fprintf(w, "answer %d", code)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookReceiver) answer(status int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.status = status
}

// received counts the requests answered with each status.
func (h *hookReceiver) received() map[int]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[int]int{}
	for _, c := range h.codes {
		out[c]++
	}
	return out
}

// checkOneID fails unless every request carried the same, non-empty
// webhook-id.
func (h *hookReceiver) checkOneID(t *testing.T) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, id := range h.ids {
		if id == "" || id != h.ids[0] {
			t.Errorf("request %d has webhook-id %q, the first had %q", i+1, id, h.ids[0])
		}
	}
}

// deliveryConfig is a server configuration that retries deliveries
// quickly: one attempt per delivery, 50 ms apart at first.
func deliveryConfig(t *testing.T) Config {
	cfg := DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.Store.Dir = t.TempDir()
	cfg.OTLPGRPC.Listen, cfg.Jaeger.Listen = "", ""
	cfg.Webhook.Attempts = 1
	cfg.Analysis.Poll = 20 * time.Millisecond
	cfg.Analysis.Delivery = analysis.DeliveryRetry{Backoff: 50 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, MaxAge: time.Hour}
	return cfg
}

// runServer starts a server on cfg; stop shuts it down (at cleanup too, if
// not stopped before).
func runServer(t *testing.T, cfg Config) (srv *Server, stop func()) {
	t.Helper()
	srv, err := NewServer(cfg, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil {
				t.Errorf("shutdown: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return srv, stop
}

// createEndedExperiment creates over HTTP an experiment whose single
// interval is due at once (no data: inconclusive), delivered to hook, and
// returns its run's ID.
func createEndedExperiment(t *testing.T, base, hook string) string {
	t.Helper()
	spec := fmt.Sprintf(`apiVersion: augur/v1
name: delivered
cohorts: {baseline: 'version="v1"', canary: 'version="v2"'}
timing: {start: "-1m", interval: 1m, lifetime: 1m}
metrics:
  - {name: latency, query: 'latency{${cohort}}', judge: {type: mannwhitney}}
webhooks: [%q]
`, hook)
	var x analysis.Experiment
	getJSON(t, http.MethodPost, base+"/api/v1/experiments", spec, http.StatusCreated, &x)
	if x.Run == "" {
		t.Fatalf("experiment %s has no run", x.ID)
	}
	return x.Run
}

// getJSON makes a request and decodes the answer, which must have status
// want.
func getJSON(t *testing.T, method, url, body string, want int, out any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/yaml")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, url, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, b)
		}
	}
}

// waitRun polls GET /api/v1/runs/{run} until cond holds.
func waitRun(t *testing.T, base, run string, what string, cond func(analysis.Run) bool) analysis.Run {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var r analysis.Run
		getJSON(t, http.MethodGet, base+"/api/v1/runs/"+run, "", http.StatusOK, &r)
		if cond(r) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s: timed out waiting for %s; it is %+v", run, what, r)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestUndeliveredVerdictIsRetried: with the receiver answering 500, the
// run shows its verdict undelivered, the error and when it is sent again;
// once the receiver is back, it is delivered exactly once, with the same
// webhook-id as every failed attempt.
func TestUndeliveredVerdictIsRetried(t *testing.T) {
	hook := newHookReceiver(t, http.StatusInternalServerError)
	srv, _ := runServer(t, deliveryConfig(t))
	run := createEndedExperiment(t, srv.URL(), hook.URL)

	r := waitRun(t, srv.URL(), run, "a failed attempt", func(r analysis.Run) bool { return r.DeliveryAttempts >= 1 })
	if r.Delivered || r.DeliveryAbandoned || r.Status != analysis.RunCompleted || len(r.Deliveries) != 1 {
		t.Fatalf("after a failed attempt: %+v", r)
	}
	d := r.Deliveries[0]
	if d.OK || d.Refused || d.Target != hook.URL || !strings.Contains(d.Error, "HTTP 500: answer 500") || d.Attempts < 1 {
		t.Errorf("delivery record %+v, want the receiver's 500", d)
	}
	if r.NextDelivery == nil || !r.NextDelivery.After(d.At) {
		t.Errorf("next delivery %v, want one after the failed attempt at %v", r.NextDelivery, d.At)
	}
	var x analysis.Experiment
	getJSON(t, http.MethodGet, srv.URL()+"/api/v1/experiments/"+r.ExperimentID, "", http.StatusOK, &x)
	if x.Delivered || x.NextDelivery == nil || len(x.Deliveries) != 1 || x.Deliveries[0].OK {
		t.Errorf("the experiment shows %+v, want its verdict undelivered with the next attempt", x)
	}

	hook.answer(http.StatusOK)
	r = waitRun(t, srv.URL(), run, "delivery", func(r analysis.Run) bool { return r.Delivered })
	if r.DeliveryAbandoned || r.NextDelivery != nil || r.DeliveryAttempts < 2 || len(r.Deliveries) != 1 || !r.Deliveries[0].OK || r.Deliveries[0].Error != "" {
		t.Errorf("after delivery: %+v", r)
	}
	// Delivered is committed after the request: every request is counted.
	got := hook.received()
	if got[http.StatusOK] != 1 || got[http.StatusInternalServerError] != r.DeliveryAttempts-1 {
		t.Errorf("receiver answered %v over %d attempts, want one 200 after %d 500s", got, r.DeliveryAttempts, r.DeliveryAttempts-1)
	}
	hook.checkOneID(t)
}

// TestUndeliveredVerdictSurvivesRestart: a verdict not delivered when the
// server stops is delivered by the next server on the same data directory,
// exactly once, the attempts counted on.
func TestUndeliveredVerdictSurvivesRestart(t *testing.T) {
	hook := newHookReceiver(t, http.StatusServiceUnavailable)
	cfg := deliveryConfig(t)
	first, stop := runServer(t, cfg)
	run := createEndedExperiment(t, first.URL(), hook.URL)
	waitRun(t, first.URL(), run, "a failed attempt", func(r analysis.Run) bool { return r.DeliveryAttempts >= 1 })
	stop()

	hook.answer(http.StatusOK)
	second, _ := runServer(t, cfg)
	r := waitRun(t, second.URL(), run, "delivery", func(r analysis.Run) bool { return r.Delivered })
	if r.DeliveryAttempts < 2 {
		t.Errorf("%d attempts: the count did not survive the restart", r.DeliveryAttempts)
	}
	if got := hook.received(); got[http.StatusOK] != 1 || got[http.StatusServiceUnavailable] < 1 {
		t.Errorf("receiver answered %v, want 503s, then exactly one 200", got)
	}
	hook.checkOneID(t)
}
