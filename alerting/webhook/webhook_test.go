package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func testVerdict() analysis.Verdict {
	shift := 0.012
	median := 0.21
	return analysis.Verdict{
		ExperimentID: "exp-42",
		Experiment:   "checkout-canary",
		Verdict:      judges.Outcome("fail"),
		Score:        new(37.5),
		Reason:       "p99 latency regressed",
		Window:       analysis.TimeRange{Start: time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC), End: time.Date(2026, 1, 1, 10, 30, 0, 0, time.UTC)},
		Metrics: []analysis.MetricResult{{
			Name: "latency_p99", Judge: "mann_whitney", Classification: judges.Classification("fail"), Weight: 2, Critical: true,
			Canary: analysis.CohortSummary{Query: "q", N: 30, Median: &median}, Shift: &shift,
		}},
		CompletedAt: time.Date(2026, 1, 1, 10, 31, 0, 0, time.UTC),
	}
}

func testConfig() Config {
	return Config{Attempts: 4, Backoff: 2 * time.Millisecond, Timeout: 5 * time.Second, UserAgent: "augur-test"}
}

func newSink(t *testing.T, cfg Config, client *http.Client) *Sink {
	t.Helper()
	s, err := New(cfg, client, discard())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// received is one request as the receiver saw it.
type received struct {
	header http.Header
	body   []byte
}

// receiver answers with statuses in turn (the last one repeats) and
// records every request.
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []received
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, received{header: r.Header.Clone(), body: b})
		n := len(rc.reqs)
		rc.mu.Unlock()
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		code := statuses[min(n, len(statuses))-1]
		w.WriteHeader(code)
		_, _ = io.WriteString(w, "answer "+strconv.Itoa(code))
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.reqs...)
}

func TestPublishDelivers(t *testing.T) {
	rc := newReceiver(t, http.StatusOK)
	sink := newSink(t, testConfig(), nil)
	before := time.Now().Unix()
	err := sink.Publish(context.Background(), analysis.Notification{ExperimentID: "exp-42", Webhooks: []string{rc.URL + "/hook"}, Verdict: testVerdict()})
	after := time.Now().Unix()
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	reqs := rc.requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1", len(reqs))
	}
	var got analysis.Verdict
	if err := json.Unmarshal(reqs[0].body, &got); err != nil {
		t.Fatalf("body %s: %v", reqs[0].body, err)
	}
	if want := testVerdict(); !reflect.DeepEqual(got, want) {
		t.Errorf("verdict\n got %+v\nwant %+v", got, want)
	}
	// Argo Rollouts' web provider reads result.verdict.
	var raw map[string]any
	_ = json.Unmarshal(reqs[0].body, &raw)
	if raw["verdict"] != "fail" || raw["experiment_id"] != "exp-42" {
		t.Errorf("body fields verdict=%v experiment_id=%v", raw["verdict"], raw["experiment_id"])
	}
	h := reqs[0].header
	if ct := h.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if ua := h.Get("User-Agent"); ua != "augur-test" {
		t.Errorf("User-Agent = %q", ua)
	}
	if id := h.Get("webhook-id"); id == "" || !strings.Contains(id, "exp-42") {
		t.Errorf("webhook-id = %q, want one derived from the experiment", id)
	}
	ts, err := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
	if err != nil || ts < before || ts > after {
		t.Errorf("webhook-timestamp = %q, want unix seconds in [%d, %d]", h.Get("webhook-timestamp"), before, after)
	}
}

func TestPublishNoWebhooks(t *testing.T) {
	sink := newSink(t, testConfig(), &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		t.Errorf("unexpected request to %s", r.URL)
		return nil, errors.New("unexpected")
	})})
	if err := sink.Publish(context.Background(), analysis.Notification{ExperimentID: "x", Verdict: testVerdict()}); err != nil {
		t.Errorf("Publish without webhooks = %v", err)
	}
}

