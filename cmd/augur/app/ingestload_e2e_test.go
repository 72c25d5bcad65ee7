package app

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/augurhq/augur/collector/otlpgrpc"
)

// remoteWriteV1 encodes a remote-write 1.0 request of one sample of
// load_test{k=k} at ts.
func remoteWriteV1(t *testing.T, k string, ts time.Time, v float64) []byte {
	t.Helper()
	b, err := (&prompb.WriteRequest{Timeseries: []prompb.TimeSeries{{
		Labels:  []prompb.Label{{Name: "__name__", Value: "load_test"}, {Name: "k", Value: k}},
		Samples: []prompb.Sample{{Timestamp: ts.UnixMilli(), Value: v}},
	}}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return snappy.Encode(nil, b)
}

// slowSender opens a connection to addr, sends the headers of a remote
// write with a 100 kB body and then trickles the body a byte at a time
// until the server gives up. status receives the status line the server
// answered with ("" if it only closed the connection), and when.
func slowSender(t *testing.T, addr string, status chan<- string, at chan<- time.Time) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST /api/v1/write HTTP/1.1\r\nHost: augur\r\nContent-Type: application/x-protobuf\r\n"+
		"Content-Encoding: snappy\r\nContent-Length: 100000\r\n\r\nx")
	stop := make(chan struct{})
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := conn.Write([]byte{'x'}); err != nil {
					return
				}
			}
		}
	}()
	go func() {
		defer close(stop)
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		line, _ := bufio.NewReader(conn).ReadString('\n')
		at <- time.Now()
		status <- strings.TrimSpace(line)
	}()
}

// TestSlowBodiesDoNotBlockIngest: as many connections as the concurrency
// limit trickle bodies to /api/v1/write, yet a well-behaved sender's writes
// succeed meanwhile; the slow ones are cut off after the read timeout.
func TestSlowBodiesDoNotBlockIngest(t *testing.T) {
	const limit, deadline = 4, 400 * time.Millisecond
	srv := startServer(t, func(c *Config) {
		c.Collector.Limits.MaxConcurrentRequests = limit
		c.HTTP.ReadTimeout = deadline
	})
	addr := strings.TrimPrefix(srv.URL(), "http://")
	status, cut := make(chan string, limit), make(chan time.Time, limit)
	begun := time.Now()
	for range limit {
		slowSender(t, addr, status, cut)
	}
	time.Sleep(100 * time.Millisecond) // the slow requests are in their handlers

	ts := time.Now().Add(-time.Minute).Truncate(time.Second)
	for i := range 5 {
		code, msg := post(t, srv.URL()+"/api/v1/write", "application/x-protobuf", "snappy", remoteWriteV1(t, "good", ts.Add(time.Duration(i)*time.Second), float64(i)))
		if code != http.StatusNoContent {
			t.Fatalf("well-behaved write %d while %d bodies trickle: %d %s", i, limit, code, msg)
		}
	}
	for range limit {
		at, line := <-cut, <-status
		if !strings.Contains(line, "408") || at.Sub(begun) < deadline {
			t.Errorf("slow sender cut after %s with %q, want a 408 after the %s read timeout", at.Sub(begun), line, deadline)
		}
	}
	if got, ok := queryScalar(t, srv, `load_test{k="good"}`, ts.Add(4*time.Second)); !ok || got != 4 {
		t.Errorf("load_test = %v (found %v), want 4", got, ok)
	}
}

// TestVerdictLongPollOutlivesReadTimeout: the verdict endpoint's long poll
// runs past the server's read timeout without its request being cancelled.
func TestVerdictLongPollOutlivesReadTimeout(t *testing.T) {
	const deadline, wait = 150 * time.Millisecond, 600 * time.Millisecond
	srv := startServer(t, func(c *Config) { c.HTTP.ReadTimeout = deadline })
	now := time.Now().Truncate(time.Minute)
	e := createExperiment(t, srv, DemoSpec(now, now.Add(time.Hour)))
	begun := time.Now()
	resp, err := http.Get(fmt.Sprintf("%s/api/v1/experiments/%s/verdict?wait=%s", srv.URL(), e.ID, wait))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct {
		Verdict string `json:"verdict"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(begun); resp.StatusCode != http.StatusOK || v.Verdict != "pending" || took < wait {
		t.Errorf("long poll: %d %q after %s, want 200 pending after the %s wait", resp.StatusCode, v.Verdict, took, wait)
	}
}

// TestReadTimeoutSparesLongRequests: the server's read timeout bounds the
// upload, not the handler: a request served for longer than it, with or
// without a body, keeps its context.
func TestReadTimeoutSparesLongRequests(t *testing.T) {
	const timeout, work = 100 * time.Millisecond, 400 * time.Millisecond
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		select {
		case <-r.Context().Done():
			fmt.Fprintf(w, "cancelled, body %q", b)
		case <-time.After(work):
			fmt.Fprintf(w, "served, body %q", b)
		}
	})
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = newHTTPServer(handler, HTTPConfig{ReadHeaderTimeout: time.Second, ReadTimeout: timeout, IdleTimeout: time.Second, MaxHeaderBytes: 1 << 10})
	srv.Start()
	defer srv.Close()
	for _, tc := range []struct {
		name, body, want string
	}{
		{"no body", "", `served, body ""`},
		{"body", "hello", `served, body "hello"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := range 2 { // the second request reuses the connection
				var resp *http.Response
				var err error
				if tc.body == "" {
					resp, err = http.Get(srv.URL)
				} else {
					resp, err = http.Post(srv.URL, "text/plain", strings.NewReader(tc.body))
				}
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if string(b) != tc.want {
					t.Errorf("request %d: handler answered %q, want %q", i, b, tc.want)
				}
			}
		})
	}
}

