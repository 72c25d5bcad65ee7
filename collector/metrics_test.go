package collector

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/prompb"
	"github.com/prometheus/prometheus/promql"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"

	"github.com/augurhq/augur/collector/store"
	"github.com/augurhq/augur/collector/store/storetest"
)

// selectSeries evaluates expr at ts and returns the resulting vector.
func selectSeries(t *testing.T, st *store.Store, expr string, ts time.Time) promql.Vector {
	t.Helper()
	vec := storetest.Vector(t, st, expr, ts)
	return vec
}

// buildOTLPMetrics returns a gauge process.memory.usage (By), a monotonic
// cumulative sum process.cpu.time (s) and a monotonic delta sum
// http.server.requests sent as two points (5, then 3), for service
// checkout 2.0.1 on host node-7.
func buildOTLPMetrics(now time.Time) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "checkout")
	rm.Resource().Attributes().PutStr("service.version", "2.0.1")
	rm.Resource().Attributes().PutStr("host.name", "node-7")
	ms := rm.ScopeMetrics().AppendEmpty().Metrics()
	ts := pcommon.NewTimestampFromTime(now)
	start := pcommon.NewTimestampFromTime(now.Add(-time.Minute))

	m := ms.AppendEmpty()
	m.SetName("process.memory.usage")
	m.SetUnit("By")
	dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
	dp.SetTimestamp(ts)
	dp.SetDoubleValue(123456789)

	m = ms.AppendEmpty()
	m.SetName("process.cpu.time")
	m.SetUnit("s")
	sum := m.SetEmptySum()
	sum.SetIsMonotonic(true)
	sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	dp = sum.DataPoints().AppendEmpty()
	dp.SetStartTimestamp(start)
	dp.SetTimestamp(ts)
	dp.SetDoubleValue(42.5)

	m = ms.AppendEmpty()
	m.SetName("http.server.requests")
	m.SetUnit("{request}")
	sum = m.SetEmptySum()
	sum.SetIsMonotonic(true)
	sum.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	mid := pcommon.NewTimestampFromTime(now.Add(-30 * time.Second))
	dp = sum.DataPoints().AppendEmpty()
	dp.SetStartTimestamp(start)
	dp.SetTimestamp(mid)
	dp.SetIntValue(5)
	dp = sum.DataPoints().AppendEmpty()
	dp.SetStartTimestamp(mid)
	dp.SetTimestamp(ts)
	dp.SetIntValue(3)
	return md
}

func TestOTLPMetricsHandler(t *testing.T) {
	now := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	tests := []struct {
		name        string
		method      string
		contentType string
		encoding    string
		body        func(t *testing.T) []byte
		wantStatus  int
		wantInBody  string
	}{
		{name: "protobuf", contentType: "application/x-protobuf", wantStatus: 200, body: func(t *testing.T) []byte {
			b, err := pmetricotlp.NewExportRequestFromMetrics(buildOTLPMetrics(now)).MarshalProto()
			if err != nil {
				t.Fatal(err)
			}
			return b
		}},
		{name: "gzip json", contentType: "application/json", encoding: "gzip", wantStatus: 200, body: func(t *testing.T) []byte {
			b, err := pmetricotlp.NewExportRequestFromMetrics(buildOTLPMetrics(now)).MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			return gzipped(t, b)
		}},
		{name: "malformed protobuf", contentType: "application/x-protobuf", wantStatus: 400, wantInBody: "malformed application/x-protobuf body", body: func(*testing.T) []byte { return []byte{0x0a, 0xff, 0xff, 0xff} }},
		{name: "malformed json", contentType: "application/json", wantStatus: 400, wantInBody: "malformed application/json body", body: func(*testing.T) []byte { return []byte(`{"resourceMetrics":`) }},
		{name: "bad gzip", contentType: "application/x-protobuf", encoding: "gzip", wantStatus: 400, body: func(*testing.T) []byte { return []byte("nope") }},
		{name: "text content type", contentType: "text/plain", wantStatus: 415, body: func(*testing.T) []byte { return []byte("x") }},
		{name: "oversize after gunzip", contentType: "application/x-protobuf", encoding: "gzip", wantStatus: 413, body: func(t *testing.T) []byte { return gzipped(t, make([]byte, 64<<10)) }},
		{name: "GET", method: http.MethodGet, wantStatus: 405},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := storetest.Open(t)
			cfg := DefaultConfig()
			cfg.ResourceAttributes = []string{"service.name", "service.version"}
			cfg.MaxBodyBytes = 16 << 10
			srv := httptest.NewServer(NewOTLPMetricsHandler(discardLogger(), prometheus.NewRegistry(), st, cfg))
			defer srv.Close()

			var resp *http.Response
			if tc.method == http.MethodGet {
				var err error
				if resp, err = http.Get(srv.URL); err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
			} else {
				resp = post(t, srv.URL, tc.contentType, tc.encoding, tc.body(t))
			}
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d (%s), want %d", resp.StatusCode, b, tc.wantStatus)
			}
			all := selectSeries(t, st, `{__name__=~".+"}`, now)
			if tc.wantStatus != 200 {
				if !strings.Contains(string(b), tc.wantInBody) {
					t.Errorf("body %q does not mention %q", b, tc.wantInBody)
				}
				if len(all) != 0 {
					t.Errorf("a refused request stored %v", all)
				}
				return
			}
			// The answer is an OTLP export response in the request's encoding.
			out := pmetricotlp.NewExportResponse()
			if ct := resp.Header.Get("Content-Type"); ct != tc.contentType {
				t.Errorf("response Content-Type = %q, want %q", ct, tc.contentType)
			}
			if tc.contentType == "application/json" {
				err = out.UnmarshalJSON(b)
			} else {
				err = out.UnmarshalProto(b)
			}
			if err != nil {
				t.Errorf("response %q is not an OTLP export response: %v", b, err)
			} else if n := out.PartialSuccess().RejectedDataPoints(); n != 0 {
				t.Errorf("rejected_data_points = %d, want 0", n)
			}
			want := map[string]float64{
				"process_memory_usage_bytes":     123456789,
				"process_cpu_time_seconds_total": 42.5,
				"http_server_requests_total":     8, // deltas 5 + 3, made cumulative
			}
			got := map[string]float64{}
			for _, s := range all {
				name := s.Metric.Get(model.MetricNameLabel)
				if _, ok := want[name]; !ok {
					continue // e.g. target_info
				}
				got[name] = s.F
				if v := s.Metric.Get("service_version"); v != "2.0.1" {
					t.Errorf("%s: service_version = %q, want 2.0.1 (labels %s)", name, v, s.Metric)
				}
				if v := s.Metric.Get("service_name"); v != "checkout" {
					t.Errorf("%s: service_name = %q, want checkout (labels %s)", name, v, s.Metric)
				}
				if s.Metric.Has("host_name") {
					t.Errorf("%s: host.name is not configured but became a label: %s", name, s.Metric)
				}
			}
			for name, w := range want {
				if g, ok := got[name]; !ok || g != w {
					var names []string
					for _, s := range all {
						names = append(names, s.Metric.String())
					}
					sort.Strings(names)
					t.Errorf("%s = %v (present %v), want %v; stored: %s", name, g, ok, w, strings.Join(names, " "))
				}
			}
		})
	}
}

