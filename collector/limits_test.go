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
	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/augurhq/augur/collector/store/storetest"
)

func rwSeries(name string, ts time.Time, v float64, kv ...string) prompb.TimeSeries {
	ls := []prompb.Label{{Name: "__name__", Value: name}}
	for i := 0; i+1 < len(kv); i += 2 {
		ls = append(ls, prompb.Label{Name: kv[i], Value: kv[i+1]})
	}
	return prompb.TimeSeries{Labels: ls, Samples: []prompb.Sample{{Timestamp: ts.UnixMilli(), Value: v}}}
}

func rwV1(t *testing.T, series ...prompb.TimeSeries) []byte {
	t.Helper()
	b, err := (&prompb.WriteRequest{Timeseries: series}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return snappy.Encode(nil, b)
}

func postRW(t *testing.T, url string, body []byte, contentType string) (*http.Response, string) {
	t.Helper()
	resp := post(t, url, contentType, "snappy", body)
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func smallLimits() Config {
	cfg := DefaultConfig()
	cfg.Limits.MaxLabelsPerSeries = 4
	cfg.Limits.MaxLabelNameLength = 16
	cfg.Limits.MaxLabelValueLength = 32
	cfg.Limits.MaxSeriesPerRequest = 10
	return cfg
}

// TestRemoteWriteV1Limits: a series over a per-series limit, with invalid
// labels or with a sample the store refuses is skipped, the rest of the
// batch is stored, and the 400 names what was skipped.
func TestRemoteWriteV1Limits(t *testing.T) {
	st := storetest.Open(t)
	srv := httptest.NewServer(NewRemoteWriteHandler(discardLogger(), prometheus.NewRegistry(), st, smallLimits()))
	defer srv.Close()
	now := time.Now().Add(-time.Minute).Truncate(time.Millisecond)

	resp, msg := postRW(t, srv.URL, rwV1(t, rwSeries("good_a", now, 1, "k", "v")), "application/x-protobuf")
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("clean batch: %d %s", resp.StatusCode, msg)
	}

	long := strings.Repeat("x", 33)
	body := rwV1(t,
		rwSeries("too_many_labels", now, 1, "a", "1", "b", "2", "c", "3", "d", "4"),
		rwSeries("good_b", now, 2, "k", "v"),
		rwSeries("long_value", now, 3, "k", long),
		rwSeries("long_name", now, 4, strings.Repeat("n", 17), "v"),
		rwSeries("good_a", now.Add(-time.Hour*3), 5, "k", "v"), // older than the out-of-order window
		prompb.TimeSeries{Labels: []prompb.Label{{Name: "no_name", Value: "x"}}, Samples: []prompb.Sample{{Timestamp: now.UnixMilli(), Value: 6}}},
		rwSeries("good_c", now, 7),
	)
	resp, msg = postRW(t, srv.URL, body, "application/x-protobuf")
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d (%s), want 400", resp.StatusCode, msg)
	}
	for _, want := range []string{"stored 2 samples", "4 series and 5 samples rejected", "too_many_labels", "5 labels, more than the limit of 4",
		"is 33 bytes, more than the limit of 32", "label name \"nnnnnnnnnnnnnnnnn\" is 17 bytes", "invalid metric name", "good_a"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	for name, want := range map[string]float64{"good_a": 1, "good_b": 2, "good_c": 7} {
		if vec := selectSeries(t, st, name, now); len(vec) != 1 || vec[0].F != want {
			t.Errorf("%s = %v, want %v", name, vec, want)
		}
	}
	for _, name := range []string{"too_many_labels", "long_value", "long_name"} {
		if vec := selectSeries(t, st, name, now); len(vec) != 0 {
			t.Errorf("%s stored: %v", name, vec)
		}
	}

	// Too many series in one request: all refused.
	var many []prompb.TimeSeries
	for i := 0; i < 11; i++ {
		many = append(many, rwSeries("many", now, float64(i), "i", string(rune('a'+i))))
	}
	resp, msg = postRW(t, srv.URL, rwV1(t, many...), "application/x-protobuf")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(msg, "11 series in one request, more than the limit of 10") {
		t.Errorf("too many series: %d %q", resp.StatusCode, msg)
	}
	if vec := selectSeries(t, st, "many", now); len(vec) != 0 {
		t.Errorf("an oversized request stored %v", vec)
	}

	// Malformed protobuf inside valid snappy.
	resp, msg = postRW(t, srv.URL, snappy.Encode(nil, []byte("\xff\xff\xffnot protobuf")), "application/x-protobuf")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(msg, "malformed prometheus.WriteRequest protobuf") {
		t.Errorf("malformed: %d %q", resp.StatusCode, msg)
	}
}

// TestRemoteWriteV2Limits: a 2.0 series over a limit is removed before
// Prometheus' handler stores the rest.
func TestRemoteWriteV2Limits(t *testing.T) {
	st := storetest.Open(t)
	srv := httptest.NewServer(NewRemoteWriteHandler(discardLogger(), prometheus.NewRegistry(), st, smallLimits()))
	defer srv.Close()
	now := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	req := &writev2.Request{
		Symbols: []string{"", "__name__", "good_v2", "k", "v", "bad_v2", strings.Repeat("y", 40)},
		Timeseries: []writev2.TimeSeries{
			{LabelsRefs: []uint32{1, 2, 3, 4}, Samples: []writev2.Sample{{Value: 3, Timestamp: now.UnixMilli()}}, Metadata: writev2.Metadata{Type: writev2.Metadata_METRIC_TYPE_GAUGE}},
			{LabelsRefs: []uint32{1, 5, 3, 6}, Samples: []writev2.Sample{{Value: 4, Timestamp: now.UnixMilli()}}, Metadata: writev2.Metadata{Type: writev2.Metadata_METRIC_TYPE_GAUGE}},
		},
	}
	b, err := req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	resp, msg := postRW(t, srv.URL, snappy.Encode(nil, b), "application/x-protobuf;proto=io.prometheus.write.v2.Request")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(msg, "bad_v2") || !strings.Contains(msg, "40 bytes") {
		t.Errorf("status %d %q, want 400 naming bad_v2", resp.StatusCode, msg)
	}
	if vec := selectSeries(t, st, "good_v2", now); len(vec) != 1 || vec[0].F != 3 {
		t.Errorf("good_v2 = %v, want 3", vec)
	}
	if vec := selectSeries(t, st, "bad_v2", now); len(vec) != 0 {
		t.Errorf("bad_v2 stored: %v", vec)
	}
}

// TestOTLPMetricsLimits: a data point over a per-series limit is dropped
// and counted in the partial success; the others are stored.
func TestOTLPMetricsLimits(t *testing.T) {
	st := storetest.Open(t)
	cfg := smallLimits()
	cfg.Limits.MaxLabelsPerSeries = 8
	srv := httptest.NewServer(NewOTLPMetricsHandler(discardLogger(), prometheus.NewRegistry(), st, cfg))
	defer srv.Close()
	now := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "checkout")
	g := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	g.SetName("queue.size")
	g.SetEmptyGauge()
	for i, v := range []string{"short", strings.Repeat("z", 33), "fine"} {
		dp := g.Gauge().DataPoints().AppendEmpty()
		dp.SetTimestamp(pcommon.NewTimestampFromTime(now))
		dp.SetIntValue(int64(i + 1))
		dp.Attributes().PutStr("q", v)
	}
	b, err := pmetricotlp.NewExportRequestFromMetrics(md).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	resp := post(t, srv.URL, "application/x-protobuf", "", b)
	rb, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d %s", resp.StatusCode, rb)
	}
	out := pmetricotlp.NewExportResponse()
	if err := out.UnmarshalProto(rb); err != nil {
		t.Fatal(err)
	}
	if ps := out.PartialSuccess(); ps.RejectedDataPoints() != 1 || !strings.Contains(ps.ErrorMessage(), "33 bytes") {
		t.Errorf("partial success = %d %q, want 1 rejected naming the long value", ps.RejectedDataPoints(), ps.ErrorMessage())
	}
	vec := selectSeries(t, st, "queue_size", now)
	if len(vec) != 2 {
		t.Errorf("queue_size = %v, want the two valid points", vec)
	}

	// Too many data points: 400.
	for i := 0; i < 10; i++ {
		dp := g.Gauge().DataPoints().AppendEmpty()
		dp.SetTimestamp(pcommon.NewTimestampFromTime(now))
	}
	b, _ = pmetricotlp.NewExportRequestFromMetrics(md).MarshalProto()
	resp = post(t, srv.URL, "application/x-protobuf", "", b)
	rb, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(rb), "13 data points in one request") {
		t.Errorf("too many points: %d %q", resp.StatusCode, rb)
	}
}