// blockingTraces holds every call until release is closed.
type blockingTraces struct {
	entered chan struct{}
	release chan struct{}
}

func (b blockingTraces) ConsumeTraces(context.Context, ptrace.Traces) (int, string, error) {
	b.entered <- struct{}{}
	<-b.release
	return 0, "", nil
}

func exportSpans(ctx context.Context, addr string) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = ptraceotlp.NewGRPCClient(conn).Export(ctx, ptraceotlp.NewExportRequestFromTraces(serverSpans("v1", time.Now().Add(-time.Minute), 1)))
	return err
}

// TestIngestLimitShared: gRPC and HTTP ingest share one concurrency
// limit. Calls held in a gRPC receiver make the server's HTTP ingest
// endpoints answer 429; requests held in an HTTP endpoint make its gRPC
// receivers answer RESOURCE_EXHAUSTED with a retry delay.
func TestIngestLimitShared(t *testing.T) {
	const limit = 2
	srv := startServer(t, func(c *Config) {
		c.Collector.Limits.MaxConcurrentRequests = limit
		c.Collector.Limits.RetryAfter = 3 * time.Second
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	t.Run("gRPC calls fill it, HTTP is refused", func(t *testing.T) {
		held := blockingTraces{entered: make(chan struct{}, limit), release: make(chan struct{})}
		cfg := otlpgrpc.DefaultConfig()
		cfg.Listen = "127.0.0.1:0"
		g, err := otlpgrpc.New(quietLogger(), cfg, held, nil, nil, ingestGRPC(srv.ingest)...)
		if err != nil {
			t.Fatal(err)
		}
		lis, err := g.Listen()
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = g.Serve(lis) }()
		defer g.Stop()
		var wg sync.WaitGroup
		for range limit {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := exportSpans(ctx, lis.Addr().String()); err != nil {
					t.Errorf("held call: %v", err)
				}
			}()
		}
		for range limit {
			<-held.entered
		}
		for _, path := range []string{"/api/v1/write", "/v1/traces", "/v1/metrics", "/v1/logs", "/loki/api/v1/push"} {
			code, msg := post(t, srv.URL()+path, "application/x-protobuf", "", nil)
			if code != http.StatusTooManyRequests || !strings.Contains(msg, "max_concurrent_requests") {
				t.Errorf("%s: %d %q, want 429 naming the limit", path, code, msg)
			}
		}
		close(held.release)
		wg.Wait()
		code, msg := post(t, srv.URL()+"/api/v1/write", "application/x-protobuf", "snappy", remoteWriteV1(t, "after", time.Now().Add(-time.Minute), 1))
		if code != http.StatusNoContent {
			t.Errorf("after the calls ended: %d %s", code, msg)
		}
	})

	t.Run("HTTP requests fill it, gRPC is refused", func(t *testing.T) {
		entered, release := make(chan struct{}, limit), make(chan struct{})
		h := httptest.NewServer(srv.ingest.Wrap("held", 1<<20, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			entered <- struct{}{}
			<-release
		})))
		defer h.Close()
		var wg sync.WaitGroup
		for range limit {
			wg.Add(1)
			go func() {
				defer wg.Done()
				post(t, h.URL, "text/plain", "", []byte("x"))
			}()
		}
		for range limit {
			<-entered
		}
		for _, receiver := range []string{"otlp_grpc", "jaeger"} {
			var err error
			if receiver == "jaeger" {
				conn, cerr := grpc.NewClient(srv.GRPCAddr("jaeger"), grpc.WithTransportCredentials(insecure.NewCredentials()))
				if cerr != nil {
					t.Fatal(cerr)
				}
				err = conn.Invoke(ctx, "/jaeger.api_v2.CollectorService/PostSpans", &otlpgrpc.RawMessage{}, new(otlpgrpc.RawMessage))
				conn.Close()
			} else {
				err = exportSpans(ctx, srv.GRPCAddr(receiver))
			}
			st := status.Convert(err)
			var retry time.Duration
			for _, d := range st.Details() {
				if ri, ok := d.(*errdetails.RetryInfo); ok {
					retry = ri.GetRetryDelay().AsDuration()
				}
			}
			if st.Code() != codes.ResourceExhausted || retry != 3*time.Second || !strings.Contains(st.Message(), "max_concurrent_requests") {
				t.Errorf("%s: %s %q retry %s, want RESOURCE_EXHAUSTED with a 3s retry delay", receiver, st.Code(), st.Message(), retry)
			}
		}
		close(release)
		wg.Wait()
		if err := exportSpans(ctx, srv.GRPCAddr("otlp_grpc")); err != nil {
			t.Errorf("after the requests ended: %v", err)
		}
	})
}
