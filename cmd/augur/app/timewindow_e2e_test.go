package app

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/grafana/loki/pkg/push"
	model "github.com/jaegertracing/jaeger-idl/model/v1"
	"github.com/jaegertracing/jaeger-idl/proto-gen/api_v2"
	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// startServerAt runs a server on a random loopback port over dir; stop
// shuts it down (once; the test's cleanup calls it too), so that a second
// server can open the same directory.
func startServerAt(t *testing.T, dir string) (srv *Server, stop func()) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Listen, cfg.Store.Dir = "127.0.0.1:0", dir
	cfg.OTLPGRPC.Listen, cfg.Jaeger.Listen = "127.0.0.1:0", "127.0.0.1:0"
	return runServer(t, cfg)
}

func grpcConn(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// spansAt is a batch of two server spans of service shop: "bad" ending at
// badEnd (nanoseconds) and "good" ending at good.
func spansAt(badEnd uint64, good time.Time) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "shop")
	ss := rs.ScopeSpans().AppendEmpty()
	for i, sp := range []struct {
		name string
		end  uint64
	}{{"bad", badEnd}, {"good", uint64(good.UnixNano())}} {
		s := ss.Spans().AppendEmpty()
		s.SetName(sp.name)
		s.SetKind(ptrace.SpanKindServer)
		s.SetTraceID(pcommon.TraceID{9, byte(i + 1)})
		s.SetSpanID(pcommon.SpanID{9, byte(i + 1)})
		s.SetStartTimestamp(pcommon.Timestamp(sp.end - uint64(40*time.Millisecond)))
		s.SetEndTimestamp(pcommon.Timestamp(sp.end))
	}
	return td
}

// recordsAt is a batch of two log records of service shop: one at bad
// (nanoseconds) and one at good.
func recordsAt(bad uint64, good time.Time) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "shop")
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
	for _, ts := range []uint64{bad, uint64(good.UnixNano())} {
		lr := lrs.AppendEmpty()
		lr.SetTimestamp(pcommon.Timestamp(ts))
		lr.SetSeverityText("INFO")
		lr.Body().SetStr("order shipped")
	}
	return ld
}

