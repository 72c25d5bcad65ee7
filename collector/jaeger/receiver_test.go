package jaeger

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	model "github.com/jaegertracing/jaeger-idl/model/v1"
	"github.com/prometheus/prometheus/promql"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/augurhq/augur/collector"
	"github.com/augurhq/augur/collector/otlpgrpc"
	"github.com/augurhq/augur/collector/store/storetest"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// send calls PostSpans as jaeger-idl's generated CollectorService
// client does: the same method name and a PostSpansRequest whose field 1
// is the batch.
func send(ctx context.Context, conn *grpc.ClientConn, batch *model.Batch, opts ...grpc.CallOption) error {
	inner, err := batch.Marshal()
	if err != nil {
		return err
	}
	req := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), inner)
	return conn.Invoke(ctx, "/"+ServiceName+"/"+MethodName, &otlpgrpc.RawMessage{B: req}, new(otlpgrpc.RawMessage), opts...)
}

func serve(t *testing.T, srv *otlpgrpc.Server) *grpc.ClientConn {
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
	return conn
}

func standalone(t *testing.T, c otlpgrpc.TracesConsumer) *grpc.ClientConn {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	srv, err := NewServer(discard(), cfg, c)
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, srv)
}

// TestPostSpansToStore sends Jaeger batches of two versions over gRPC and
// reads the RED series back from a real store.
func TestPostSpansToStore(t *testing.T) {
	st := storetest.Open(t)
	sm, err := collector.NewSpanMetrics(discard(), st, collector.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	conn := standalone(t, otlpgrpc.SpanMetrics{SM: sm})

	base := time.Now().Add(-time.Minute).Truncate(time.Second)
	var id uint64
	batch := func(proc *model.Process, n, errs int, errTag model.KeyValue) *model.Batch {
		b := &model.Batch{Process: proc}
		for i := range n {
			id++
			sp := &model.Span{TraceID: model.NewTraceID(id, id), SpanID: model.SpanID(id), OperationName: "GET /cart",
				StartTime: base.Add(time.Duration(i) * time.Second), Duration: 30 * time.Millisecond,
				Tags: []model.KeyValue{model.String("span.kind", "server")}}
			if i < errs {
				sp.Tags = append(sp.Tags, errTag)
			}
			b.Spans = append(b.Spans, sp)
		}
		return b
	}
	ctx := context.Background()
	// v1 names its version with Jaeger's customary "version" tag, and fails
	// with error=true; v2 uses service.version and fails with HTTP 503.
	if err := send(ctx, conn, batch(shop(str("version", "v1")), 40, 4, model.Bool("error", true))); err != nil {
		t.Fatal(err)
	}
	if err := send(ctx, conn, batch(shop(str("service.version", "v2")), 25, 10, model.Int64("http.status_code", 503)), grpc.UseCompressor(gzip.Name)); err != nil {
		t.Fatal(err)
	}

	at := base.Add(2 * time.Minute)
	for _, tc := range []struct {
		expr string
		want float64
	}{
		{`sum(augur_span_requests_total{service_name="shop",service_version="v2"})`, 25},
		{`sum(augur_span_errors_total{service_name="shop",service_version="v2",span_kind="server"})`, 10},
		{`sum(augur_span_requests_total{service_name="shop",service_version="v1"})`, 40},
		{`sum(augur_span_errors_total{service_name="shop",service_version="v1"})`, 4},
	} {
		v, _, err := st.Instant(ctx, tc.expr, at)
		if err != nil {
			t.Fatal(err)
		}
		vec := v.(promql.Vector)
		if len(vec) != 1 || vec[0].F != tc.want {
			t.Errorf("%s = %v, want %v", tc.expr, vec, tc.want)
		}
	}
}

type fake struct {
	mu     sync.Mutex
	err    error
	traces []ptrace.Traces
}

func (f *fake) ConsumeTraces(_ context.Context, td ptrace.Traces) (int, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.traces = append(f.traces, td)
	return 0, "", f.err
}

func (f *fake) spans() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, td := range f.traces {
		n += td.SpanCount()
	}
	return n
}