func TestPublishRetries(t *testing.T) {
	tests := []struct {
		name      string
		statuses  []int
		attempts  int
		wantCalls int
		wantErr   string // "" for success
	}{
		{name: "200", statuses: []int{200}, attempts: 4, wantCalls: 1},
		{name: "204", statuses: []int{204}, attempts: 4, wantCalls: 1},
		{name: "500 500 200", statuses: []int{500, 500, 200}, attempts: 4, wantCalls: 3},
		{name: "503 then 202", statuses: []int{503, 202}, attempts: 4, wantCalls: 2},
		{name: "408 retried", statuses: []int{408, 200}, attempts: 4, wantCalls: 2},
		{name: "429 retried", statuses: []int{429, 429, 200}, attempts: 4, wantCalls: 3},
		{name: "400 not retried", statuses: []int{400}, attempts: 4, wantCalls: 1, wantErr: "HTTP 400: answer 400"},
		{name: "404 not retried", statuses: []int{404, 200}, attempts: 4, wantCalls: 1, wantErr: "HTTP 404"},
		{name: "always 500", statuses: []int{500}, attempts: 3, wantCalls: 3, wantErr: "HTTP 500"},
		{name: "one attempt only", statuses: []int{503, 200}, attempts: 1, wantCalls: 1, wantErr: "HTTP 503"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc := newReceiver(t, tc.statuses...)
			cfg := testConfig()
			cfg.Attempts = tc.attempts
			start := time.Now()
			err := newSink(t, cfg, nil).Publish(context.Background(), analysis.Notification{ExperimentID: "exp-7", Webhooks: []string{rc.URL}, Verdict: testVerdict()})
			elapsed := time.Since(start)
			reqs := rc.requests()
			if len(reqs) != tc.wantCalls {
				t.Errorf("got %d attempts, want %d", len(reqs), tc.wantCalls)
			}
			if tc.wantErr == "" && err != nil {
				t.Errorf("Publish = %v, want success", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), rc.URL)) {
				t.Errorf("Publish = %v, want an error naming %s and %q", err, rc.URL, tc.wantErr)
			}
			for i, r := range reqs {
				if id := r.header.Get("webhook-id"); id != reqs[0].header.Get("webhook-id") || id == "" {
					t.Errorf("attempt %d webhook-id = %q, first was %q", i+1, id, reqs[0].header.Get("webhook-id"))
				}
				if string(r.body) != string(reqs[0].body) {
					t.Errorf("attempt %d body differs from the first", i+1)
				}
			}
			// Waits of 2, 4, 8 ms... before attempts 2, 3, 4: a lower bound.
			if minWait := cfg.Backoff * (1<<(len(reqs)-1) - 1); elapsed < minWait {
				t.Errorf("%d attempts took %s, want at least %s of doubling backoff", len(reqs), elapsed, minWait)
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestPublishReceiverDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String() + "/hook"
	ln.Close()

	var mu sync.Mutex
	attempts := 0
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		attempts++
		mu.Unlock()
		return http.DefaultTransport.RoundTrip(r)
	})}
	cfg := testConfig()
	cfg.Attempts = 3
	err = newSink(t, cfg, client).Publish(context.Background(), analysis.Notification{ExperimentID: "e", Webhooks: []string{url}, Verdict: testVerdict()})
	if err == nil || !strings.Contains(err.Error(), url) || !strings.Contains(err.Error(), "gave up") {
		t.Errorf("Publish = %v, want a gave-up error naming %s", err, url)
	}
	if attempts != 3 {
		t.Errorf("got %d attempts, want 3", attempts)
	}
}

func TestPublishAttemptTimeout(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		// Never answers; the client gives up. (The server notices the client
		// going away only once the body has been read.)
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}))
	defer srv.Close()
	cfg := testConfig()
	cfg.Attempts, cfg.Timeout = 2, 20*time.Millisecond
	err := newSink(t, cfg, nil).Publish(context.Background(), analysis.Notification{ExperimentID: "e", Webhooks: []string{srv.URL}, Verdict: testVerdict()})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Publish = %v, want a deadline error", err)
	}
	srv.Close() // waits for the handlers
	mu.Lock()
	defer mu.Unlock()
	if calls != 2 {
		t.Errorf("got %d attempts, want 2", calls)
	}
}

func TestPublishJoinsErrorsPerURL(t *testing.T) {
	ok := newReceiver(t, http.StatusOK)
	bad := newReceiver(t, http.StatusForbidden)
	flaky := newReceiver(t, http.StatusBadGateway, http.StatusOK)
	err := newSink(t, testConfig(), nil).Publish(context.Background(), analysis.Notification{
		ExperimentID: "e", Webhooks: []string{bad.URL, ok.URL, flaky.URL}, Verdict: testVerdict(),
	})
	if err == nil || !strings.Contains(err.Error(), bad.URL) || !strings.Contains(err.Error(), "HTTP 403") {
		t.Fatalf("Publish = %v, want an error naming %s", err, bad.URL)
	}
	for _, u := range []string{ok.URL, flaky.URL} {
		if strings.Contains(err.Error(), u) {
			t.Errorf("error %q names %s, which received the verdict", err, u)
		}
	}
	for name, rc := range map[string]*receiver{"ok": ok, "flaky": flaky} {
		reqs := rc.requests()
		if len(reqs) == 0 {
			t.Fatalf("%s receiver got nothing", name)
		}
		var v analysis.Verdict
		if err := json.Unmarshal(reqs[len(reqs)-1].body, &v); err != nil || v.ExperimentID != "exp-42" {
			t.Errorf("%s receiver got %s (%v)", name, reqs[len(reqs)-1].body, err)
		}
	}
	if n := len(bad.requests()); n != 1 {
		t.Errorf("403 receiver got %d attempts, want 1", n)
	}
}