// TestOutOfWindowIngest: a span, log record, Loki entry, data point or
// sample stamped far ahead of the server's clock (or decades before it) is
// refused on its own through every receiver, with a message naming the
// bound; what came with it is stored; nothing lands at the bad time; and a
// well-behaved sender's current sample is still accepted and queryable
// afterwards, also once the server restarts on the same data directory
// (the write-ahead log replays what was accepted).
func TestOutOfWindowIngest(t *testing.T) {
	now := time.Now()
	good := now.Add(-time.Minute).Truncate(time.Second)
	ahead := now.Add(6 * time.Hour)
	farNs := uint64(math.MaxInt64) // "timeUnixNano":"9223372036854775807"
	y1971 := time.Date(1971, 1, 1, 0, 0, 0, 0, time.UTC)
	const future, past = "store.max_future", "behind the server's clock"
	spansGood := `sum(augur_span_requests_total{service_name="shop",span_name="good"})`
	logsGood := `sum(augur_log_records_total{service_name="shop"})`

	tests := []struct {
		name string
		// send delivers the batch and returns the receiver's account of
		// what it rejected, after checking the status.
		send      func(t *testing.T, srv *Server) string
		want      []string
		badAt     []time.Time
		goodQuery string
		goodValue float64
	}{
		{"otlp http traces, int64 nanoseconds ahead", func(t *testing.T, srv *Server) string {
			return postTraces(t, srv, spansAt(farNs, good), true, 1)
		}, []string{`span "bad"`, future, "2262-04-11T23:47:16.854Z"}, []time.Time{time.Unix(0, int64(farNs))}, spansGood, 1},
		{"otlp http traces, 6h ahead", func(t *testing.T, srv *Server) string {
			return postTraces(t, srv, spansAt(uint64(ahead.UnixNano()), good), false, 1)
		}, []string{`span "bad"`, future}, []time.Time{ahead}, spansGood, 1},
		{"otlp http traces, a span from 1971 into an empty store", func(t *testing.T, srv *Server) string {
			return postTraces(t, srv, spansAt(uint64(y1971.UnixNano()), good), false, 1)
		}, []string{`span "bad"`, past, "1971-01-01T00:00:00Z"}, []time.Time{y1971}, spansGood, 1},
		{"otlp http logs, timeUnixNano 9223372036854775807", func(t *testing.T, srv *Server) string {
			b, err := plogotlp.NewExportRequestFromLogs(recordsAt(farNs, good)).MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), `"timeUnixNano":"9223372036854775807"`) {
				t.Fatalf("body %s", b)
			}
			code, body := post(t, srv.URL()+"/v1/logs", "application/json", "", b)
			resp := plogotlp.NewExportResponse()
			if code != http.StatusOK || resp.UnmarshalJSON([]byte(body)) != nil || resp.PartialSuccess().RejectedLogRecords() != 1 {
				t.Fatalf("got %d %s, want 200 rejecting 1 record", code, body)
			}
			return resp.PartialSuccess().ErrorMessage()
		}, []string{"record 0", future}, []time.Time{time.Unix(0, int64(farNs))}, logsGood, 1},
		{"loki push json, 6h ahead", func(t *testing.T, srv *Server) string {
			body := fmt.Sprintf(`{"streams":[{"stream":{"app":"shop"},"values":[["%d","bad line"],["%d","good line"]]}]}`, ahead.UnixNano(), good.UnixNano())
			return postLoki(t, srv, "application/json", []byte(body))
		}, []string{"1 entries rejected, 1 stored", future}, []time.Time{ahead}, logsGood, 1},
		{"loki push protobuf, 6h ahead", func(t *testing.T, srv *Server) string {
			b, err := (&push.PushRequest{Streams: []push.Stream{{Labels: `{app="shop"}`, Entries: []push.Entry{
				{Timestamp: ahead, Line: "bad line"}, {Timestamp: good, Line: "good line"},
			}}}}).Marshal()
			if err != nil {
				t.Fatal(err)
			}
			return postLoki(t, srv, "application/x-protobuf", snappy.Encode(nil, b))
		}, []string{"1 entries rejected, 1 stored", future}, []time.Time{ahead}, logsGood, 1},
		{"otlp grpc traces, 6h ahead", func(t *testing.T, srv *Server) string {
			resp, err := ptraceotlp.NewGRPCClient(grpcConn(t, srv.GRPCAddr("otlp_grpc"))).Export(context.Background(),
				ptraceotlp.NewExportRequestFromTraces(spansAt(uint64(ahead.UnixNano()), good)))
			if err != nil || resp.PartialSuccess().RejectedSpans() != 1 {
				t.Fatalf("export: %v, partial success %+v; want 1 span rejected", err, resp.PartialSuccess())
			}
			return resp.PartialSuccess().ErrorMessage()
		}, []string{`span "bad"`, future}, []time.Time{ahead}, spansGood, 1},
		{"otlp grpc logs, int64 nanoseconds ahead", func(t *testing.T, srv *Server) string {
			resp, err := plogotlp.NewGRPCClient(grpcConn(t, srv.GRPCAddr("otlp_grpc"))).Export(context.Background(),
				plogotlp.NewExportRequestFromLogs(recordsAt(farNs, good)))
			if err != nil || resp.PartialSuccess().RejectedLogRecords() != 1 {
				t.Fatalf("export: %v, partial success %+v; want 1 record rejected", err, resp.PartialSuccess())
			}
			return resp.PartialSuccess().ErrorMessage()
		}, []string{"record 0", future}, []time.Time{time.Unix(0, int64(farNs))}, logsGood, 1},
		{"jaeger PostSpans, 6h ahead", func(t *testing.T, srv *Server) string {
			span := func(id uint64, name string, start time.Time) *model.Span {
				return &model.Span{TraceID: model.NewTraceID(9, id), SpanID: model.NewSpanID(id), OperationName: name,
					StartTime: start, Duration: 40 * time.Millisecond, Tags: []model.KeyValue{model.String("span.kind", "server")}}
			}
			batch := model.Batch{Process: &model.Process{ServiceName: "shop"},
				Spans: []*model.Span{span(1, "bad", ahead), span(2, "good", good.Add(-40*time.Millisecond))}}
			// PostSpansResponse has no partial success: the call succeeds
			// and the bad span is only logged.
			if _, err := api_v2.NewCollectorServiceClient(grpcConn(t, srv.GRPCAddr("jaeger"))).PostSpans(context.Background(),
				&api_v2.PostSpansRequest{Batch: batch}); err != nil {
				t.Fatalf("PostSpans: %v", err)
			}
			return ""
		}, nil, []time.Time{ahead}, spansGood, 1},
		{"remote write 2.0, 6h ahead and 1971", func(t *testing.T, srv *Server) string {
			// Symbols: 0 "", 1 __name__, 2 rw2_ahead, 3 rw2_old, 4 rw2_good
			req := &writev2.Request{Symbols: []string{"", "__name__", "rw2_ahead", "rw2_old", "rw2_good"}, Timeseries: []writev2.TimeSeries{
				{LabelsRefs: []uint32{1, 2}, Samples: []writev2.Sample{{Value: 1, Timestamp: ahead.UnixMilli()}}},
				{LabelsRefs: []uint32{1, 3}, Samples: []writev2.Sample{{Value: 1, Timestamp: y1971.UnixMilli()}}},
				{LabelsRefs: []uint32{1, 4}, Samples: []writev2.Sample{{Value: 5, Timestamp: good.UnixMilli()}}},
			}}
			b, err := req.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			code, msg := post(t, srv.URL()+"/api/v1/write", "application/x-protobuf;proto=io.prometheus.write.v2.Request", "snappy", snappy.Encode(nil, b))
			if code != http.StatusBadRequest {
				t.Fatalf("got %d %s, want 400", code, msg)
			}
			return msg
		}, []string{"rw2_ahead", "too far in the future", "rw2_old", past}, []time.Time{ahead, y1971}, `rw2_good`, 5},
		{"otlp http metrics, 6h ahead and 1971", func(t *testing.T, srv *Server) string {
			md := gauge("queue.depth", "v1", good, 7)
			dps := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Gauge().DataPoints()
			for _, at := range []time.Time{ahead, y1971} {
				dp := dps.AppendEmpty()
				dp.SetTimestamp(pcommon.NewTimestampFromTime(at))
				dp.SetDoubleValue(1)
				dp.Attributes().PutStr("at", at.Format(time.RFC3339))
			}
			b, err := pmetricotlp.NewExportRequestFromMetrics(md).MarshalProto()
			if err != nil {
				t.Fatal(err)
			}
			code, body := post(t, srv.URL()+"/v1/metrics", "application/x-protobuf", "", b)
			resp := pmetricotlp.NewExportResponse()
			if code != http.StatusOK || resp.UnmarshalProto([]byte(body)) != nil || resp.PartialSuccess().RejectedDataPoints() != 2 {
				t.Fatalf("got %d %q, want 200 rejecting 2 data points", code, body)
			}
			return resp.PartialSuccess().ErrorMessage()
		}, []string{`metric "queue.depth"`, future, past}, []time.Time{ahead, y1971}, `queue_depth_ratio{service_version="v1"}`, 7},
		{"remote write 1.0, 6h ahead and 1971", func(t *testing.T, srv *Server) string {
			req := &prompb.WriteRequest{Timeseries: []prompb.TimeSeries{
				{Labels: []prompb.Label{{Name: "__name__", Value: "rw1_ahead"}}, Samples: []prompb.Sample{{Timestamp: ahead.UnixMilli(), Value: 1}}},
				{Labels: []prompb.Label{{Name: "__name__", Value: "rw1_old"}}, Samples: []prompb.Sample{{Timestamp: y1971.UnixMilli(), Value: 1}}},
				{Labels: []prompb.Label{{Name: "__name__", Value: "rw1_good"}}, Samples: []prompb.Sample{{Timestamp: good.UnixMilli(), Value: 3}}},
			}}
			b, err := req.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			code, msg := post(t, srv.URL()+"/api/v1/write", "application/x-protobuf", "snappy", snappy.Encode(nil, b))
			if code != http.StatusBadRequest {
				t.Fatalf("got %d %s, want 400", code, msg)
			}
			return msg
		}, []string{"stored 1 samples", "rw1_ahead", future, "rw1_old", past}, []time.Time{ahead, y1971}, `rw1_good`, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			srv, stop := startServerAt(t, dir)
			msg := tt.send(t, srv)
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("rejection %q lacks %q", msg, w)
				}
			}
			probe1 := sendProbe(t, srv, 1)
			check := func(when string) {
				t.Helper()
				if got, ok := queryScalar(t, srv, tt.goodQuery, good.Add(time.Second)); !ok || got != tt.goodValue {
					t.Errorf("%s: %s = %v (found %v), want %v: the good item of the batch was not stored", when, tt.goodQuery, got, ok, tt.goodValue)
				}
				for _, at := range tt.badAt {
					if got, ok := queryScalar(t, srv, `count({__name__=~".+"})`, at); ok {
						t.Errorf("%s: %v series stored at %s", when, got, at)
					}
				}
				if got, ok := queryScalar(t, srv, `augur_probe_total`, probe1); !ok || got != 1 {
					t.Errorf("%s: the first probe reads %v (found %v), want 1", when, got, ok)
				}
			}
			check("before restart")

			stop()
			srv, _ = startServerAt(t, dir)
			probe2 := sendProbe(t, srv, 2)
			check("after restart")
			if got, ok := queryScalar(t, srv, `augur_probe_total`, probe2); !ok || got != 2 {
				t.Errorf("after restart: the second probe reads %v (found %v), want 2", got, ok)
			}
		})
	}
}

