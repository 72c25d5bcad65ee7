package jaeger

import (
	"net"
	"sync"
	"testing"
	"time"

	model "github.com/jaegertracing/jaeger-idl/model/v1"
	api_v2 "github.com/jaegertracing/jaeger-idl/proto-gen/api_v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// queryServer stands in for Jaeger's query service: a real gRPC server on
// loopback serving jaeger.api_v2.QueryService from jaeger-idl's generated
// code, which replays canned FindTraces answers. A Jaeger binary cannot be
// run where these tests run, so this replay server is the peer. Its answers
// are shaped as Jaeger's query service sends them: each span carries its
// own Process (service name and tags), parents are CHILD_OF references,
// and each trace is streamed as chunks of at most ten spans, trace after
// trace (see chunked).
type queryServer struct {
	api_v2.UnimplementedQueryServiceServer

	chunks []*api_v2.SpansResponseChunk
	err    error // returned after the chunks
	hang   bool  // after the chunks, wait until the client goes away

	mu       sync.Mutex
	requests []*api_v2.TraceQueryParameters
	md       []metadata.MD
	started  chan struct{} // receives a value when a call arrives
	gone     chan struct{} // closed when a hanging call's client went away
}

func newQueryServer(chunks ...*api_v2.SpansResponseChunk) *queryServer {
	return &queryServer{chunks: chunks, started: make(chan struct{}, 16), gone: make(chan struct{})}
}

func (s *queryServer) FindTraces(r *api_v2.FindTracesRequest, stream api_v2.QueryService_FindTracesServer) error {
	ctx := stream.Context()
	md, _ := metadata.FromIncomingContext(ctx)
	s.mu.Lock()
	s.requests = append(s.requests, r.GetQuery())
	s.md = append(s.md, md)
	s.mu.Unlock()
	s.started <- struct{}{}
	if r.GetQuery() == nil {
		return status.Error(codes.InvalidArgument, "missing query")
	}
	for _, c := range s.chunks {
		if err := stream.Send(c); err != nil {
			return err
		}
	}
	if s.hang {
		<-ctx.Done()
		close(s.gone)
		return ctx.Err()
	}
	return s.err
}

// calls returns the requests and metadata received so far.
func (s *queryServer) calls() ([]*api_v2.TraceQueryParameters, []metadata.MD) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*api_v2.TraceQueryParameters(nil), s.requests...), append([]metadata.MD(nil), s.md...)
}

// serve runs qs on a loopback port until the test ends and returns its
// address.
func serve(t *testing.T, qs *queryServer, opts ...grpc.ServerOption) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(opts...)
	api_v2.RegisterQueryServiceServer(srv, qs)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	if err := lis.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// chunked streams traces as Jaeger's query service does: the spans of
// each trace in turn, in chunks of at most size spans (Jaeger uses 10).
func chunked(size int, traces ...[]model.Span) []*api_v2.SpansResponseChunk {
	var out []*api_v2.SpansResponseChunk
	for _, spans := range traces {
		for i := 0; i < len(spans); i += size {
			out = append(out, &api_v2.SpansResponseChunk{Spans: spans[i:min(i+size, len(spans))]})
		}
	}
	return out
}

// t0 is the start of the test queries' range.
func t0() time.Time { return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC) }

// process is a Jaeger process for an OpenTelemetry-instrumented pod: the
// resource attributes are the process tags.
func process(service, pod, version string) *model.Process {
	return &model.Process{ServiceName: service, Tags: []model.KeyValue{
		model.String("host.name", pod),
		model.String("k8s.pod.name", pod),
		model.String("service.version", version),
		model.String("telemetry.sdk.language", "go"),
		model.String("telemetry.sdk.name", "opentelemetry"),
	}}
}

// sp is a span as Jaeger's query service returns it: parent as a CHILD_OF
// reference (none for a root), span.kind (unless kind is empty, as from
// OpenTracing-era clients) and the storage's internal.span.format among
// the tags.
type sp struct {
	trace, id, parent uint64
	proc              *model.Process
	op, kind          string
	at, took          time.Duration // start after t0, duration
	tags              []model.KeyValue
}

func (s sp) span() model.Span {
	tid := model.NewTraceID(0xabc, s.trace)
	out := model.Span{
		TraceID:       tid,
		SpanID:        model.NewSpanID(s.id),
		OperationName: s.op,
		Flags:         model.Flags(1),
		StartTime:     t0().Add(s.at),
		Duration:      s.took,
		Tags:          []model.KeyValue{model.String("otel.scope.name", "net/http")},
		Process:       s.proc,
	}
	if s.kind != "" {
		out.Tags = append(out.Tags, model.String("span.kind", s.kind))
	}
	out.Tags = append(out.Tags, model.String("internal.span.format", "otlp"))
	out.Tags = append(out.Tags, s.tags...)
	if s.parent != 0 {
		out.References = []model.SpanRef{{TraceID: tid, SpanID: model.NewSpanID(s.parent), RefType: model.ChildOf}}
	}
	return out
}