func TestPublishCancelledDuringBackoff(t *testing.T) {
	attempted := make(chan struct{}, 10)
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		attempted <- struct{}{}
		return &http.Response{StatusCode: http.StatusServiceUnavailable, Body: io.NopCloser(strings.NewReader("busy")), Header: http.Header{}, Request: r}, nil
	})}
	cfg := testConfig()
	cfg.Backoff = time.Hour // only cancellation can end the wait
	sink := newSink(t, cfg, client)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- sink.Publish(ctx, analysis.Notification{ExperimentID: "e", Webhooks: []string{"http://receiver.invalid/hook"}, Verdict: testVerdict()})
	}()
	<-attempted
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "after 1 attempts") {
			t.Errorf("Publish = %v, want cancelled after 1 attempt", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Publish did not return after its context was cancelled")
	}
	if n := len(attempted); n != 0 {
		t.Errorf("%d more attempts after cancellation", n)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{name: "defaults", cfg: DefaultConfig()},
		{name: "one attempt, no backoff", cfg: Config{Attempts: 1, Backoff: 0, Timeout: time.Second}},
		{name: "zero attempts", cfg: Config{Attempts: 0, Backoff: time.Second, Timeout: time.Second}, want: []string{"webhook.attempts", "got 0"}},
		{name: "negative backoff", cfg: Config{Attempts: 1, Backoff: -time.Second, Timeout: time.Second}, want: []string{"webhook.backoff", "-1s"}},
		{name: "zero timeout", cfg: Config{Attempts: 1, Timeout: 0}, want: []string{"webhook.timeout"}},
		{name: "all invalid", cfg: Config{Attempts: -1, Backoff: -1, Timeout: -1}, want: []string{"webhook.attempts", "webhook.backoff", "webhook.timeout"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			_, newErr := New(tc.cfg, nil, discard())
			if len(tc.want) == 0 {
				if err != nil || newErr != nil {
					t.Errorf("Validate() = %v, New() = %v; want both nil", err, newErr)
				}
				return
			}
			if err == nil || newErr == nil {
				t.Fatalf("Validate() = %v, New() = %v; want errors", err, newErr)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

// TestPublishTargetsPerURL: each URL's outcome is reported on its own, in
// order, so that a later retry goes only to the URLs that failed; a 4xx
// other than 408 and 429 is a refusal, which no retry can change.
func TestPublishTargetsPerURL(t *testing.T) {
	ok := newReceiver(t, http.StatusOK)
	tests := []struct {
		name    string
		rc      *receiver // nil: ok
		url     string    // when rc is nil and url is set: the URL itself
		wantErr string
		refused bool
	}{
		{name: "200", rc: ok},
		{name: "500 until the end", rc: newReceiver(t, http.StatusInternalServerError), wantErr: "HTTP 500"},
		{name: "408", rc: newReceiver(t, http.StatusRequestTimeout), wantErr: "HTTP 408"},
		{name: "429", rc: newReceiver(t, http.StatusTooManyRequests), wantErr: "HTTP 429"},
		{name: "403", rc: newReceiver(t, http.StatusForbidden), wantErr: "HTTP 403", refused: true},
		{name: "410", rc: newReceiver(t, http.StatusGone), wantErr: "HTTP 410", refused: true},
		{name: "no such scheme", url: "gopher://127.0.0.1:9/hook", wantErr: "unsupported protocol scheme"},
		{name: "not a URL", url: "http://127.0.0.1:9/\x7f", wantErr: "invalid control character", refused: true},
	}
	var urls []string
	for _, tt := range tests {
		u := tt.url
		if tt.rc != nil {
			u = tt.rc.URL + "/" + strings.ReplaceAll(tt.name, " ", "-")
		}
		urls = append(urls, u)
	}
	cfg := testConfig()
	cfg.Attempts = 2
	got := newSink(t, cfg, nil).PublishTargets(context.Background(), analysis.Notification{ExperimentID: "e", Webhooks: urls, Verdict: testVerdict()})
	if len(got) != len(tests) {
		t.Fatalf("%d results for %d URLs", len(got), len(tests))
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := got[i]
			if r.Target != urls[i] {
				t.Errorf("result %d is for %q, want %q", i, r.Target, urls[i])
			}
			switch {
			case tt.wantErr == "" && r.Err != nil:
				t.Errorf("err %v, want success", r.Err)
			case tt.wantErr != "" && (r.Err == nil || !strings.Contains(r.Err.Error(), tt.wantErr)):
				t.Errorf("err %v, want it to contain %q", r.Err, tt.wantErr)
			}
			if refused := errors.Is(r.Err, analysis.ErrRefused); refused != tt.refused {
				t.Errorf("err %v: refused %v, want %v", r.Err, refused, tt.refused)
			}
			if tt.rc == nil || tt.rc == ok {
				return
			}
			want := 2 // attempts within the call
			if tt.refused {
				want = 1
			}
			if n := len(tt.rc.requests()); n != want {
				t.Errorf("%d attempts, want %d", n, want)
			}
		})
	}
	if n := len(ok.requests()); n != 1 {
		t.Errorf("the 200 receiver got %d requests, want 1", n)
	}
}
