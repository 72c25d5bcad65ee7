package app

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/grafana/loki/pkg/push"
	"github.com/prometheus/prometheus/prompb"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// TestInvalidUTF8LabelRule: one label rule on every path. The same label
// value that is not valid UTF-8 rejects the remote-write series, the Loki
// stream (it was once stored repaired) and the span that carry it, with a
// message naming the label; the valid series, stream or span beside it is
// stored.
func TestInvalidUTF8LabelRule(t *testing.T) {
	srv := startServer(t, nil)
	const bad = "v\xff2"
	at := time.Now().Add(-time.Minute).Truncate(time.Second)
	const want = `label version: value "v\xff2" is not valid UTF-8`

	t.Run("remote write 1.0", func(t *testing.T) {
		series := func(version string, v float64) prompb.TimeSeries {
			return prompb.TimeSeries{Labels: []prompb.Label{{Name: "__name__", Value: "utf8_rule"}, {Name: "version", Value: version}},
				Samples: []prompb.Sample{{Timestamp: at.UnixMilli(), Value: v}}}
		}
		b, err := (&prompb.WriteRequest{Timeseries: []prompb.TimeSeries{series(bad, 1), series("v1", 2)}}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		code, msg := post(t, srv.URL()+"/api/v1/write", "application/x-protobuf", "snappy", snappy.Encode(nil, b))
		if code != http.StatusBadRequest || !strings.Contains(msg, want) || !strings.Contains(msg, "1 series and 1 samples rejected") {
			t.Errorf("got %d %q, want 400 naming %q", code, msg, want)
		}
		if got, ok := queryScalar(t, srv, `count(utf8_rule)`, at); !ok || got != 1 {
			t.Errorf("%v series stored (found %v), want only the valid one", got, ok)
		}
	})

	t.Run("loki push protobuf", func(t *testing.T) {
		stream := func(version, line string) push.Stream {
			return push.Stream{Labels: fmt.Sprintf(`{app="utf8", version=%q}`, version), Entries: []push.Entry{{Timestamp: at, Line: line}}}
		}
		b, err := (&push.PushRequest{Streams: []push.Stream{stream(bad, "bad stream"), stream("v1", "good stream")}}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		code, msg := post(t, srv.URL()+"/loki/api/v1/push", "application/x-protobuf", "", snappy.Encode(nil, b))
		if code != http.StatusBadRequest || !strings.Contains(msg, want) || !strings.Contains(msg, "1 entries rejected, 1 stored") {
			t.Errorf("got %d %q, want 400 naming %q", code, msg, want)
		}
		if got, ok := queryScalar(t, srv, `count(augur_log_records_total{service_name="utf8"})`, at); !ok || got != 1 {
			t.Errorf("%v streams stored (found %v), want only the valid one", got, ok)
		}
	})

	t.Run("loki push protobuf, raw bytes in the selector", func(t *testing.T) {
		// Unescaped invalid bytes inside the quotes, as a buggy client
		// writes them: refused alike, never repaired into U+FFFD.
		b, err := (&push.PushRequest{Streams: []push.Stream{
			{Labels: `{app="utf8raw", version="` + bad + `"}`, Entries: []push.Entry{{Timestamp: at, Line: "bad stream"}}},
			{Labels: `{app="utf8raw", version="v1"}`, Entries: []push.Entry{{Timestamp: at, Line: "good stream"}}},
		}}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		code, msg := post(t, srv.URL()+"/loki/api/v1/push", "application/x-protobuf", "", snappy.Encode(nil, b))
		if code != http.StatusBadRequest || !strings.Contains(msg, want) || !strings.Contains(msg, "1 entries rejected, 1 stored") {
			t.Errorf("got %d %q, want 400 naming %q", code, msg, want)
		}
		if got, ok := queryScalar(t, srv, `count(augur_log_records_total{service_name="utf8raw"})`, at); !ok || got != 1 {
			t.Errorf("%v streams stored (found %v), want only the valid one", got, ok)
		}
	})

	t.Run("loki push json, labels as a selector", func(t *testing.T) {
		body := fmt.Sprintf(`{"streams":[{"labels":"{app=\"utf8json\", version=\"v\\xff2\"}","entries":[{"ts":%q,"line":"bad"}]},`+
			`{"stream":{"app":"utf8json","version":"v1"},"values":[["%d","good"]]}]}`, at.Format(time.RFC3339Nano), at.UnixNano())
		code, msg := post(t, srv.URL()+"/loki/api/v1/push", "application/json", "", []byte(body))
		if code != http.StatusBadRequest || !strings.Contains(msg, want) || !strings.Contains(msg, "1 entries rejected, 1 stored") {
			t.Errorf("got %d %q, want 400 naming %q", code, msg, want)
		}
		if got, ok := queryScalar(t, srv, `count(augur_log_records_total{service_name="utf8json"})`, at); !ok || got != 1 {
			t.Errorf("%v streams stored (found %v), want only the valid one", got, ok)
		}
	})

	t.Run("otlp logs", func(t *testing.T) {
		ld := recordsAt(uint64(at.UnixNano()), at)
		ld.ResourceLogs().At(0).Resource().Attributes().PutStr("service.name", "utf8otlp")
		ld.ResourceLogs().At(0).Resource().Attributes().PutStr("service.version", bad)
		good := recordsAt(uint64(at.UnixNano()), at)
		good.ResourceLogs().At(0).Resource().Attributes().PutStr("service.name", "utf8otlp")
		good.ResourceLogs().MoveAndAppendTo(ld.ResourceLogs())
		b, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
		if err != nil {
			t.Fatal(err)
		}
		code, body := post(t, srv.URL()+"/v1/logs", "application/x-protobuf", "", b)
		resp := plogotlp.NewExportResponse()
		if code != http.StatusOK || resp.UnmarshalProto([]byte(body)) != nil || resp.PartialSuccess().RejectedLogRecords() != 2 ||
			!strings.Contains(resp.PartialSuccess().ErrorMessage(), `label service_version: value "v\xff2" is not valid UTF-8`) {
			t.Errorf("got %d, partial success %d %q; want the 2 records of the bad resource rejected naming the label", code,
				resp.PartialSuccess().RejectedLogRecords(), resp.PartialSuccess().ErrorMessage())
		}
		if got, ok := queryScalar(t, srv, `sum(augur_log_records_total{service_name="utf8otlp"})`, at); !ok || got != 2 {
			t.Errorf("%v records stored (found %v), want the 2 of the valid resource", got, ok)
		}
	})

	t.Run("otlp traces", func(t *testing.T) {
		td := serverSpans("v1", at.Add(-time.Second), 1)
		serverSpans(bad, at.Add(-time.Second), 1).ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
		b, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
		if err != nil {
			t.Fatal(err)
		}
		code, body := post(t, srv.URL()+"/v1/traces", "application/x-protobuf", "", b)
		resp := ptraceotlp.NewExportResponse()
		if code != http.StatusOK || resp.UnmarshalProto([]byte(body)) != nil || resp.PartialSuccess().RejectedSpans() != 1 ||
			!strings.Contains(resp.PartialSuccess().ErrorMessage(), `label service_version: value "v\xff2" is not valid UTF-8`) {
			t.Errorf("got %d, partial success %d %q; want 1 span rejected naming the label", code,
				resp.PartialSuccess().RejectedSpans(), resp.PartialSuccess().ErrorMessage())
		}
		if got, ok := queryScalar(t, srv, `count(augur_span_requests_total{service_name="shop"})`, at); !ok || got != 1 {
			t.Errorf("%v span series stored (found %v), want only the valid one", got, ok)
		}
	})
}
