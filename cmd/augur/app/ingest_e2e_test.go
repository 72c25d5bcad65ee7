package app

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang/snappy"
	remoteapi "github.com/prometheus/client_golang/exp/api/remote"
	config_util "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/prompb"
	"github.com/prometheus/prometheus/storage/remote"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

func post(t *testing.T, u, contentType, encoding string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func gauge(name, version string, ts time.Time, v float64) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "shop")
	rm.Resource().Attributes().PutStr("service.version", version)
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName(name)
	m.SetUnit("1")
	dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
	dp.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	dp.SetDoubleValue(v)
	return md
}

func serverSpans(version string, ts time.Time, n int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "shop")
	rs.Resource().Attributes().PutStr("service.version", version)
	ss := rs.ScopeSpans().AppendEmpty()
	for i := 0; i < n; i++ {
		sp := ss.Spans().AppendEmpty()
		sp.SetName("GET /")
		sp.SetKind(ptrace.SpanKindServer)
		sp.SetTraceID(pcommon.TraceID{1, byte(i + 1)})
		sp.SetSpanID(pcommon.SpanID{2, byte(i + 1)})
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(ts.Add(time.Duration(i) * time.Millisecond)))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(ts.Add(time.Duration(i)*time.Millisecond + 50*time.Millisecond)))
	}
	return td
}

// TestMalformedIngestKeepsData: a bad body gets a 400 that says what is
// wrong, and what was sent before and after is stored and queryable.
func TestMalformedIngestKeepsData(t *testing.T) {
	srv := startServer(t, nil)
	now := time.Now().Truncate(time.Second)
	t1, t2 := now.Add(-2*time.Minute), now.Add(-time.Minute)

	send := func(md pmetric.Metrics, gz bool) {
		b, err := pmetricotlp.NewExportRequestFromMetrics(md).MarshalProto()
		if err != nil {
			t.Fatal(err)
		}
		enc := ""
		if gz {
			var buf bytes.Buffer
			w := gzip.NewWriter(&buf)
			_, _ = w.Write(b)
			_ = w.Close()
			b, enc = buf.Bytes(), "gzip"
		}
		if code, msg := post(t, srv.URL()+"/v1/metrics", "application/x-protobuf", enc, b); code != http.StatusOK {
			t.Fatalf("valid metrics: %d %s", code, msg)
		}
	}
	sendTraces := func(td ptrace.Traces) {
		b, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if code, msg := post(t, srv.URL()+"/v1/traces", "application/json", "", b); code != http.StatusOK {
			t.Fatalf("valid traces: %d %s", code, msg)
		}
	}
	send(gauge("queue.depth", "v1", t1, 7), false)
	sendTraces(serverSpans("v1", t1, 5))

	bad := []struct {
		name, path, ctype, enc string
		body                   []byte
		status                 int
		msg                    string
	}{
		{"garbage protobuf metrics", "/v1/metrics", "application/x-protobuf", "", []byte("\xff\xff\xff not protobuf"), 400, ""},
		{"garbage json metrics", "/v1/metrics", "application/json", "", []byte(`{"resourceMetrics": [`), 400, ""},
		{"bad gzip metrics", "/v1/metrics", "application/x-protobuf", "gzip", []byte("not gzip"), 400, "gzip"},
		{"garbage protobuf traces", "/v1/traces", "application/x-protobuf", "", []byte("\xff\xff\xff not protobuf"), 400, "malformed application/x-protobuf body"},
		{"garbage json traces", "/v1/traces", "application/json", "", []byte(`{"resourceSpans": 3}`), 400, "malformed application/json body"},
		{"wrong content type traces", "/v1/traces", "text/plain", "", []byte("hi"), 415, "unsupported Content-Type"},
		{"garbage remote write", "/api/v1/write", "application/x-protobuf", "snappy", []byte("not snappy"), 400, ""},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			code, msg := post(t, srv.URL()+b.path, b.ctype, b.enc, b.body)
			if code != b.status || strings.TrimSpace(msg) == "" || !strings.Contains(msg, b.msg) {
				t.Errorf("got %d %q, want %d containing %q", code, msg, b.status, b.msg)
			}
		})
	}

	send(gauge("queue.depth", "v1", t2, 9), true)
	sendTraces(serverSpans("v1", t2, 3))

	for _, c := range []struct {
		q    string
		at   time.Time
		want float64
	}{
		{`queue_depth_ratio{service_version="v1"}`, t1, 7},
		{`queue_depth_ratio{service_version="v1"}`, t2, 9},
		{`sum(augur_span_requests_total{service_name="shop",span_kind="server"})`, t1.Add(time.Second), 5},
		{`sum(augur_span_requests_total{service_name="shop",span_kind="server"})`, t2.Add(time.Second), 8},
	} {
		got, ok := queryScalar(t, srv, c.q, c.at)
		if !ok || got != c.want {
			t.Errorf("%s at %s: %v (found %v), want %v", c.q, c.at, got, ok, c.want)
		}
	}
}

// TestRemoteWriteWithPrometheusClient sends through Prometheus' own
// remote-write client.
func TestRemoteWriteWithPrometheusClient(t *testing.T) {
	srv := startServer(t, nil)
	u, err := url.Parse(srv.URL() + "/api/v1/write")
	if err != nil {
		t.Fatal(err)
	}
	client, err := remote.NewWriteClient("augur-test", &remote.ClientConfig{
		URL:           &config_util.URL{URL: u},
		Timeout:       model.Duration(10 * time.Second),
		WriteProtoMsg: remoteapi.WriteV1MessageType,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Now().Add(-30 * time.Second).Truncate(time.Millisecond)
	req := &prompb.WriteRequest{Timeseries: []prompb.TimeSeries{{
		Labels:  []prompb.Label{{Name: "__name__", Value: "jobs_done_total"}, {Name: "version", Value: "v2"}},
		Samples: []prompb.Sample{{Timestamp: ts.UnixMilli(), Value: 42}},
	}}}
	raw, err := req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Store(context.Background(), snappy.Encode(nil, raw), 0); err != nil {
		t.Fatalf("remote write: %v", err)
	}
	got, ok := queryScalar(t, srv, `jobs_done_total{version="v2"}`, ts)
	if !ok || got != 42 {
		t.Errorf("queried %v (found %v), want 42", got, ok)
	}
}
