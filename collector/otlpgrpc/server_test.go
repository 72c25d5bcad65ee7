package otlpgrpc

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/status"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// start serves a receiver on a loopback port and returns a client
// connection to it; both end with the test.
func start(t *testing.T, cfg Config, traces TracesConsumer, metrics MetricsConsumer, logs LogsConsumer) (*grpc.ClientConn, string) {
	t.Helper()
	cfg.Listen = "127.0.0.1:0"
	srv, err := New(discard(), cfg, traces, metrics, logs)
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, srv)
}

func serve(t *testing.T, srv *Server) (*grpc.ClientConn, string) {
	t.Helper()
	lis, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		srv.GracefulStop()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return conn, lis.Addr().String()
}

// fake consumes any signal, recording what it got and answering as told.
type fake struct {
	mu       sync.Mutex
	rejected int
	msg      string
	err      error
	traces   []ptrace.Traces
	metrics  []pmetric.Metrics
	logs     []plog.Logs
}

func (f *fake) ConsumeTraces(_ context.Context, td ptrace.Traces) (int, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.traces = append(f.traces, td)
	return f.rejected, f.msg, f.err
}

func (f *fake) ConsumeMetrics(_ context.Context, md pmetric.Metrics) (int, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.metrics = append(f.metrics, md)
	return f.rejected, f.msg, f.err
}

func (f *fake) ConsumeLogs(_ context.Context, ld plog.Logs) (int, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logs = append(f.logs, ld)
	return f.rejected, f.msg, f.err
}

func (f *fake) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.traces) + len(f.metrics) + len(f.logs)
}

func oneSpan() ptraceotlp.ExportRequest {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "shop")
	sp := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.SetName("GET /cart")
	sp.SetTraceID([16]byte{1})
	sp.SetSpanID([8]byte{1})
	sp.SetStartTimestamp(1e9)
	sp.SetEndTimestamp(2e9)
	return ptraceotlp.NewExportRequestFromTraces(td)
}

func onePoint() pmetricotlp.ExportRequest {
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("queue.depth")
	m.SetEmptyGauge().DataPoints().AppendEmpty().SetIntValue(3)
	return pmetricotlp.NewExportRequestFromMetrics(md)
}

func oneRecord() plogotlp.ExportRequest {
	ld := plog.NewLogs()
	ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr("hello")
	return plogotlp.NewExportRequestFromLogs(ld)
}

// exportFunc sends one item of a signal and returns the partial success.
type exportFunc func(ctx context.Context, conn *grpc.ClientConn) (rejected int64, msg string, err error)

var signals = []struct {
	name   string
	export exportFunc
	// register returns the consumer arguments of New with only this
	// signal's consumer set.
	register func(c *fake) (TracesConsumer, MetricsConsumer, LogsConsumer)
}{
	{
		name: "traces",
		export: func(ctx context.Context, conn *grpc.ClientConn) (int64, string, error) {
			r, err := ptraceotlp.NewGRPCClient(conn).Export(ctx, oneSpan())
			if err != nil {
				return 0, "", err
			}
			return r.PartialSuccess().RejectedSpans(), r.PartialSuccess().ErrorMessage(), nil
		},
		register: func(c *fake) (TracesConsumer, MetricsConsumer, LogsConsumer) { return c, nil, nil },
	},
	{
		name: "metrics",
		export: func(ctx context.Context, conn *grpc.ClientConn) (int64, string, error) {
			r, err := pmetricotlp.NewGRPCClient(conn).Export(ctx, onePoint())
			if err != nil {
				return 0, "", err
			}
			return r.PartialSuccess().RejectedDataPoints(), r.PartialSuccess().ErrorMessage(), nil
		},
		register: func(c *fake) (TracesConsumer, MetricsConsumer, LogsConsumer) { return nil, c, nil },
	},
	{
		name: "logs",
		export: func(ctx context.Context, conn *grpc.ClientConn) (int64, string, error) {
			r, err := plogotlp.NewGRPCClient(conn).Export(ctx, oneRecord())
			if err != nil {
				return 0, "", err
			}
			return r.PartialSuccess().RejectedLogRecords(), r.PartialSuccess().ErrorMessage(), nil
		},
		register: func(c *fake) (TracesConsumer, MetricsConsumer, LogsConsumer) { return nil, nil, c },
	},
}

