package logs

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/grafana/loki/pkg/push"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"

	"github.com/augurhq/augur/collector/store/storetest"
)

func post(t *testing.T, h http.Handler, ct, enc string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	if enc != "" {
		r.Header.Set("Content-Encoding", enc)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Bytes()
}

func otlpLogs(version string, lines ...string) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "checkout")
	rl.Resource().Attributes().PutStr("service.version", version)
	rl.Resource().Attributes().PutStr("host.name", "not-a-label")
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
	for i, l := range lines {
		lr := lrs.AppendEmpty()
		lr.SetTimestamp(plogTime(base.Add(time.Duration(i+1) * time.Second)))
		lr.Body().SetStr(l)
		if strings.HasPrefix(l, "boom") {
			lr.SetSeverityNumber(plog.SeverityNumberError)
		} else {
			lr.SetSeverityText("INFO")
		}
	}
	return ld
}

func TestOTLPLogsHandler(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxLineBytes = 100
	long := strings.Repeat("y", 101)
	req := plogotlp.NewExportRequestFromLogs(otlpLogs("v2", "user 1 logged in", long, "boom: disk 3 failed", "user 2 logged in"))
	pb, _ := req.MarshalProto()
	js, _ := req.MarshalJSON()
	tests := []struct {
		name, ct, enc string
		body          []byte
		status        int
		msg           string // in the body (400) or the partial success message
		rejected      int64
	}{
		{"protobuf with an oversize line", contentTypeProtobuf, "", pb, 200, "101 bytes is over the limit of 100", 1},
		{"gzip JSON with an oversize line", contentTypeJSON, "gzip", gz(js), 200, "101 bytes is over the limit of 100", 1},
		{"malformed protobuf", contentTypeProtobuf, "", []byte{0xff, 0xff, 0xff}, 400, "otlp logs: malformed application/x-protobuf body", 0},
		{"malformed JSON", contentTypeJSON, "", []byte(`{"resourceLogs":[{]}`), 400, "otlp logs: malformed application/json body", 0},
		{"bad gzip", contentTypeJSON, "gzip", []byte("not gzip"), 400, "gzip body", 0},
		{"unsupported type", "text/plain", "", []byte("x"), 415, "unsupported Content-Type", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := newLogs(t, &recordingAppendable{}, cfg)
			w := post(t, NewOTLPLogsHandler(discardLogger(), st, cfg), tc.ct, tc.enc, tc.body)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if tc.status != 200 {
				if !strings.Contains(w.Body.String(), tc.msg) {
					t.Errorf("body %q, want it to contain %q", w.Body, tc.msg)
				}
				return
			}
			resp := plogotlp.NewExportResponse()
			var err error
			if tc.ct == contentTypeJSON {
				err = resp.UnmarshalJSON(w.Body.Bytes())
			} else {
				err = resp.UnmarshalProto(w.Body.Bytes())
			}
			if err != nil {
				t.Fatal(err)
			}
			ps := resp.PartialSuccess()
			if ps.RejectedLogRecords() != tc.rejected || !strings.Contains(ps.ErrorMessage(), tc.msg) {
				t.Errorf("partial success %d %q", ps.RejectedLogRecords(), ps.ErrorMessage())
			}
			pats := st.Patterns("checkout", "v2")
			if len(pats) != 2 {
				t.Errorf("patterns %+v", pats)
			}
		})
	}
}