// sendProbe is a well-behaved sender: one current sample of
// augur_probe_total by remote write 1.0, which must be accepted (204).
// It returns the sample's time.
func sendProbe(t *testing.T, srv *Server, v float64) time.Time {
	t.Helper()
	ts := time.Now().Truncate(time.Millisecond)
	req := &prompb.WriteRequest{Timeseries: []prompb.TimeSeries{{
		Labels:  []prompb.Label{{Name: "__name__", Value: "augur_probe_total"}, {Name: "sender", Value: "well_behaved"}},
		Samples: []prompb.Sample{{Timestamp: ts.UnixMilli(), Value: v}},
	}}}
	b, err := req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if code, msg := post(t, srv.URL()+"/api/v1/write", "application/x-protobuf", "snappy", snappy.Encode(nil, b)); code != http.StatusNoContent {
		t.Fatalf("a current sample was refused: %d %s", code, msg)
	}
	return ts
}

// postTraces sends td to /v1/traces and returns the partial success's
// message, requiring 200 and rejected spans.
func postTraces(t *testing.T, srv *Server, td ptrace.Traces, json bool, rejected int64) string {
	t.Helper()
	req := ptraceotlp.NewExportRequestFromTraces(td)
	resp := ptraceotlp.NewExportResponse()
	var (
		code int
		body string
	)
	if json {
		b, err := req.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		code, body = post(t, srv.URL()+"/v1/traces", "application/json", "", b)
		if code == http.StatusOK && resp.UnmarshalJSON([]byte(body)) != nil {
			t.Fatalf("response %s", body)
		}
	} else {
		b, err := req.MarshalProto()
		if err != nil {
			t.Fatal(err)
		}
		code, body = post(t, srv.URL()+"/v1/traces", "application/x-protobuf", "", b)
		if code == http.StatusOK && resp.UnmarshalProto([]byte(body)) != nil {
			t.Fatalf("response %q", body)
		}
	}
	if code != http.StatusOK || resp.PartialSuccess().RejectedSpans() != rejected {
		t.Fatalf("got %d, partial success %d %q; want 200 rejecting %d spans", code,
			resp.PartialSuccess().RejectedSpans(), resp.PartialSuccess().ErrorMessage(), rejected)
	}
	return resp.PartialSuccess().ErrorMessage()
}

// postLoki pushes body and returns the answer, requiring the 400 Loki gives
// a push with some invalid entries.
func postLoki(t *testing.T, srv *Server, contentType string, body []byte) string {
	t.Helper()
	code, msg := post(t, srv.URL()+"/loki/api/v1/push", contentType, "", body)
	if code != http.StatusBadRequest {
		t.Fatalf("got %d %s, want 400", code, msg)
	}
	return msg
}