// TestAnswers checks, per signal, how consumer outcomes are answered.
func TestAnswers(t *testing.T) {
	cases := []struct {
		name         string
		rejected     int
		msg          string
		err          error
		wantCode     codes.Code
		wantRejected int64
		wantMsg      string
		wantRetry    time.Duration
	}{
		{name: "accepted", wantCode: codes.OK},
		{name: "partial success", rejected: 1, msg: "1 item too old", wantCode: codes.OK, wantRejected: 1, wantMsg: "1 item too old"},
		{name: "store failure", err: errors.New("commit: disk full"), wantCode: codes.Unavailable},
		{name: "bad data", err: BadData(errors.New("no name")), wantCode: codes.InvalidArgument},
		{name: "throttled", err: Throttle(errors.New("busy"), 3*time.Second), wantCode: codes.ResourceExhausted, wantRetry: 3 * time.Second},
		{name: "unavailable with retry", err: Unavailable(errors.New("compacting"), time.Second), wantCode: codes.Unavailable, wantRetry: time.Second},
		{name: "status passes through", err: status.Error(codes.PermissionDenied, "tenant"), wantCode: codes.PermissionDenied},
	}
	for _, sig := range signals {
		for _, tc := range cases {
			t.Run(sig.name+"/"+tc.name, func(t *testing.T) {
				c := &fake{rejected: tc.rejected, msg: tc.msg, err: tc.err}
				tr, me, lo := sig.register(c)
				conn, _ := start(t, DefaultConfig(), tr, me, lo)
				rejected, msg, err := sig.export(context.Background(), conn)
				st := status.Convert(err)
				if st.Code() != tc.wantCode {
					t.Fatalf("code = %s (%v), want %s", st.Code(), err, tc.wantCode)
				}
				if c.calls() != 1 {
					t.Errorf("consumer called %d times, want 1", c.calls())
				}
				if rejected != tc.wantRejected || msg != tc.wantMsg {
					t.Errorf("partial success = %d %q, want %d %q", rejected, msg, tc.wantRejected, tc.wantMsg)
				}
				var retry time.Duration
				for _, d := range st.Details() {
					if ri, ok := d.(*errdetails.RetryInfo); ok {
						retry = ri.GetRetryDelay().AsDuration()
					}
				}
				if retry != tc.wantRetry {
					t.Errorf("RetryInfo delay = %s, want %s", retry, tc.wantRetry)
				}
			})
		}
	}
}

// TestUnimplemented: a signal without a consumer is not served.
func TestUnimplemented(t *testing.T) {
	conn, _ := start(t, DefaultConfig(), nil, nil, nil)
	for _, sig := range signals {
		if _, _, err := sig.export(context.Background(), conn); status.Code(err) != codes.Unimplemented {
			t.Errorf("%s: err = %v, want Unimplemented", sig.name, err)
		}
	}
}

