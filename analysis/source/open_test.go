package source

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	api_v2 "github.com/jaegertracing/jaeger-idl/proto-gen/api_v2"
	"google.golang.org/grpc"

	"github.com/augurhq/augur/analysis"
)

// traceServer is a Jaeger query service on loopback answering no traces;
// while block is open, each FindTraces waits for it.
type traceServer struct {
	api_v2.UnimplementedQueryServiceServer
	started chan struct{}
	block   chan struct{}
}

func (s *traceServer) FindTraces(_ *api_v2.FindTracesRequest, stream api_v2.QueryService_FindTracesServer) error {
	s.started <- struct{}{}
	if s.block != nil {
		select {
		case <-s.block:
		case <-stream.Context().Done():
		}
	}
	return nil
}

func serveTraces(t *testing.T, block bool) (*traceServer, string) {
	t.Helper()
	ts := &traceServer{started: make(chan struct{}, 64)}
	if block {
		ts.block = make(chan struct{})
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	api_v2.RegisterQueryServiceServer(srv, ts)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return ts, lis.Addr().String()
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// goroutines polls until at most want goroutines run (connections take a
// moment to wind down) and returns the count; it gives up after 5 s.
func goroutines(want int) int {
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// settled returns the number of goroutines once it held still for 50 ms
// (or after 2 s).
func settled() int {
	deadline := time.Now().Add(2 * time.Second)
	n, still := runtime.NumGoroutine(), 0
	for still < 5 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m == n {
			still++
		} else {
			n, still = m, 0
		}
	}
	return n
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// jaegerDef is a spec-defined Jaeger source; each i is a different
// definition (and so a different open source) of the same server.
func jaegerDef(addr string, i int) *analysis.SourceSpec {
	d := analysis.SourceSpec{Type: analysis.SourceJaeger, Address: addr, Timeout: analysis.Duration(time.Duration(i+1) * time.Second)}
	return &d
}

func fetchTraces(t *testing.T, src analysis.Source) {
	t.Helper()
	if _, err := src.Fetch(context.Background(), analysis.Query{Expr: `{service="checkout"}`, Start: t0, End: t0.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
}

// TestRegistryClosesIdleSources: a Jaeger source holds a gRPC connection and
// its goroutines, an HTTP source its keep-alive connections; both are
// closed once idle for IdleTimeout (not before), which returns the
// goroutines, and a handle kept meanwhile opens its source again.
func TestRegistryClosesIdleSources(t *testing.T) {
	_, addr := serveTraces(t, false)
	prom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[]}}`))
	}))
	defer prom.Close()
	clock := &fakeClock{t: t0}
	reg, err := NewRegistry(nil, nil, true, nil, WithLimits(Limits{IdleTimeout: 10 * time.Minute, MaxSpecSources: 8}), WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	baseline := settled()
	var srcs []analysis.Source
	for i := range 3 {
		src, err := reg.Source(fmt.Sprintf("traces%d", i), jaegerDef(addr, i))
		if err != nil {
			t.Fatal(err)
		}
		fetchTraces(t, src)
		srcs = append(srcs, src)
	}
	promSrc, err := reg.Source("prom", &analysis.SourceSpec{Type: analysis.SourcePrometheus, URL: prom.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := promSrc.Fetch(context.Background(), analysis.Query{Expr: "up", End: t0}); err != nil {
		t.Fatal(err)
	}
	open := runtime.NumGoroutine()
	if open < baseline+3*4 {
		t.Fatalf("%d goroutines with 3 Jaeger connections open, %d before: the test sees no connection", open, baseline)
	}

	clock.Advance(10*time.Minute - time.Millisecond)
	reg.closeIdle()
	if all, spec := reg.Open(); all != 4 || spec != 4 {
		t.Fatalf("%d sources (%d spec-defined) open before the idle timeout, want 4", all, spec)
	}
	clock.Advance(time.Millisecond)
	reg.closeIdle()
	if all, _ := reg.Open(); all != 0 {
		t.Fatalf("%d sources open after the idle timeout", all)
	}
	if n := goroutines(baseline); n > baseline {
		t.Errorf("%d goroutines after closing the idle sources, %d before opening them (%d open)", n, baseline, open)
	}

	fetchTraces(t, srcs[1]) // the handle opens its source again
	if all, _ := reg.Open(); all != 1 {
		t.Errorf("%d sources open after a query through a handle kept across the idle period, want 1", all)
	}
}

// TestRegistryEvictsLeastRecentlyUsed: past MaxSpecSources, opening a
// spec-defined source closes the one used longest ago; sources the server
// defines do not count.
func TestRegistryEvictsLeastRecentlyUsed(t *testing.T) {
	_, addr := serveTraces(t, false)
	baseline := settled()
	clock := &fakeClock{t: t0}
	named := map[string]analysis.SourceSpec{"server": *jaegerDef(addr, 9)}
	reg, err := NewRegistry(nil, named, true, nil, WithLimits(Limits{IdleTimeout: time.Hour, MaxSpecSources: 2}), WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	server, err := reg.Source("server", nil)
	if err != nil {
		t.Fatal(err)
	}
	fetchTraces(t, server)
	src := map[string]analysis.Source{}
	for i, name := range []string{"a", "b", "a", "c"} { // b is then the least recently used
		clock.Advance(time.Second)
		if src[name] == nil {
			if src[name], err = reg.Source(name, jaegerDef(addr, i)); err != nil {
				t.Fatal(err)
			}
		}
		fetchTraces(t, src[name])
	}
	all, spec := reg.Open()
	if all != 3 || spec != 2 {
		t.Errorf("%d sources open, %d spec-defined; want the server's and 2", all, spec)
	}
	if names := reg.openNames(); names != "a,c,server" {
		t.Errorf("open: %s, want a,c,server (b used longest ago)", names)
	}
	if err := reg.Close(); err != nil {
		t.Fatal(err)
	}
	if n := goroutines(baseline); n > baseline {
		t.Errorf("%d goroutines after Close, %d before", n, baseline)
	}
	if _, err := server.Fetch(context.Background(), analysis.Query{Expr: `{service="x"}`, Start: t0, End: t0.Add(time.Minute)}); err == nil ||
		!strings.Contains(err.Error(), "registry is closed") {
		t.Errorf("a query after Close: %v", err)
	}
}

// TestRegistryNeverClosesASourceInUse: neither the idle timeout nor the
// bound on spec-defined sources closes a source a query is using; the
// query completes, and the source closes once idle.
func TestRegistryNeverClosesASourceInUse(t *testing.T) {
	ts, addr := serveTraces(t, true)
	clock := &fakeClock{t: t0}
	reg, err := NewRegistry(nil, nil, true, nil, WithLimits(Limits{IdleTimeout: time.Minute, MaxSpecSources: 1}), WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	a, err := reg.Source("a", jaegerDef(addr, 0))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := a.Fetch(context.Background(), analysis.Query{Expr: `{service="x"}`, Start: t0, End: t0.Add(time.Minute)})
		done <- err
	}()
	<-ts.started
	clock.Advance(time.Hour)
	reg.closeIdle()
	if _, err := reg.Source("b", jaegerDef(addr, 1)); err != nil { // over MaxSpecSources, while a is in use
		t.Fatal(err)
	}
	if names := reg.openNames(); names != "a" {
		t.Errorf("open while a is in use: %q, want a (b closed as the least recently used idle one)", names)
	}
	close(ts.block)
	if err := <-done; err != nil {
		t.Errorf("the query in use: %v", err)
	}
	clock.Advance(time.Minute)
	reg.closeIdle()
	if all, _ := reg.Open(); all != 0 {
		t.Errorf("%d sources open once idle", all)
	}
}

func TestLimitsValidate(t *testing.T) {
	if err := DefaultLimits().Validate("analysis.sources"); err != nil {
		t.Error(err)
	}
	err := Limits{IdleTimeout: time.Millisecond}.Validate("analysis.sources")
	for _, want := range []string{"analysis.sources.idle_timeout: must be at least 1s, got 1ms", "analysis.sources.max_spec_sources: must be at least 1, got 0"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in %v", want, err)
		}
	}
	if _, err := NewRegistry(nil, nil, false, nil, WithLimits(Limits{})); err == nil {
		t.Error("a registry with zero limits")
	}
}

// openNames lists the open sources' names, sorted.
func (r *Registry) openNames() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var names []string
	for _, e := range r.opened {
		names = append(names, e.name)
	}
	slices.Sort(names)
	return strings.Join(names, ",")
}