func lokiProto(t *testing.T, streams ...push.Stream) []byte {
	t.Helper()
	b, err := (&push.PushRequest{Streams: streams}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return snappy.Encode(nil, b)
}

func TestLokiPushHandler(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxLineBytes = 100
	ns := func(d time.Duration) string { return fmt.Sprint(base.Add(d).UnixNano()) }
	long := strings.Repeat("z", 101)
	goodProto := lokiProto(t,
		push.Stream{Labels: `{app="checkout", version="v2", level="error"}`, Entries: []push.Entry{
			{Timestamp: base.Add(time.Second), Line: "payment 12 failed: card declined"},
			{Timestamp: base.Add(2 * time.Second), Line: "payment 13 failed: card declined", StructuredMetadata: push.LabelsAdapter{{Name: "trace_id", Value: "4bf92f3577b34da6a3ce929d0e0e4736"}}},
		}},
		push.Stream{Labels: `{service_name="checkout", service_version="v1"}`, Entries: []push.Entry{
			{Timestamp: base.Add(time.Second), Line: "level=info payment 11 ok"},
		}},
	)
	mixedProto := lokiProto(t,
		push.Stream{Labels: `{app="checkout", version="v2"}`, Entries: []push.Entry{
			{Timestamp: base.Add(time.Second), Line: "ok line"},
			{Timestamp: base.Add(2 * time.Second), Line: long},
		}},
		push.Stream{Labels: `{app=checkout}`, Entries: []push.Entry{{Timestamp: base.Add(time.Second), Line: "lost"}}},
	)
	goodJSON := fmt.Sprintf(`{"streams":[{"stream":{"app":"checkout","version":"v2"},"values":[["%s","level=warn retry 1 of 3"],["%s","level=warn retry 2 of 3",{"trace_id":"abcdef0123456789"}]]},{"labels":"{job=\"checkout\", version=\"v1\"}","values":[["%s","ERROR boom"]]}]}`, ns(time.Second), ns(2*time.Second), ns(time.Second))
	mixedJSON := fmt.Sprintf(`{"streams":[{"stream":{"app":"checkout","version":"v2"},"values":[["%s","fine"],["not-a-number","x"],[1,"x"],["%s","%s"]]},{"stream":"nope"},{"stream":{"app":"checkout"},"values":[["%s","also fine"]]}]}`, ns(time.Second), ns(2*time.Second), long, ns(3*time.Second))
	legacyJSON := `{"streams":[{"labels":"{app=\"checkout\", version=\"v2\"}","entries":[{"ts":"2026-01-01T00:00:01.5Z","line":"level=error boom"},{"ts":"yesterday","line":"x"},{"line":"no ts"}]}]}`
	tests := []struct {
		name, ct, enc string
		body          []byte
		status        int
		msg           string
		stored        int // records counted into augur_log_records_total
	}{
		{"protobuf", contentTypeProtobuf, "", goodProto, 204, "", 3},
		{"protobuf without Content-Type", "", "", goodProto, 204, "", 3},
		{"JSON", contentTypeJSON, "", []byte(goodJSON), 204, "", 3},
		{"gzip JSON", contentTypeJSON, "gzip", gz([]byte(goodJSON)), 204, "", 3},
		{"protobuf with an oversize line and bad labels", contentTypeProtobuf, "", mixedProto, 400, "2 entries rejected, 1 stored", 1},
		{"JSON with bad values and streams", contentTypeJSON, "", []byte(mixedJSON), 400, "4 entries rejected, 2 stored", 2},
		{"legacy JSON entries", contentTypeJSON, "", []byte(legacyJSON), 400, "2 entries rejected, 1 stored", 1},
		{"not snappy", contentTypeProtobuf, "", []byte("plain"), 400, "loki push: malformed application/x-protobuf body: snappy", 0},
		{"snappy but not protobuf", contentTypeProtobuf, "", snappy.Encode(nil, []byte{0xff, 0xff}), 400, "protobuf PushRequest", 0},
		{"malformed JSON", contentTypeJSON, "", []byte(`{"streams":[`), 400, "loki push: malformed application/json body", 0},
		{"JSON without streams", contentTypeJSON, "", []byte(`{}`), 400, `no "streams" array`, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app := &recordingAppendable{}
			l := newLogs(t, app, cfg)
			w := post(t, NewLokiPushHandler(discardLogger(), l, cfg), tc.ct, tc.enc, tc.body)
			if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.msg) {
				t.Fatalf("status %d %q, want %d containing %q", w.Code, w.Body, tc.status, tc.msg)
			}
			var n int
			for _, p := range l.Patterns("checkout", "") {
				n += int(p.Count)
			}
			if n != tc.stored {
				t.Errorf("stored %d records, want %d", n, tc.stored)
			}
		})
	}
}

