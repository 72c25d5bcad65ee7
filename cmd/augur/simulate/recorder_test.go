package simulate

import (
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// recorder is an OTLP/HTTP receiver for tests: it decodes every export the
// way a real receiver would and keeps them in arrival order.
type recorder struct {
	mu       sync.Mutex
	traces   []ptrace.Traces
	metrics  []pmetric.Metrics
	problems []string // protocol violations seen by the handler
}

func newRecorder(t testing.TB) (*recorder, *httptest.Server) {
	t.Helper()
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(rec.serveHTTP))
	t.Cleanup(srv.Close)
	return rec, srv
}

func (rec *recorder) problem(w http.ResponseWriter, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	rec.mu.Lock()
	rec.problems = append(rec.problems, msg)
	rec.mu.Unlock()
	http.Error(w, msg, http.StatusBadRequest)
}

func (rec *recorder) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		rec.problem(w, "method %s", r.Method)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-protobuf" {
		rec.problem(w, "Content-Type %q", ct)
		return
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "gzip" {
		rec.problem(w, "Content-Encoding %q", ce)
		return
	}
	zr, err := gzip.NewReader(r.Body)
	if err != nil {
		rec.problem(w, "gzip: %v", err)
		return
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		rec.problem(w, "gunzip: %v", err)
		return
	}
	switch r.URL.Path {
	case "/v1/traces":
		req := ptraceotlp.NewExportRequest()
		if err := req.UnmarshalProto(body); err != nil {
			rec.problem(w, "traces: %v", err)
			return
		}
		rec.mu.Lock()
		rec.traces = append(rec.traces, req.Traces())
		rec.mu.Unlock()
		writeProto(w, ptraceotlp.NewExportResponse())
	case "/v1/metrics":
		req := pmetricotlp.NewExportRequest()
		if err := req.UnmarshalProto(body); err != nil {
			rec.problem(w, "metrics: %v", err)
			return
		}
		rec.mu.Lock()
		rec.metrics = append(rec.metrics, req.Metrics())
		rec.mu.Unlock()
		writeProto(w, pmetricotlp.NewExportResponse())
	default:
		rec.problem(w, "path %s", r.URL.Path)
	}
}

func writeProto(w http.ResponseWriter, m interface{ MarshalProto() ([]byte, error) }) {
	b, err := m.MarshalProto()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(b)
}

// span is a flattened received span.
type span struct {
	req      int // index of the trace export that carried it
	resource map[string]any
	scope    string
	s        ptrace.Span
}

func (rec *recorder) spans() []span {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []span
	for i, td := range rec.traces {
		for _, rs := range td.ResourceSpans().All() {
			res := rs.Resource().Attributes().AsRaw()
			for _, ss := range rs.ScopeSpans().All() {
				for _, s := range ss.Spans().All() {
					out = append(out, span{req: i, resource: res, scope: ss.Scope().Name(), s: s})
				}
			}
		}
	}
	return out
}

// point is a flattened received metric data point of any type.
type point struct {
	req      int // index of the metric export that carried it
	resource map[string]any
	scope    string
	metric   pmetric.Metric
	num      pmetric.NumberDataPoint    // Sum and Gauge
	hist     pmetric.HistogramDataPoint // Histogram
}

func (rec *recorder) points() []point {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []point
	for i, md := range rec.metrics {
		for _, rm := range md.ResourceMetrics().All() {
			res := rm.Resource().Attributes().AsRaw()
			for _, sm := range rm.ScopeMetrics().All() {
				for _, m := range sm.Metrics().All() {
					p := point{req: i, resource: res, scope: sm.Scope().Name(), metric: m}
					switch m.Type() {
					case pmetric.MetricTypeSum:
						for _, dp := range m.Sum().DataPoints().All() {
							p.num = dp
							out = append(out, p)
						}
					case pmetric.MetricTypeGauge:
						for _, dp := range m.Gauge().DataPoints().All() {
							p.num = dp
							out = append(out, p)
						}
					case pmetric.MetricTypeHistogram:
						for _, dp := range m.Histogram().DataPoints().All() {
							p.hist = dp
							out = append(out, p)
						}
					default:
						p.num = pmetric.NewNumberDataPoint()
						out = append(out, p) // flagged by the test
					}
				}
			}
		}
	}
	return out
}

// times returns the point's timestamp and start timestamp.
func (p point) times() (ts, start pcommon.Timestamp) {
	if p.metric.Type() == pmetric.MetricTypeHistogram {
		return p.hist.Timestamp(), p.hist.StartTimestamp()
	}
	return p.num.Timestamp(), p.num.StartTimestamp()
}
