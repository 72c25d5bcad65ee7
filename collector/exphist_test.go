package collector

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/promql"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"

	"github.com/augurhq/augur/collector/store/storetest"
)

// TestOTLPExponentialHistogramIsNative: an OTLP exponential histogram is
// stored as a Prometheus native histogram, with its count, sum and buckets.
func TestOTLPExponentialHistogramIsNative(t *testing.T) {
	st := storetest.Open(t)
	cfg := DefaultConfig()
	srv := httptest.NewServer(NewOTLPMetricsHandler(discardLogger(), prometheus.NewRegistry(), st, cfg))
	defer srv.Close()

	ts := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "api")
	rm.Resource().Attributes().PutStr("service.version", "v2")
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("rpc.duration")
	m.SetUnit("s")
	eh := m.SetEmptyExponentialHistogram()
	eh.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	dp := eh.DataPoints().AppendEmpty()
	dp.SetStartTimestamp(pcommon.NewTimestampFromTime(ts.Add(-time.Hour)))
	dp.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	dp.SetScale(2)
	dp.SetCount(10)
	dp.SetSum(1.5)
	dp.SetZeroCount(1)
	dp.Positive().SetOffset(-10)
	dp.Positive().BucketCounts().FromRaw([]uint64{2, 3, 4}) // 9 positive + 1 zero = 10
	body, err := pmetricotlp.NewExportRequestFromMetrics(md).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	resp := post(t, srv.URL, "application/x-protobuf", "", body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	v, _, err := st.Instant(context.Background(), `rpc_duration_seconds{service_version="v2"}`, ts)
	if err != nil {
		t.Fatal(err)
	}
	vec := v.(promql.Vector)
	if len(vec) != 1 || vec[0].H == nil {
		t.Fatalf("want one native histogram sample, got %v", vec)
	}
	h := vec[0].H
	if h.Count != 10 || h.Sum != 1.5 || h.ZeroCount != 1 || h.Schema != 2 {
		t.Errorf("histogram count %v sum %v zero %v schema %d, want 10, 1.5, 1, 2", h.Count, h.Sum, h.ZeroCount, h.Schema)
	}
}

// TestOTLPMalformedMetricRejectedAlone: a metric the translation cannot take
// (no data type, unspecified temporality, an empty name) is dropped and named
// in the partial success; the rest of the batch is stored.
func TestOTLPMalformedMetricRejectedAlone(t *testing.T) {
	st := storetest.Open(t)
	srv := httptest.NewServer(NewOTLPMetricsHandler(discardLogger(), prometheus.NewRegistry(), st, DefaultConfig()))
	defer srv.Close()
	ts := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	md := pmetric.NewMetrics()
	ms := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics()
	ms.AppendEmpty().SetName("no.type")
	bad := ms.AppendEmpty()
	bad.SetName("bad.temporality")
	bad.SetEmptySum().DataPoints().AppendEmpty().SetIntValue(1)
	ms.AppendEmpty().SetEmptyGauge().DataPoints().AppendEmpty().SetIntValue(2) // empty name
	good := ms.AppendEmpty()
	good.SetName("queue.length")
	dp := good.SetEmptyGauge().DataPoints().AppendEmpty()
	dp.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	dp.SetIntValue(7)
	body, err := pmetricotlp.NewExportRequestFromMetrics(md).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	resp := post(t, srv.URL, "application/x-protobuf", "", body)
	defer resp.Body.Close()
	var raw bytes.Buffer
	_, _ = raw.ReadFrom(resp.Body)
	out := pmetricotlp.NewExportResponse()
	if err := out.UnmarshalProto(raw.Bytes()); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, %v", resp.StatusCode, err)
	}
	msg := out.PartialSuccess().ErrorMessage()
	for _, want := range []string{`"no.type"`, `"bad.temporality"`, `metric ""`} {
		if !strings.Contains(msg, want) {
			t.Errorf("partial success %q does not name %s", msg, want)
		}
	}
	v, _, err := st.Instant(context.Background(), `queue_length`, ts)
	if err != nil {
		t.Fatal(err)
	}
	if vec := v.(promql.Vector); len(vec) != 1 || vec[0].F != 7 {
		t.Errorf("the valid metric was not stored: %v", vec)
	}
}