func remoteWriteBody(t *testing.T, ts time.Time) []byte {
	t.Helper()
	req := &prompb.WriteRequest{Timeseries: []prompb.TimeSeries{{
		Labels: []prompb.Label{
			{Name: "__name__", Value: "queue_depth"},
			{Name: "job", Value: "worker"},
			{Name: "service_version", Value: "v3"},
		},
		Samples: []prompb.Sample{
			{Value: 7, Timestamp: ts.Add(-15 * time.Second).UnixMilli()},
			{Value: 11, Timestamp: ts.UnixMilli()},
		},
	}}}
	b, err := req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return snappy.Encode(nil, b)
}

func TestRemoteWriteHandler(t *testing.T) {
	now := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	tests := []struct {
		name       string
		headers    map[string]string
		body       []byte
		wantStatus int
	}{
		{
			name:       "remote write 1.0",
			headers:    map[string]string{"Content-Encoding": "snappy", "Content-Type": "application/x-protobuf", "X-Prometheus-Remote-Write-Version": "0.1.0"},
			body:       remoteWriteBody(t, now),
			wantStatus: http.StatusNoContent,
		},
		{
			name:       "corrupt snappy",
			headers:    map[string]string{"Content-Encoding": "snappy", "Content-Type": "application/x-protobuf", "X-Prometheus-Remote-Write-Version": "0.1.0"},
			body:       append([]byte{0xff, 0xff, 0xff, 0x7f}, remoteWriteBody(t, now)[4:]...),
			wantStatus: http.StatusBadRequest,
		},
		{
			name:       "gzip is not remote write",
			headers:    map[string]string{"Content-Encoding": "gzip", "Content-Type": "application/x-protobuf"},
			body:       gzipped(t, []byte("x")),
			wantStatus: http.StatusUnsupportedMediaType,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := storetest.Open(t)
			srv := httptest.NewServer(NewRemoteWriteHandler(discardLogger(), prometheus.NewRegistry(), st, DefaultConfig()))
			defer srv.Close()
			req, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(string(tc.body)))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("status = %d (%s), want %d", resp.StatusCode, b, tc.wantStatus)
			}
			vec := selectSeries(t, st, `queue_depth`, now)
			if tc.wantStatus != http.StatusNoContent {
				if len(vec) != 0 {
					t.Errorf("a refused request stored %v", vec)
				}
				return
			}
			if len(vec) != 1 || vec[0].F != 11 || vec[0].Metric.Get("job") != "worker" || vec[0].Metric.Get("service_version") != "v3" {
				t.Errorf("queue_depth = %v, want one series {job=worker, service_version=v3} = 11", vec)
			}
			m, _, err := st.Range(context.Background(), `queue_depth`, now.Add(-15*time.Second), now, 15*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if len(m) != 1 || len(m[0].Floats) != 2 || m[0].Floats[0].F != 7 || m[0].Floats[1].F != 11 {
				t.Errorf("range = %v, want 7 then 11", m)
			}
		})
	}
}