// TestOTLPTracesLimits: a span whose series breaks a limit is rejected in
// the partial success, the batch's other spans count.
func TestOTLPTracesLimits(t *testing.T) {
	fa := &fakeAppendable{}
	cfg := testConfig(0.1, 1)
	cfg.Limits.MaxLabelValueLength = 20
	sm := newSpanMetrics(t, fa, cfg)
	srv := httptest.NewServer(NewOTLPTracesHandler(discardLogger(), sm, cfg))
	defer srv.Close()
	td := buildTraces(resourceSpans{attrs: checkout("v1"), spans: []spanSpec{
		{name: "GET /", kind: ptrace.SpanKindServer, end: base.Add(time.Second), dur: 10 * time.Millisecond},
		{name: "GET /" + strings.Repeat("a", 30), kind: ptrace.SpanKindServer, end: base.Add(time.Second), dur: 10 * time.Millisecond},
	}})
	resp := post(t, srv.URL, "application/x-protobuf", "", traceProto(t, td))
	out := decodeTraceResponse(t, resp, "application/x-protobuf")
	if ps := out.PartialSuccess(); ps.RejectedSpans() != 1 || !strings.Contains(ps.ErrorMessage(), "more than the limit of 20") {
		t.Errorf("partial success = %d %q", ps.RejectedSpans(), ps.ErrorMessage())
	}
	if got := last(t, fa.samples(redLabels(MetricSpanRequests, "v1", "GET /", "server")), "requests"); got != 1 {
		t.Errorf("requests = %v, want 1", got)
	}
}

func TestLimitsValidate(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Limits.MaxLabelsPerSeries = -1
	cfg.Limits.RetryAfter = -time.Second
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "collector.limits.max_labels_per_series") || !strings.Contains(err.Error(), "collector.limits.retry_after") {
		t.Errorf("Validate = %v", err)
	}
}
