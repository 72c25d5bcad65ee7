package jaeger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	api_v2 "github.com/jaegertracing/jaeger-idl/proto-gen/api_v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/augurhq/augur/analysis"
)

// Source reads per-request durations from a Jaeger query service. It is
// safe for concurrent use.
type Source struct {
	addr    string
	timeout time.Duration
	auth    auth
	conn    *grpc.ClientConn
	client  api_v2.QueryServiceClient
	logger  *slog.Logger
}

// New returns a Source for the query service at spec.Address. It does not
// connect: the connection is made by the first Fetch and kept. spec.TLS
// enables TLS (plaintext otherwise); a bearer token or basic auth is sent
// as the authorization metadata and spec.Headers as further metadata.
// spec.Timeout bounds each Fetch (analysis.DefaultSourceTimeout if 0). A
// nil logger discards.
func New(spec analysis.SourceSpec, logger *slog.Logger) (*Source, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if spec.Type != "" && spec.Type != analysis.SourceJaeger {
		return nil, fmt.Errorf("jaeger source: spec is of type %q", spec.Type)
	}
	if spec.Address == "" {
		return nil, errors.New("jaeger source: address must be the query service's gRPC host:port, e.g. jaeger-query:16685")
	}
	a, err := newAuth(spec)
	if err != nil {
		return nil, fmt.Errorf("jaeger source %s: %w", spec.Address, err)
	}
	opts, err := dialOptions(spec)
	if err != nil {
		return nil, fmt.Errorf("jaeger source %s: %w", spec.Address, err)
	}
	conn, err := grpc.NewClient(spec.Address, opts...)
	if err != nil {
		return nil, fmt.Errorf("jaeger source %s: %w", spec.Address, err)
	}
	timeout := time.Duration(spec.Timeout)
	if timeout <= 0 {
		timeout = analysis.DefaultSourceTimeout
	}
	return &Source{
		addr:    spec.Address,
		timeout: timeout,
		auth:    a,
		conn:    conn,
		client:  api_v2.NewQueryServiceClient(conn),
		logger:  logger.With("source", "jaeger", "address", spec.Address),
	}, nil
}

// Close closes the connection; Fetch fails after it.
func (s *Source) Close() error { return s.conn.Close() }

