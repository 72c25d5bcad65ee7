package sourcetest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
)

// Fault is one way a server refuses a request.
type Fault struct {
	Name string
	// Status is the HTTP status of the fault; a gRPC backend refuses with
	// the matching code (503 Unavailable, 401 Unauthenticated...).
	Status int
	// Permanent: the source's error must wrap analysis.ErrPermanent.
	Permanent bool
}

// Faults are the refusals every source must classify.
func Faults() []Fault {
	return []Fault{
		{Name: "unavailable", Status: http.StatusServiceUnavailable},
		{Name: "internal error", Status: http.StatusInternalServerError},
		{Name: "bad gateway", Status: http.StatusBadGateway},
		{Name: "gateway timeout", Status: http.StatusGatewayTimeout},
		{Name: "rate limited", Status: http.StatusTooManyRequests},
		{Name: "unauthorized", Status: http.StatusUnauthorized, Permanent: true},
		{Name: "forbidden", Status: http.StatusForbidden, Permanent: true},
	}
}

// HTTPRefuse starts a loopback HTTP server answering every request with
// f's status and a plain-text reason, as proxies and Loki do. The error
// must mention the status code and the reason.
func HTTPRefuse(t *testing.T, f Fault) (addr string, mentions []string) {
	reason := "the test server refuses: " + f.Name
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(f.Status)
		fmt.Fprintln(w, reason)
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String(), []string{strconv.Itoa(f.Status), reason}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// silent accepts connections and never answers, until the test ends.
func silent(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		done  = make(chan struct{})
	)
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

func runErrors(t *testing.T, b Backend) {
	type fetch struct {
		dur time.Duration
		err error
	}
	call := func(ctx context.Context, src analysis.Source) fetch {
		begin := time.Now()
		_, err := src.Fetch(ctx, b.Probe)
		return fetch{time.Since(begin), err}
	}
	retryable := func(t *testing.T, f fetch, within time.Duration, is error) {
		t.Helper()
		switch {
		case f.err == nil:
			t.Fatalf("Fetch succeeded; want an error")
		case errors.Is(f.err, analysis.ErrPermanent):
			t.Errorf("error is permanent, want retryable: %v", f.err)
		case is != nil && !errors.Is(f.err, is):
			t.Errorf("error does not wrap %v: %v", is, f.err)
		}
		if f.dur > within {
			t.Errorf("took %s, want at most %s (error: %v)", f.dur, within, f.err)
		}
		t.Log(f.err)
	}

	t.Run("closed port", func(t *testing.T) {
		f := call(context.Background(), b.Endpoint(t, closedPort(t), 10*time.Second))
		retryable(t, f, 3*time.Second, nil)
	})
	t.Run("server never answers: the attempt times out", func(t *testing.T) {
		const timeout = 300 * time.Millisecond
		f := call(context.Background(), b.Endpoint(t, silent(t), timeout))
		retryable(t, f, timeout+3*time.Second, context.DeadlineExceeded)
		if f.dur < timeout {
			t.Errorf("gave up after %s, before the %s timeout", f.dur, timeout)
		}
	})
	t.Run("server never answers: the caller cancels", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		f := call(ctx, b.Endpoint(t, silent(t), time.Minute))
		retryable(t, f, 3*time.Second, context.Canceled)
	})
	t.Run("server never answers: the caller's deadline passes", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		f := call(ctx, b.Endpoint(t, silent(t), time.Minute))
		retryable(t, f, 3*time.Second, context.DeadlineExceeded)
	})

	t.Run("faults", func(t *testing.T) {
		if b.Refuse == nil {
			t.Skip("the backend cannot serve faults")
		}
		for _, fault := range Faults() {
			t.Run(fault.Name, func(t *testing.T) {
				addr, mentions := b.Refuse(t, fault)
				_, err := b.Endpoint(t, addr, 10*time.Second).Fetch(context.Background(), b.Probe)
				if err == nil {
					t.Fatalf("Fetch succeeded; want an error")
				}
				if got := errors.Is(err, analysis.ErrPermanent); got != fault.Permanent {
					t.Errorf("permanent = %v, want %v: %v", got, fault.Permanent, err)
				}
				t.Log(err)
				for _, m := range mentions {
					if !strings.Contains(err.Error(), m) {
						t.Errorf("error does not mention %q: %v", m, err)
					}
				}
			})
		}
	})
}
