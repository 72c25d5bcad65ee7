package collector

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// blockingHandler answers 204 once release is closed; entered receives a
// value per request that got in, with the body it was given.
func blockingHandler(entered chan<- string, release <-chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		entered <- string(b)
		<-release
		w.WriteHeader(http.StatusNoContent)
	})
}

// TestLimiterSharedAcrossEndpoints: the concurrency limit counts the
// requests of every endpoint wrapped by one Limiter; past it a request is
// answered 429 with Retry-After at once, and the slots come back.
func TestLimiterSharedAcrossEndpoints(t *testing.T) {
	lim := DefaultLimits()
	lim.MaxConcurrentRequests = 2
	lim.RetryAfter = 7 * time.Second
	reg := prometheus.NewRegistry()
	l := NewLimiter(lim, reg)
	release := make(chan struct{})
	entered := make(chan string, 8)
	a := httptest.NewServer(l.Wrap("endpoint a", 1<<20, blockingHandler(entered, release)))
	defer a.Close()
	b := httptest.NewServer(l.Wrap("endpoint b", 1<<20, blockingHandler(entered, release)))
	defer b.Close()

	codes := make(chan int, 2)
	for _, u := range []string{a.URL, b.URL} {
		go func() {
			resp, err := http.Post(u, "text/plain", strings.NewReader("x"))
			if err != nil {
				codes <- 0
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	<-entered
	<-entered
	for _, u := range []string{a.URL, b.URL} {
		resp := post(t, u, "text/plain", "", []byte("y"))
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "7" ||
			!strings.Contains(string(body), "2 ingest requests in flight") || !strings.Contains(string(body), "max_concurrent_requests") {
			t.Errorf("third request: %d Retry-After=%q %q, want 429 naming the shared limit", resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
	}
	if got := testutil.ToFloat64(l.throttled); got != 2 {
		t.Errorf("augur_ingest_throttled_requests_total = %v, want 2", got)
	}
	close(release)
	for range 2 {
		if c := <-codes; c != http.StatusNoContent {
			t.Errorf("in-flight request: %d", c)
		}
	}
	if resp := post(t, a.URL, "text/plain", "", []byte("z")); resp.StatusCode != http.StatusNoContent {
		t.Errorf("after release: %d", resp.StatusCode)
	}
	if got := <-entered; got != "z" {
		t.Errorf("handler got body %q, want z", got)
	}
}

// TestLimiterReadsBodyBeforeSlot: a request still sending its body holds
// no slot, so a sender at the limit of one is served meanwhile; a body
// over the bound is refused with 413.
func TestLimiterReadsBodyBeforeSlot(t *testing.T) {
	lim := DefaultLimits()
	lim.MaxConcurrentRequests = 1
	l := NewLimiter(lim, prometheus.NewRegistry())
	srv := httptest.NewServer(l.Wrap("test", 16, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(b)
	})))
	defer srv.Close()

	pr, pw := io.Pipe()
	slow := make(chan string, 1)
	go func() {
		resp, err := http.Post(srv.URL, "text/plain", pr)
		if err != nil {
			slow <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		slow <- string(b)
	}()
	if _, err := pw.Write([]byte("slow ")); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		resp := post(t, srv.URL, "text/plain", "", []byte("fast"))
		if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK || string(b) != "fast" {
			t.Errorf("fast request %d while a body trickles: %d %q", i, resp.StatusCode, b)
		}
	}
	_, _ = pw.Write([]byte("body"))
	pw.Close()
	if got := <-slow; got != "slow body" {
		t.Errorf("slow request answered %q", got)
	}

	resp := post(t, srv.URL, "text/plain", "", []byte(strings.Repeat("x", 17)))
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "16 bytes") {
		t.Errorf("oversized body: %d %q", resp.StatusCode, b)
	}
}

// TestLimiterOff: a limit of 0 admits everything.
func TestLimiterOff(t *testing.T) {
	lim := DefaultLimits()
	lim.MaxConcurrentRequests = 0
	l := NewLimiter(lim, prometheus.NewRegistry())
	var releases []func()
	for range 100 {
		release, err := l.TryAcquire()
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, release)
	}
	for _, r := range releases {
		r()
	}
}

// TestLimiterBodyBudget: the bytes of bodies held in memory across every
// endpoint are bounded: a body announced over the budget is refused before
// it is read, a chunked one once it passes the budget, and a body is held
// until its handler returns.
func TestLimiterBodyBudget(t *testing.T) {
	lim := DefaultLimits()
	lim.MaxBodyBytesInFlight = 1000
	l := NewLimiter(lim, prometheus.NewRegistry())
	release := make(chan struct{})
	entered := make(chan string, 4)
	srv := httptest.NewServer(l.Wrap("remote write", 1<<20, blockingHandler(entered, release)))
	defer srv.Close()
	refused := func(t *testing.T, resp *http.Response) {
		t.Helper()
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" ||
			!strings.Contains(string(body), "max_body_bytes_in_flight") {
			t.Errorf("got %d %q, want 429 naming max_body_bytes_in_flight", resp.StatusCode, body)
		}
	}

	t.Run("announced over the budget", func(t *testing.T) {
		refused(t, post(t, srv.URL, "text/plain", "", bytes.Repeat([]byte("a"), 1500)))
	})
	t.Run("chunked past the budget", func(t *testing.T) {
		// A reader of unknown length makes the client send it chunked.
		resp, err := http.Post(srv.URL, "text/plain", io.MultiReader(strings.NewReader(strings.Repeat("b", 1500))))
		if err != nil {
			t.Fatal(err)
		}
		refused(t, resp)
	})
	t.Run("held until the handler returns", func(t *testing.T) {
		done := make(chan int, 1)
		go func() {
			resp, err := http.Post(srv.URL, "text/plain", strings.NewReader(strings.Repeat("c", 600)))
			if err != nil {
				done <- 0
				return
			}
			resp.Body.Close()
			done <- resp.StatusCode
		}()
		<-entered
		if got := l.bodies.Load(); got != 600 {
			t.Errorf("bytes held while the first body is served: %d, want 600", got)
		}
		refused(t, post(t, srv.URL, "text/plain", "", bytes.Repeat([]byte("d"), 600)))
		close(release)
		if c := <-done; c != http.StatusNoContent {
			t.Errorf("first request: %d", c)
		}
		if resp := post(t, srv.URL, "text/plain", "", bytes.Repeat([]byte("e"), 600)); resp.StatusCode != http.StatusNoContent {
			t.Errorf("after the first body was released: %d", resp.StatusCode)
		}
		<-entered
	})
	if got := l.bodies.Load(); got != 0 {
		t.Errorf("bytes held after every request: %d, want 0", got)
	}
}

// TestLimiterUpdate: new limits apply to new requests at once; a slot
// taken before is released to the limits it came from.
func TestLimiterUpdate(t *testing.T) {
	l := NewLimiter(LimitsConfig{MaxConcurrentRequests: 1}, prometheus.NewRegistry())
	release, err := l.TryAcquire()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.TryAcquire(); !errors.Is(err, ErrOverloaded) {
		t.Fatalf("second request at a limit of 1: %v", err)
	}
	l.Update(LimitsConfig{MaxConcurrentRequests: 2, RetryAfter: 7 * time.Second})
	r2, err := l.TryAcquire()
	if err != nil {
		t.Fatalf("after raising the limit to 2: %v", err)
	}
	r3, err := l.TryAcquire()
	if err != nil {
		t.Fatalf("the new limits count only their own slots: %v", err)
	}
	if _, err := l.TryAcquire(); !errors.Is(err, ErrOverloaded) || !strings.Contains(err.Error(), "2 ingest requests") {
		t.Fatalf("third request at the new limit of 2: %v", err)
	}
	if l.RetryAfter() != 7*time.Second {
		t.Errorf("retry after %s, want 7s", l.RetryAfter())
	}
	release() // back to the old semaphore, not the new one
	r2()
	r3()
	if _, err := l.TryAcquire(); err != nil {
		t.Errorf("after every release: %v", err)
	}
}