// TestMalformed sends payloads that are not valid OTLP messages.
func TestMalformed(t *testing.T) {
	c := &fake{}
	conn, _ := start(t, DefaultConfig(), c, c, c)
	payloads := map[string][]byte{
		"truncated length":   {0x0a, 0x05, 0x01},
		"bad wire type":      {0x0f},
		"3-byte trace id":    {0x0a, 0x09, 0x12, 0x07, 0x12, 0x05, 0x0a, 0x03, 0x01, 0x02, 0x03},
		"varint never ends":  {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		"field number zero":  {0x00, 0x01},
		"group not closed":   {0x0b},
		"length beyond data": {0x0a, 0xff, 0x01},
	}
	for _, service := range []string{TraceServiceName, MetricsServiceName, LogsServiceName} {
		for name, p := range payloads {
			if service != TraceServiceName && name == "3-byte trace id" {
				continue
			}
			err := conn.Invoke(context.Background(), "/"+service+"/Export", &RawMessage{B: p}, new(RawMessage))
			if status.Code(err) != codes.InvalidArgument {
				t.Errorf("%s, %s: err = %v, want InvalidArgument", service, name, err)
			}
		}
	}
	if c.calls() != 0 {
		t.Errorf("consumer called %d times for malformed payloads", c.calls())
	}
}

// TestEmptyRequest: a request without data is answered OK without
// troubling the consumer.
func TestEmptyRequest(t *testing.T) {
	c := &fake{err: errors.New("must not be called")}
	conn, _ := start(t, DefaultConfig(), c, c, c)
	for _, service := range []string{TraceServiceName, MetricsServiceName, LogsServiceName} {
		if err := conn.Invoke(context.Background(), "/"+service+"/Export", &RawMessage{}, new(RawMessage)); err != nil {
			t.Errorf("%s: %v", service, err)
		}
	}
	if c.calls() != 0 {
		t.Errorf("consumer called %d times", c.calls())
	}
}

// TestMessageSizeAndGzip: the size limit applies after decompression, and
// gzip requests are accepted.
func TestMessageSizeAndGzip(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxRecvMsgBytes = 4 << 10
	c := &fake{}
	conn, _ := start(t, cfg, c, nil, nil)
	client := ptraceotlp.NewGRPCClient(conn)
	if _, err := client.Export(context.Background(), oneSpan(), grpc.UseCompressor(gzip.Name)); err != nil {
		t.Fatalf("gzip request: %v", err)
	}
	big := oneSpan()
	big.Traces().ResourceSpans().At(0).Resource().Attributes().PutStr("padding", string(make([]byte, 64<<10)))
	_, err := client.Export(context.Background(), big, grpc.UseCompressor(gzip.Name))
	if status.Code(err) != codes.ResourceExhausted {
		t.Errorf("oversized request: err = %v, want ResourceExhausted", err)
	}
	if c.calls() != 1 {
		t.Errorf("consumer called %d times, want 1", c.calls())
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Config)
		ok   bool
	}{
		{"default", func(*Config) {}, true},
		{"any port", func(c *Config) { c.Listen = ":4317" }, true},
		{"no listen", func(c *Config) { c.Listen = "" }, false},
		{"no port", func(c *Config) { c.Listen = "localhost" }, false},
		{"zero size", func(c *Config) { c.MaxRecvMsgBytes = 0 }, false},
		{"gRPC's own timeouts", func(c *Config) {
			c.ConnectionTimeout, c.KeepaliveTime, c.KeepaliveTimeout, c.KeepaliveMinTime = 0, 0, 0, 0
		}, true},
		{"negative keepalive", func(c *Config) { c.KeepaliveTime = -time.Second }, false},
	}
	for _, tc := range cases {
		cfg := DefaultConfig()
		tc.edit(&cfg)
		if err := cfg.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if _, err := New(discard(), cfg, nil, nil, nil); (err == nil) != tc.ok {
			t.Errorf("%s: New() = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
	if d := DefaultConfig(); d.Listen != "127.0.0.1:4317" || d.MaxRecvMsgBytes != 32<<20 {
		t.Errorf("DefaultConfig() = %+v", d)
	}
}

// TestInterceptors: server interceptors see the OTLP method names.
func TestInterceptors(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	icpt := grpc.UnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		mu.Lock()
		seen = append(seen, info.FullMethod)
		mu.Unlock()
		return h(ctx, req)
	})
	cfg := DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	c := &fake{}
	srv, err := New(discard(), cfg, c, nil, nil, icpt)
	if err != nil {
		t.Fatal(err)
	}
	conn, _ := serve(t, srv)
	if _, err := ptraceotlp.NewGRPCClient(conn).Export(context.Background(), oneSpan()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 || seen[0] != "/"+TraceServiceName+"/Export" {
		t.Errorf("interceptor saw %v", seen)
	}
}

func TestServeStop(t *testing.T) {
	srv, err := New(discard(), Config{Listen: "127.0.0.1:0", MaxRecvMsgBytes: 1 << 20}, &fake{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(lis) }()
	time.Sleep(20 * time.Millisecond)
	srv.Stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve after Stop = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after Stop")
	}
}
