package otlpgrpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/augurhq/augur/collector"
)

// SpanMetrics adapts collector.SpanMetrics to TracesConsumer: spans become
// RED series exactly as through the OTLP/HTTP traces receiver.
type SpanMetrics struct{ SM *collector.SpanMetrics }

// ConsumeTraces stores the spans' RED samples; spans SpanMetrics refuses
// (end before start, storage rejects) are reported as rejected.
func (a SpanMetrics) ConsumeTraces(ctx context.Context, td ptrace.Traces) (int, string, error) {
	res, err := a.SM.Consume(ctx, td)
	if err != nil {
		return 0, "", err
	}
	return res.Rejected, res.Reason, nil
}

// HTTPMetrics adapts an OTLP/HTTP metrics handler (the one
// collector.NewOTLPMetricsHandler returns) to MetricsConsumer.
//
// Metrics are not translated here because augur stores OTLP metrics with
// Prometheus' own OTLP translation (metric and label naming, delta to
// cumulative conversion, resource attribute promotion), and Prometheus
// exposes that translation only as an http.Handler. So each batch is
// encoded as an OTLP/HTTP protobuf request and served by that handler in
// process, without a network hop; both receivers then store identical
// series. Pass the same handler instance the HTTP route uses: building a
// second one would register its Prometheus metrics twice.
//
// The handler's answer maps to gRPC as OTLP/HTTP and OTLP/gRPC correspond:
// 2xx is success (a partial success in the body is passed on), 400 and 413
// are InvalidArgument with the body as message, 429 and 503 are Unavailable,
// anything else is Internal.
type HTTPMetrics struct {
	Handler http.Handler
	// Path is the request path handed to Handler; "/v1/metrics" if empty.
	Path string
}

// ConsumeMetrics serves md to the handler as a POST of its protobuf form.
func (a HTTPMetrics) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) (int, string, error) {
	body, err := pmetricotlp.NewExportRequestFromMetrics(md).MarshalProto()
	if err != nil {
		return 0, "", fmt.Errorf("encode metrics: %w", err)
	}
	path := a.Path
	if path == "" {
		path = "/v1/metrics"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, path, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.ContentLength = int64(len(body))
	rec := &recorder{header: http.Header{}}
	a.Handler.ServeHTTP(rec, req)
	code := rec.code
	if code == 0 {
		code = http.StatusOK
	}
	// The handler prefixes its messages with the signal; ErrorStatus adds it again.
	msg := strings.TrimPrefix(strings.TrimSpace(rec.body.String()), "otlp metrics: ")
	switch {
	case code >= 200 && code < 300:
		resp := pmetricotlp.NewExportResponse()
		if rec.body.Len() > 0 && resp.UnmarshalProto(rec.body.Bytes()) == nil {
			ps := resp.PartialSuccess()
			return int(ps.RejectedDataPoints()), ps.ErrorMessage(), nil
		}
		return 0, "", nil
	case code == http.StatusBadRequest, code == http.StatusRequestEntityTooLarge:
		return 0, "", BadData(errors.New(msg))
	case code == http.StatusTooManyRequests, code == http.StatusServiceUnavailable:
		return 0, "", Unavailable(errors.New(msg), 0)
	default:
		return 0, "", status.Errorf(codes.Internal, "otlp metrics: HTTP %d: %s", code, msg)
	}
}

// recorder keeps an in-process handler's answer.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}
func (r *recorder) Write(p []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.body.Write(p)
}