// Fetch returns the durations, in seconds, of the requests the selected
// service served between q.Start and q.End: one series labelled service
// (and operation, if selected) whose points are the raw samples, at each
// request's start time in Unix ms, sorted by time. q.Step is ignored. No
// matching trace is no series and no error.
//
// q.Expr is a trace selector in PromQL's label-matcher syntax; every
// matcher must be an equality:
//
//	{service="checkout", operation="GET /cart", "service.version"="v2", min_duration="5ms"}
//
// service is required. operation selects one operation (span name);
// min_duration and max_duration (500us, 5ms, 1.5s) bound the span
// durations Jaeger searches for; limit is the most traces to fetch
// (DefaultLimit unless given, at most MaxLimit). Any other label is a tag
// the spans must carry, as a span tag, process tag or log field
// (cohort matchers such as service.version arrive this way).
//
// Jaeger finds traces with at least one span matching all of this. The
// samples are then the entry spans of the service in those traces, where a
// request enters it: spans of the service, carrying the tags, whose parent
// is not in the trace (a root, or an unsampled caller), is in another
// process (another service, or another instance of this one), or is a
// client or producer span calling this server or consumer span. Spans
// nested inside a request (internal work, calls to other services) are not
// samples. With operation set, only entry spans of that operation count.
//
// When a search finds more traces than limit, Jaeger returns only limit of
// them, the most recent as its storage backends order them, and the
// samples are then a subset of the requests in the range (weighted to its
// end), not all of them; raise limit or narrow the range if that biases
// the comparison. This is not an error; it is logged.
//
// A malformed selector, an empty or reversed time range, and the query
// service refusing the request (InvalidArgument, Unauthenticated,
// PermissionDenied, Unimplemented) are permanent errors; anything else
// (unreachable, timed out, overloaded, internal errors) may be retried.
func (s *Source) Fetch(ctx context.Context, q analysis.Query) ([]analysis.Series, error) {
	sel, err := parseSelector(q.Expr)
	if err != nil {
		return nil, analysis.Permanent(err)
	}
	if q.Start.IsZero() || q.End.IsZero() || q.End.Before(q.Start) {
		return nil, analysis.Permanent(fmt.Errorf("trace selector %s: needs a time range with start before end, got %s..%s", q.Expr, q.Start.Format(time.RFC3339), q.End.Format(time.RFC3339)))
	}
	req := &api_v2.FindTracesRequest{Query: &api_v2.TraceQueryParameters{
		ServiceName:   sel.service,
		OperationName: sel.operation,
		Tags:          sel.tags,
		StartTimeMin:  q.Start,
		StartTimeMax:  q.End,
		DurationMin:   sel.minDuration,
		DurationMax:   sel.maxDuration,
		SearchDepth:   int32(sel.limit),
	}}
	c, err := s.find(ctx, req, sel)
	if err != nil {
		return nil, err
	}
	series := c.series()
	n := 0
	if len(series) > 0 {
		n = len(series[0].Points)
	}
	s.logger.DebugContext(ctx, "traces fetched", "query", q.Expr, "traces", len(c.traces), "spans", len(c.spans), "duplicate_spans", c.duplicates, "samples", n)
	if len(c.traces) >= sel.limit {
		s.logger.InfoContext(ctx, "trace limit reached: the samples are a subset of the requests", "query", q.Expr, "limit", sel.limit)
	}
	return series, nil
}

// find runs one FindTraces call, within the source's timeout, and
// collects its spans.
func (s *Source) find(ctx context.Context, req *api_v2.FindTracesRequest, sel search) (*collector, error) {
	actx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	actx, err := s.auth.context(actx)
	if err != nil {
		return nil, fmt.Errorf("jaeger %s: %w", s.addr, err)
	}
	c := newCollector(sel)
	stream, err := s.client.FindTraces(actx, req)
	for err == nil {
		var chunk *api_v2.SpansResponseChunk
		if chunk, err = stream.Recv(); err == nil {
			c.add(chunk.Spans)
		}
	}
	if errors.Is(err, io.EOF) {
		return c, nil
	}
	return nil, s.callError(ctx, actx, err)
}

// callError classifies a failed call: the caller's cancellation, the
// attempt's timeout, a permanent refusal or a retryable failure.
func (s *Source) callError(ctx, actx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("jaeger %s: FindTraces: %w", s.addr, ctx.Err())
	}
	// gRPC may time the call out a moment before actx's own timer fires.
	if deadline, _ := actx.Deadline(); actx.Err() != nil || !time.Now().Before(deadline) {
		return fmt.Errorf("jaeger %s: FindTraces: no complete answer within %s: %w", s.addr, s.timeout, context.DeadlineExceeded)
	}
	st := status.Convert(err)
	switch st.Code() {
	case codes.InvalidArgument:
		return analysis.Permanent(fmt.Errorf("jaeger %s: FindTraces refused the query: %s", s.addr, st.Message()))
	case codes.Unauthenticated, codes.PermissionDenied:
		return analysis.Permanent(fmt.Errorf("jaeger %s: FindTraces refused the credentials (%s): %s; check bearer_token, basic_auth or headers", s.addr, st.Code(), st.Message()))
	case codes.Unimplemented:
		return analysis.Permanent(fmt.Errorf("jaeger %s: does not serve jaeger.api_v2.QueryService/FindTraces (%s); the address must be the query service's gRPC port, usually 16685, not the collector's", s.addr, st.Message()))
	}
	return fmt.Errorf("jaeger %s: FindTraces: %w", s.addr, err)
}
