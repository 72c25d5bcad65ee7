package collector

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/client_golang/prometheus"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/augurhq/augur/collector/store/storetest"
)

// rwV2 encodes a remote-write 2.0 request of gauges name{k=value} with one
// sample each at ts, values 1, 2, ...
func rwV2(t *testing.T, name string, ts time.Time, values ...string) []byte {
	t.Helper()
	req := &writev2.Request{Symbols: []string{"", "__name__", name, "k"}}
	for i, v := range values {
		req.Symbols = append(req.Symbols, v)
		req.Timeseries = append(req.Timeseries, writev2.TimeSeries{
			LabelsRefs: []uint32{1, 2, 3, uint32(len(req.Symbols) - 1)},
			Samples:    []writev2.Sample{{Value: float64(i + 1), Timestamp: ts.UnixMilli()}},
			Metadata:   writev2.Metadata{Type: writev2.Metadata_METRIC_TYPE_GAUGE},
		})
	}
	b, err := req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return snappy.Encode(nil, b)
}

// otlpGauges encodes an OTLP export request of gauge name with one data
// point per value of attribute k at ts, values 1, 2, ...
func otlpGauges(t *testing.T, name string, ts time.Time, values ...string) []byte {
	t.Helper()
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "checkout")
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName(name)
	dps := m.SetEmptyGauge().DataPoints()
	for i, v := range values {
		dp := dps.AppendEmpty()
		dp.SetTimestamp(pcommon.NewTimestampFromTime(ts))
		dp.SetIntValue(int64(i + 1))
		dp.Attributes().PutStr("k", v)
	}
	b, err := pmetricotlp.NewExportRequestFromMetrics(md).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestActiveSeriesLimit: at the store's active series limit every ingest
// path keeps storing samples of existing series and refuses new series
// alone, naming the limit; nothing else of the request is lost.
func TestActiveSeriesLimit(t *testing.T) {
	st := storetest.Open(t)
	cfg := testConfig()
	rw := httptest.NewServer(NewRemoteWriteHandler(discardLogger(), prometheus.NewRegistry(), st, cfg))
	defer rw.Close()
	mt := httptest.NewServer(NewOTLPMetricsHandler(discardLogger(), prometheus.NewRegistry(), st, cfg))
	defer mt.Close()
	tr := httptest.NewServer(NewOTLPTracesHandler(discardLogger(), newSpanMetrics(t, st, cfg), cfg))
	defer tr.Close()
	t0 := time.Now().Add(-time.Minute).Truncate(time.Second)
	t1 := t0.Add(10 * time.Second)
	spans := func(end time.Time, names ...string) []byte {
		var ss []spanSpec
		for _, n := range names {
			ss = append(ss, spanSpec{name: n, kind: ptrace.SpanKindServer, end: end, dur: 20 * time.Millisecond})
		}
		return traceProto(t, buildTraces(resourceSpans{attrs: checkout("v1"), spans: ss}))
	}

	// Under the limit: one series (or span group) per path.
	if resp, msg := postRW(t, rw.URL, rwV1(t, rwSeries("rw_v1", t0, 1, "k", "old")), "application/x-protobuf"); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("remote write 1.0: %d %s", resp.StatusCode, msg)
	}
	if resp, msg := postRW(t, rw.URL, rwV2(t, "rw_v2", t0, "old"), "application/x-protobuf;proto=io.prometheus.write.v2.Request"); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("remote write 2.0: %d %s", resp.StatusCode, msg)
	}
	if resp := post(t, mt.URL, "application/x-protobuf", "", otlpGauges(t, "otlp_gauge", t0, "old")); resp.StatusCode != http.StatusOK {
		t.Fatalf("otlp metrics: %d", resp.StatusCode)
	}
	if ps := decodeTraceResponse(t, post(t, tr.URL, "application/x-protobuf", "", spans(t0, "GET /old")), "application/x-protobuf").PartialSuccess(); ps.RejectedSpans() != 0 {
		t.Fatalf("spans: %d rejected: %s", ps.RejectedSpans(), ps.ErrorMessage())
	}
	limit := st.ActiveSeries()
	st.LimitActiveSeries(int64(limit))

	// At the limit, each request carries an existing series and a new one.
	t.Run("remote write 1.0", func(t *testing.T) {
		resp, msg := postRW(t, rw.URL, rwV1(t, rwSeries("rw_v1", t1, 2, "k", "old"), rwSeries("rw_v1", t1, 3, "k", "new")), "application/x-protobuf")
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(msg, "stored 1 samples; 1 series and 1 samples rejected") ||
			!strings.Contains(msg, `k="new"`) || !strings.Contains(msg, "max_active_series") {
			t.Errorf("%d %q, want 400 naming the new series and the limit", resp.StatusCode, msg)
		}
	})
	t.Run("remote write 2.0", func(t *testing.T) {
		resp, msg := postRW(t, rw.URL, rwV2(t, "rw_v2", t1, "old", "new"), "application/x-protobuf;proto=io.prometheus.write.v2.Request")
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(msg, `k="new"`) || !strings.Contains(msg, "max_active_series") {
			t.Errorf("%d %q, want 400 naming the new series and the limit", resp.StatusCode, msg)
		}
	})
	t.Run("otlp metrics", func(t *testing.T) {
		resp := post(t, mt.URL, "application/x-protobuf", "", otlpGauges(t, "otlp_gauge", t1, "old", "new"))
		b, _ := io.ReadAll(resp.Body)
		out := pmetricotlp.NewExportResponse()
		if resp.StatusCode != http.StatusOK || out.UnmarshalProto(b) != nil {
			t.Fatalf("%d %q, want 200 with a partial success", resp.StatusCode, b)
		}
		if ps := out.PartialSuccess(); ps.RejectedDataPoints() != 1 || !strings.Contains(ps.ErrorMessage(), "max_active_series") {
			t.Errorf("partial success %d %q, want 1 rejected naming the limit", ps.RejectedDataPoints(), ps.ErrorMessage())
		}
	})
	t.Run("spans", func(t *testing.T) {
		ps := decodeTraceResponse(t, post(t, tr.URL, "application/x-protobuf", "", spans(t1, "GET /old", "GET /new")), "application/x-protobuf").PartialSuccess()
		if ps.RejectedSpans() != 1 || !strings.Contains(ps.ErrorMessage(), "GET /new") || !strings.Contains(ps.ErrorMessage(), "max_active_series") {
			t.Errorf("partial success %d %q, want 1 rejected naming the span and the limit", ps.RejectedSpans(), ps.ErrorMessage())
		}
	})

	if n := st.ActiveSeries(); n != limit {
		t.Errorf("ActiveSeries = %d, want it held at the limit of %d", n, limit)
	}
	at := float64(t1.Unix())
	for expr, want := range map[string]float64{
		`rw_v1{k="old"}`: 2, `timestamp(rw_v2{k="old"})`: at, `timestamp(otlp_gauge{k="old"})`: at,
		`augur_span_requests_total{span_name="GET /old"}`: 2,
	} {
		if vec := selectSeries(t, st, expr, t1); len(vec) != 1 || vec[0].F != want {
			t.Errorf("%s = %v, want %v", expr, vec, want)
		}
	}
	for _, expr := range []string{`{k="new"}`, `augur_span_requests_total{span_name="GET /new"}`} {
		if vec := selectSeries(t, st, expr, t1); len(vec) != 0 {
			t.Errorf("%s stored past the limit: %v", expr, vec)
		}
	}
}