func TestPostSpansAnswers(t *testing.T) {
	bad := span(0)
	cases := []struct {
		name      string
		batch     *model.Batch
		raw       []byte // sent instead of batch when set
		err       error
		wantCode  codes.Code
		wantSpans int
	}{
		{name: "valid", batch: &model.Batch{Process: shop(), Spans: []*model.Span{span(1), span(2)}}, wantSpans: 2},
		{name: "empty batch", batch: &model.Batch{Process: shop()}},
		{name: "some invalid", batch: &model.Batch{Process: shop(), Spans: []*model.Span{span(1), bad}}, wantSpans: 1},
		{name: "all invalid", batch: &model.Batch{Process: shop(), Spans: []*model.Span{bad}}, wantCode: codes.InvalidArgument},
		{name: "malformed", raw: []byte{0x0a, 0x05, 0x0a}, wantCode: codes.InvalidArgument},
		{name: "malformed batch", raw: []byte{0x0a, 0x02, 0x0a, 0x05}, wantCode: codes.InvalidArgument},
		{name: "store failure", batch: &model.Batch{Process: shop(), Spans: []*model.Span{span(1)}}, err: errors.New("disk full"), wantCode: codes.Unavailable, wantSpans: 1},
		{name: "consumer says bad data", batch: &model.Batch{Process: shop(), Spans: []*model.Span{span(1)}}, err: otlpgrpc.BadData(errors.New("no")), wantCode: codes.InvalidArgument, wantSpans: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &fake{err: tc.err}
			conn := standalone(t, c)
			var err error
			if tc.raw != nil {
				err = conn.Invoke(context.Background(), "/"+ServiceName+"/"+MethodName, &otlpgrpc.RawMessage{B: tc.raw}, new(otlpgrpc.RawMessage))
			} else {
				err = send(context.Background(), conn, tc.batch)
			}
			if status.Code(err) != tc.wantCode {
				t.Errorf("code = %s (%v), want %s", status.Code(err), err, tc.wantCode)
			}
			if c.spans() != tc.wantSpans {
				t.Errorf("consumer got %d spans, want %d", c.spans(), tc.wantSpans)
			}
		})
	}
}

// TestSharedServer serves Jaeger and OTLP traces on one gRPC server; a
// server without Register answers Unimplemented.
func TestSharedServer(t *testing.T) {
	c := &fake{}
	cfg := otlpgrpc.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	srv, err := otlpgrpc.New(discard(), cfg, c, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	Register(srv.GRPC(), discard(), c)
	conn := serve(t, srv)
	if err := send(context.Background(), conn, &model.Batch{Process: shop(), Spans: []*model.Span{span(1)}}); err != nil {
		t.Fatalf("jaeger: %v", err)
	}
	td := ptrace.NewTraces()
	sp := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.SetTraceID([16]byte{1})
	sp.SetSpanID([8]byte{1})
	if _, err := ptraceotlp.NewGRPCClient(conn).Export(context.Background(), ptraceotlp.NewExportRequestFromTraces(td)); err != nil {
		t.Fatalf("otlp: %v", err)
	}
	if c.spans() != 2 {
		t.Errorf("consumer got %d spans, want 2", c.spans())
	}

	plain, err := otlpgrpc.New(discard(), cfg, c, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := send(context.Background(), serve(t, plain), &model.Batch{Spans: []*model.Span{span(1)}}); status.Code(err) != codes.Unimplemented {
		t.Errorf("without Register: %v, want Unimplemented", err)
	}
}

func TestNewServer(t *testing.T) {
	if d := DefaultConfig(); d.Listen != "127.0.0.1:14250" || d.Validate() != nil {
		t.Errorf("DefaultConfig() = %+v", d)
	}
	if _, err := NewServer(discard(), DefaultConfig(), nil); err == nil {
		t.Error("NewServer without consumer succeeded")
	}
	cfg := DefaultConfig()
	cfg.MaxRecvMsgBytes = 0
	if _, err := NewServer(discard(), cfg, &fake{}); err == nil || !strings.Contains(err.Error(), "jaeger_grpc.max_recv_msg_bytes") {
		t.Errorf("NewServer with invalid config: %v", err)
	}
}
