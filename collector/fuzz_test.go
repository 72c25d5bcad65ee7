package collector

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/prompb"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/augurhq/augur/collector/store/storetest"
)

// FuzzRemoteWrite feeds arbitrary bodies, snappy-compressed or raw, to the
// remote-write receiver (decode, limits, append): it must answer, never
// panic.
//
//	go test ./collector -run '^$' -fuzz FuzzRemoteWrite -fuzztime 30s
func FuzzRemoteWrite(f *testing.F) {
	now := time.Now().UnixMilli()
	seed := prompb.WriteRequest{Timeseries: []prompb.TimeSeries{{
		Labels:     []prompb.Label{{Name: "__name__", Value: "x"}, {Name: "a", Value: "b"}},
		Samples:    []prompb.Sample{{Timestamp: now, Value: 1}},
		Exemplars:  []prompb.Exemplar{{Labels: []prompb.Label{{Name: "trace_id", Value: "ab"}}, Value: 1, Timestamp: now}},
		Histograms: []prompb.Histogram{{Count: &prompb.Histogram_CountInt{CountInt: 1}, Schema: 3, PositiveSpans: []prompb.BucketSpan{{Offset: 0, Length: 1}}, PositiveDeltas: []int64{1}, Timestamp: now + 1}},
	}}}
	b, _ := seed.Marshal()
	f.Add(b, true, false)
	f.Add(b, true, true)
	f.Add([]byte("garbage"), false, false)
	cfg := DefaultConfig()
	cfg.MaxBodyBytes = 1 << 20
	cfg.Limits.MaxLabelsPerSeries = 8
	h := NewRemoteWriteHandler(discardLogger(), prometheus.NewRegistry(), &fakeAppendable{}, cfg)
	f.Fuzz(func(t *testing.T, body []byte, compress, v2 bool) {
		if compress {
			body = snappy.Encode(nil, body)
		}
		req := httptest.NewRequest(http.MethodPost, "/api/v1/write", bytes.NewReader(body))
		req.Header.Set("Content-Encoding", "snappy")
		if v2 {
			req.Header.Set("Content-Type", "application/x-protobuf;proto=io.prometheus.write.v2.Request")
		} else {
			req.Header.Set("Content-Type", "application/x-protobuf")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusNoContent && rec.Code/100 != 4 && rec.Code/100 != 5 {
			t.Errorf("status %d", rec.Code)
		}
	})
}

// FuzzOTLPTraces feeds arbitrary bodies, as protobuf or JSON, to the OTLP
// traces receiver (readOTLPBody, unmarshal, span metrics): it must answer,
// never panic.
//
//	go test ./collector -run '^$' -fuzz FuzzOTLPTraces -fuzztime 30s
func FuzzOTLPTraces(f *testing.F) {
	req := ptraceotlp.NewExportRequestFromTraces(nSpans("GET /", 3))
	pb, _ := req.MarshalProto()
	js, _ := req.MarshalJSON()
	f.Add(pb, false)
	f.Add(js, true)
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"x","endTimeUnixNano":"5"}]}]}]}`), true)
	cfg := testConfig()
	cfg.MaxBodyBytes = 1 << 20
	sm, err := NewSpanMetrics(discardLogger(), &fakeAppendable{}, cfg)
	if err != nil {
		f.Fatal(err)
	}
	h := NewOTLPTracesHandler(discardLogger(), sm, cfg)
	f.Fuzz(func(t *testing.T, body []byte, json bool) {
		req := httptest.NewRequest(http.MethodPost, "/v1/traces", bytes.NewReader(body))
		ct := "application/x-protobuf"
		if json {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Errorf("status %d: %s", rec.Code, rec.Body)
		}
	})
}

// FuzzOTLPMetrics: arbitrary bodies into the OTLP metrics receiver (our
// decode, then Prometheus' translation into a real store) never panic and
// answer 200 or a client error.
func FuzzOTLPMetrics(f *testing.F) {
	req := pmetricotlp.NewExportRequestFromMetrics(buildOTLPMetrics(time.Now().Add(-time.Minute)))
	pb, _ := req.MarshalProto()
	js, _ := req.MarshalJSON()
	f.Add(pb, false)
	f.Add(js, true)
	f.Add([]byte(`{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"x","gauge":{"dataPoints":[{"asDouble":1}]}}]}]}]}`), true)
	cfg := DefaultConfig()
	cfg.MaxBodyBytes = 1 << 20
	st := storetest.Open(f)
	h := NewOTLPMetricsHandler(discardLogger(), prometheus.NewRegistry(), st, cfg)
	f.Fuzz(func(t *testing.T, body []byte, json bool) {
		req := httptest.NewRequest(http.MethodPost, "/v1/metrics", bytes.NewReader(body))
		ct := "application/x-protobuf"
		if json {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK && (rec.Code < 400 || rec.Code >= 500) {
			t.Errorf("status %d: %s", rec.Code, rec.Body)
		}
	})
}