func trace(spans ...sp) []model.Span {
	out := make([]model.Span, len(spans))
	for i, s := range spans {
		out[i] = s.span()
	}
	return out
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// shopTraces are traces through a shop's services: frontend, checkout (v1
// on pod checkout-a, v2 on checkout-b) and payment.
type shopTraces struct {
	// frontend calls checkout v2, which does some work and calls payment.
	throughFrontend []model.Span
	// checkout v1 is the root, with a nested database call.
	root []model.Span
	// checkout v1 calls checkout v2, another instance of the service.
	acrossVersions []model.Span
	// The caller's spans were not stored: checkout's parent is missing.
	orphan []model.Span
	// checkout v1 calls itself within one process.
	selfCall []model.Span
	// Spans without span.kind: frontend's span is the direct parent of
	// checkout v2's, which has a nested span.
	untyped []model.Span
}

func shop() shopTraces {
	var (
		frontend  = process("frontend", "frontend-7d9", "v7")
		checkoutA = process("checkout", "checkout-a", "v1")
		checkoutB = process("checkout", "checkout-b", "v2")
		payment   = process("payment", "payment-0", "v3")
		m         = time.Minute
	)
	return shopTraces{
		throughFrontend: trace(
			sp{trace: 1, id: 1, proc: frontend, op: "GET /", kind: "server", at: m, took: ms(300)},
			sp{trace: 1, id: 2, parent: 1, proc: frontend, op: "POST /cart", kind: "client", at: m + ms(5), took: ms(130)},
			sp{trace: 1, id: 3, parent: 2, proc: checkoutB, op: "POST /cart", kind: "server", at: m + ms(10), took: ms(120)},
			sp{trace: 1, id: 4, parent: 3, proc: checkoutB, op: "validate", kind: "internal", at: m + ms(11), took: ms(20)},
			sp{trace: 1, id: 5, parent: 3, proc: checkoutB, op: "charge", kind: "client", at: m + ms(40), took: ms(80)},
			sp{trace: 1, id: 6, parent: 5, proc: payment, op: "charge", kind: "server", at: m + ms(45), took: ms(70)},
		),
		root: trace(
			sp{trace: 2, id: 1, proc: checkoutA, op: "GET /cart", kind: "server", at: 2 * m, took: ms(40)},
			sp{trace: 2, id: 2, parent: 1, proc: checkoutA, op: "SELECT carts", kind: "client", at: 2*m + ms(2), took: ms(30),
				tags: []model.KeyValue{model.String("db.system", "postgresql")}},
		),
		acrossVersions: trace(
			sp{trace: 3, id: 1, proc: checkoutA, op: "GET /cart", kind: "server", at: 3 * m, took: ms(200)},
			sp{trace: 3, id: 2, parent: 1, proc: checkoutA, op: "GET /price", kind: "client", at: 3*m + ms(4), took: ms(60)},
			sp{trace: 3, id: 3, parent: 2, proc: checkoutB, op: "GET /price", kind: "server", at: 3*m + ms(5), took: ms(50)},
			sp{trace: 3, id: 4, parent: 3, proc: checkoutB, op: "price lookup", kind: "internal", at: 3*m + ms(6), took: ms(45)},
		),
		orphan: trace(
			sp{trace: 4, id: 7, parent: 99, proc: checkoutB, op: "GET /cart", kind: "server", at: 4 * m, took: ms(80),
				tags: []model.KeyValue{model.Int64("http.status_code", 200)}},
		),
		selfCall: trace(
			sp{trace: 5, id: 1, proc: checkoutA, op: "GET /cart", kind: "server", at: 5 * m, took: ms(30)},
			sp{trace: 5, id: 2, parent: 1, proc: checkoutA, op: "GET /stock", kind: "client", at: 5*m + ms(1), took: ms(12)},
			sp{trace: 5, id: 3, parent: 2, proc: checkoutA, op: "GET /stock", kind: "server", at: 5*m + ms(2), took: ms(10)},
		),
		untyped: trace(
			sp{trace: 6, id: 1, proc: frontend, op: "proxy", at: 6 * m, took: ms(25)},
			sp{trace: 6, id: 2, parent: 1, proc: checkoutB, op: "GET /cart", at: 6*m + ms(1), took: ms(22)},
			sp{trace: 6, id: 3, parent: 2, proc: checkoutB, op: "render", at: 6*m + ms(2), took: ms(15)},
		),
	}
}
