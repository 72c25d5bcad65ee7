package collector

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func traceProto(t *testing.T, td ptrace.Traces) []byte {
	t.Helper()
	b, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func traceJSON(t *testing.T, td ptrace.Traces) []byte {
	t.Helper()
	b, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// nSpans returns a batch of n valid server spans named name (service
// checkout v1), ending at base+1s.
func nSpans(name string, n int) ptrace.Traces {
	spans := make([]spanSpec, n)
	for i := range spans {
		spans[i] = spanSpec{name: name, kind: ptrace.SpanKindServer, end: base.Add(time.Second), dur: 20 * time.Millisecond}
	}
	return buildTraces(resourceSpans{attrs: checkout("v1"), spans: spans})
}

func post(t *testing.T, url, contentType, encoding string, body []byte) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// decodeTraceResponse decodes an OTLP export response in the encoding the
// server declared.
func decodeTraceResponse(t *testing.T, resp *http.Response, wantType string) ptraceotlp.ExportResponse {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != wantType {
		t.Fatalf("response Content-Type = %q, want %q", ct, wantType)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := ptraceotlp.NewExportResponse()
	if wantType == "application/json" {
		err = out.UnmarshalJSON(b)
	} else {
		err = out.UnmarshalProto(b)
	}
	if err != nil {
		t.Fatalf("decode response %q: %v", b, err)
	}
	return out
}

func TestOTLPTracesHandler(t *testing.T) {
	const limit = 4096
	invalid := buildTraces(resourceSpans{attrs: checkout("v1"), spans: []spanSpec{
		{name: "good", kind: ptrace.SpanKindServer, end: base.Add(time.Second), dur: time.Millisecond},
		{name: "time-traveller", kind: ptrace.SpanKindServer, end: base.Add(time.Second), start: base.Add(2 * time.Second)},
		{name: "good", kind: ptrace.SpanKindServer, end: base.Add(time.Second), dur: time.Millisecond},
	}})
	tests := []struct {
		name        string
		method      string
		contentType string
		encoding    string
		body        []byte
		wantStatus  int
		wantInBody  string // for error answers
		wantStored  map[string]float64
		wantReject  int64
	}{
		{name: "protobuf", contentType: "application/x-protobuf", body: traceProto(t, nSpans("proto", 3)), wantStatus: 200, wantStored: map[string]float64{"proto": 3}},
		{name: "json", contentType: "application/json", body: traceJSON(t, nSpans("json", 2)), wantStatus: 200, wantStored: map[string]float64{"json": 2}},
		{name: "json with charset", contentType: "application/json; charset=utf-8", body: traceJSON(t, nSpans("json", 2)), wantStatus: 200, wantStored: map[string]float64{"json": 2}},
		{name: "gzip protobuf", contentType: "application/x-protobuf", encoding: "gzip", body: gzipped(t, traceProto(t, nSpans("gz", 4))), wantStatus: 200, wantStored: map[string]float64{"gz": 4}},
		{name: "gzip json", contentType: "application/json", encoding: "gzip", body: gzipped(t, traceJSON(t, nSpans("gzjson", 1))), wantStatus: 200, wantStored: map[string]float64{"gzjson": 1}},
		{name: "protobuf partial success", contentType: "application/x-protobuf", body: traceProto(t, invalid), wantStatus: 200, wantStored: map[string]float64{"good": 2}, wantReject: 1},
		{name: "json partial success", contentType: "application/json", body: traceJSON(t, invalid), wantStatus: 200, wantStored: map[string]float64{"good": 2}, wantReject: 1},
		{name: "text content type", contentType: "text/plain", body: traceProto(t, nSpans("x", 1)), wantStatus: 415, wantInBody: "Content-Type"},
		{name: "no content type", body: traceProto(t, nSpans("x", 1)), wantStatus: 415, wantInBody: "Content-Type"},
		{name: "unsupported encoding", contentType: "application/x-protobuf", encoding: "br", body: traceProto(t, nSpans("x", 1)), wantStatus: 415, wantInBody: `"br"`},
		{name: "bad gzip", contentType: "application/x-protobuf", encoding: "gzip", body: []byte("certainly not gzip"), wantStatus: 400, wantInBody: "gzip"},
		{name: "garbage protobuf", contentType: "application/x-protobuf", body: []byte{0x0a, 0xff, 0xff, 0xff}, wantStatus: 400, wantInBody: "malformed application/x-protobuf body"},
		{name: "garbage json", contentType: "application/json", body: []byte(`{"resourceSpans": [`), wantStatus: 400, wantInBody: "malformed application/json body"},
		{name: "oversize body", contentType: "application/x-protobuf", body: traceProto(t, nSpans("big", 200)), wantStatus: 413, wantInBody: "4096"},
		{name: "oversize after gunzip", contentType: "application/x-protobuf", encoding: "gzip", body: gzipped(t, make([]byte, 64<<10)), wantStatus: 413, wantInBody: "decompressed"},
		{name: "GET", method: http.MethodGet, wantStatus: 405},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.encoding == "" && len(tc.body) > limit != (tc.wantStatus == 413) {
				t.Fatalf("test setup: body of %d bytes vs limit %d", len(tc.body), limit)
			}
			app := &fakeAppendable{}
			cfg := testConfig()
			cfg.MaxBodyBytes = limit
			srv := httptest.NewServer(NewOTLPTracesHandler(discardLogger(), newSpanMetrics(t, app, cfg), cfg))
			defer srv.Close()

			var resp *http.Response
			if tc.method == http.MethodGet {
				var err error
				if resp, err = http.Get(srv.URL); err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				if allow := resp.Header.Get("Allow"); allow != http.MethodPost {
					t.Errorf("Allow = %q, want POST", allow)
				}
			} else {
				resp = post(t, srv.URL, tc.contentType, tc.encoding, tc.body)
			}
			if resp.StatusCode != tc.wantStatus {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("status = %d (%s), want %d", resp.StatusCode, b, tc.wantStatus)
			}
			if tc.wantStatus != 200 {
				b, _ := io.ReadAll(resp.Body)
				if !strings.Contains(string(b), tc.wantInBody) {
					t.Errorf("body %q does not mention %q", b, tc.wantInBody)
				}
				if keys := app.seriesKeys(); len(keys) != 0 {
					t.Errorf("a refused request stored %d series", len(keys))
				}
				return
			}
			wantType := "application/x-protobuf"
			if strings.HasPrefix(tc.contentType, "application/json") {
				wantType = "application/json"
			}
			out := decodeTraceResponse(t, resp, wantType)
			ps := out.PartialSuccess()
			if ps.RejectedSpans() != tc.wantReject {
				t.Errorf("rejected_spans = %d, want %d", ps.RejectedSpans(), tc.wantReject)
			}
			if tc.wantReject > 0 && !strings.Contains(ps.ErrorMessage(), "time-traveller") {
				t.Errorf("partial success message %q does not name the rejected span", ps.ErrorMessage())
			}
			if tc.wantReject == 0 && ps.ErrorMessage() != "" {
				t.Errorf("unexpected partial success message %q", ps.ErrorMessage())
			}
			for name, want := range tc.wantStored {
				if got := last(t, app.samples(redLabels(MetricSpanRequests, "v1", name, "server")), name); got != want {
					t.Errorf("%s requests = %v, want %v", name, got, want)
				}
			}
		})
	}
}

// A malformed request affects nothing accepted before or after it.
func TestOTLPTracesHandlerRecoversFromMalformedRequests(t *testing.T) {
	app := &fakeAppendable{}
	cfg := testConfig()
	srv := httptest.NewServer(NewOTLPTracesHandler(discardLogger(), newSpanMetrics(t, app, cfg), cfg))
	defer srv.Close()

	requests := []struct {
		contentType, encoding string
		body                  []byte
		wantStatus            int
	}{
		{"application/x-protobuf", "", traceProto(t, nSpans("op", 2)), 200},
		{"application/x-protobuf", "", []byte{0x0a, 0xff, 0xff, 0xff}, 400},
		{"application/x-protobuf", "gzip", []byte("nope"), 400},
		{"application/json", "", []byte("{"), 400},
		{"application/x-protobuf", "", traceProto(t, buildTraces(resourceSpans{attrs: checkout("v1"), spans: []spanSpec{
			{name: "op", kind: ptrace.SpanKindServer, end: base.Add(7 * time.Second), dur: time.Millisecond},
		}})), 200},
	}
	for i, r := range requests {
		if resp := post(t, srv.URL, r.contentType, r.encoding, r.body); resp.StatusCode != r.wantStatus {
			t.Fatalf("request %d: status %d, want %d", i, resp.StatusCode, r.wantStatus)
		}
	}
	t1, t7 := ms(base.Add(time.Second)), ms(base.Add(7*time.Second))
	want := []sample{{t1 - 1, 0}, {t1, 2}, {t7, 3}}
	got := app.samples(redLabels(MetricSpanRequests, "v1", "op", "server"))
	if len(got) != len(want) {
		t.Fatalf("requests = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("requests = %v, want %v", got, want)
			break
		}
	}
}

// A storage failure is a 503, which OTLP exporters retry; the retry is
// counted once.
func TestOTLPTracesHandlerStoreFailure(t *testing.T) {
	app := &fakeAppendable{commitFn: func() error { return errors.New("wal broken") }}
	cfg := testConfig()
	srv := httptest.NewServer(NewOTLPTracesHandler(discardLogger(), newSpanMetrics(t, app, cfg), cfg))
	defer srv.Close()

	body := traceProto(t, nSpans("op", 3))
	resp := post(t, srv.URL, "application/x-protobuf", "", body)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), "wal broken") {
		t.Fatalf("got %d %q, want 503 naming the storage error", resp.StatusCode, b)
	}
	app.commitFn = nil
	if resp := post(t, srv.URL, "application/x-protobuf", "", body); resp.StatusCode != http.StatusOK {
		t.Fatalf("retry: status %d, want 200", resp.StatusCode)
	}
	if got := last(t, app.samples(redLabels(MetricSpanRequests, "v1", "op", "server")), "op"); got != 3 {
		t.Errorf("requests after the retry = %v, want 3", got)
	}
}