// TestLokiPushPromQL pushes to the handler and reads the counts back from a
// real store.
func TestLokiPushPromQL(t *testing.T) {
	st := storetest.Open(t)
	cfg := DefaultConfig()
	l := newLogs(t, st, cfg)
	h := NewLokiPushHandler(discardLogger(), l, cfg)
	body := lokiProto(t,
		push.Stream{Labels: `{app="checkout", version="v2", detected_level="error"}`, Entries: []push.Entry{
			{Timestamp: base.Add(time.Second), Line: "payment 12 failed: card declined"},
			{Timestamp: base.Add(2 * time.Second), Line: "payment 13 failed: card declined"},
		}},
		push.Stream{Labels: `{app="checkout", version="v1"}`, Entries: []push.Entry{
			{Timestamp: base.Add(time.Second), Line: "level=info payment 11 ok"},
		}},
	)
	if w := post(t, h, contentTypeProtobuf, "", body); w.Code != 204 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	got := query(t, st, `sum by (service_version, severity) (augur_log_records_total{service_name="checkout"})`, base.Add(2*time.Second), "service_version", "severity")
	sameValues(t, got, map[string]float64{"v2/error": 2, "v1/info": 1})
}

func TestPatternsHandler(t *testing.T) {
	l := newLogs(t, &recordingAppendable{}, DefaultConfig())
	_, err := l.Consume(context.Background(), []Record{
		{Time: base, Labels: map[string]string{LabelServiceName: "checkout", LabelServiceVersion: "v2"}, Body: "ERROR boom 1", TraceID: "abc123"},
	})
	if err != nil {
		t.Fatal(err)
	}
	h := NewPatternsHandler(discardLogger(), l)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/?service=checkout&version=v2", nil))
	var resp struct {
		Patterns []Pattern `json:"patterns"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || w.Code != 200 {
		t.Fatalf("%d %s: %v", w.Code, w.Body, err)
	}
	if len(resp.Patterns) != 1 || resp.Patterns[0].Template != "ERROR boom <*>" || resp.Patterns[0].Examples[0].TraceID != "abc123" {
		t.Errorf("got %+v", resp.Patterns)
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	if w.Code != 400 || !strings.Contains(w.Body.String(), "service is required") {
		t.Errorf("no service: %d %s", w.Code, w.Body)
	}
}

// TestOTelSDKExporter sends logs with the OpenTelemetry SDK's OTLP/HTTP log
// exporter to the handler and reads the counts back with PromQL.
func TestOTelSDKExporter(t *testing.T) {
	st := storetest.Open(t)
	cfg := DefaultConfig()
	l := newLogs(t, st, cfg)
	mux := http.NewServeMux()
	mux.Handle("/v1/logs", NewOTLPLogsHandler(discardLogger(), l, cfg))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx := context.Background()
	exp, err := otlploghttp.New(ctx, otlploghttp.WithEndpointURL(srv.URL+"/v1/logs"), otlploghttp.WithCompression(otlploghttp.GzipCompression))
	if err != nil {
		t.Fatal(err)
	}
	res := resource.NewSchemaless(semconv.ServiceName("checkout"), semconv.ServiceVersion("v2"))
	lp := sdklog.NewLoggerProvider(sdklog.WithResource(res), sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)))
	logger := lp.Logger("test")
	for i := range 5 {
		var r otellog.Record
		r.SetTimestamp(base.Add(time.Duration(i+1) * time.Second))
		if i < 2 {
			r.SetSeverity(otellog.SeverityError)
			r.SetBody(attribute.StringValue(fmt.Sprintf("charge %d failed: gateway timeout after 3000ms", i)))
		} else {
			r.SetSeverity(otellog.SeverityInfo)
			r.SetBody(attribute.StringValue(fmt.Sprintf("charge %d ok", i)))
		}
		logger.Emit(ctx, r)
	}
	if err := lp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	got := query(t, st, `sum by (service_name, service_version, severity) (augur_log_records_total)`, base.Add(5*time.Second), "service_name", "service_version", "severity")
	sameValues(t, got, map[string]float64{"checkout/v2/error": 2, "checkout/v2/info": 3})
	pats := query(t, st, `count by (severity) (augur_log_pattern_records_total)`, base.Add(5*time.Second), "severity")
	sameValues(t, pats, map[string]float64{"error": 1, "info": 1})
}
