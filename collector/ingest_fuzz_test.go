package collector_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/grafana/loki/pkg/push"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/augurhq/augur/collector"
	"github.com/augurhq/augur/collector/logs"
	"github.com/augurhq/augur/collector/store"
	"github.com/augurhq/augur/collector/store/storetest"
)

// route is one receiver a fuzzed body goes to, and how it is framed.
type route struct {
	path, contentType string
	snappy            bool // the body is snappy-compressed on the way
}

var routes = []route{
	{"/v1/traces", "application/x-protobuf", false},
	{"/v1/traces", "application/json", false},
	{"/v1/logs", "application/x-protobuf", false},
	{"/v1/logs", "application/json", false},
	{"/loki/api/v1/push", "application/json", false},
	{"/loki/api/v1/push", "application/x-protobuf", true},
	{"/api/v1/write", "application/x-protobuf", true},
	{"/api/v1/write", "application/x-protobuf;proto=io.prometheus.write.v2.Request", true},
	{"/v1/metrics", "application/x-protobuf", false},
	{"/v1/metrics", "application/json", false},
}

func routeOf(path, contentType string) uint8 {
	for i, r := range routes {
		if r.path == path && r.contentType == contentType {
			return uint8(i)
		}
	}
	panic(path + " " + contentType)
}

// ingestSeeds are the attacks the time window and the label rule stop, and
// well-behaved batches, for every receiver.
func ingestSeeds(now time.Time) []struct {
	route uint8
	body  []byte
} {
	ahead, y1971 := now.Add(6*time.Hour), time.Date(1971, 1, 1, 0, 0, 0, 0, time.UTC)
	far := time.Unix(0, math.MaxInt64)
	var seeds []struct {
		route uint8
		body  []byte
	}
	add := func(path, ct string, b []byte, err error) {
		if err != nil {
			panic(err)
		}
		seeds = append(seeds, struct {
			route uint8
			body  []byte
		}{routeOf(path, ct), b})
	}
	for _, at := range []time.Time{now, ahead, far, y1971} {
		td := ptrace.NewTraces()
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", "fuzz")
		sp := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		sp.SetName("GET /")
		sp.SetTraceID(pcommon.TraceID{1})
		sp.SetSpanID(pcommon.SpanID{1})
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(at.Add(-time.Millisecond)))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(at))
		req := ptraceotlp.NewExportRequestFromTraces(td)
		b, err := req.MarshalProto()
		add("/v1/traces", "application/x-protobuf", b, err)
		b, err = req.MarshalJSON()
		add("/v1/traces", "application/json", b, err)

		ld := plog.NewLogs()
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("service.name", "fuzz")
		lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(at))
		lr.Body().SetStr("level=error boom")
		lreq := plogotlp.NewExportRequestFromLogs(ld)
		b, err = lreq.MarshalProto()
		add("/v1/logs", "application/x-protobuf", b, err)
		b, err = lreq.MarshalJSON()
		add("/v1/logs", "application/json", b, err)

		add("/loki/api/v1/push", "application/json",
			[]byte(fmt.Sprintf(`{"streams":[{"stream":{"app":"fuzz"},"values":[["%d","line"]]}]}`, at.UnixNano())), nil)
		b, err = (&push.PushRequest{Streams: []push.Stream{{Labels: `{app="fuzz", version="v\xff"}`, Entries: []push.Entry{{Timestamp: at, Line: "x"}}}}}).Marshal()
		add("/loki/api/v1/push", "application/x-protobuf", b, err)

		ms := at.UnixMilli()
		b, err = (&prompb.WriteRequest{Timeseries: []prompb.TimeSeries{{
			Labels:    []prompb.Label{{Name: "__name__", Value: "fuzz_total"}},
			Samples:   []prompb.Sample{{Timestamp: ms, Value: 1}},
			Exemplars: []prompb.Exemplar{{Labels: []prompb.Label{{Name: "trace_id", Value: "1"}}, Value: 1, Timestamp: ms}},
		}}}).Marshal()
		add("/api/v1/write", "application/x-protobuf", b, err)
		b, err = (&writev2.Request{Symbols: []string{"", "__name__", "fuzz_total", "trace_id", "1"}, Timeseries: []writev2.TimeSeries{{
			LabelsRefs: []uint32{1, 2},
			Samples:    []writev2.Sample{{Value: 1, Timestamp: ms}},
			Exemplars:  []writev2.Exemplar{{LabelsRefs: []uint32{3, 4}, Value: 1, Timestamp: ms}},
		}}}).Marshal()
		add("/api/v1/write", "application/x-protobuf;proto=io.prometheus.write.v2.Request", b, err)

		md := pmetric.NewMetrics()
		m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
		m.SetName("fuzz.depth")
		dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
		dp.SetTimestamp(pcommon.NewTimestampFromTime(at))
		dp.SetDoubleValue(1)
		ex := dp.Exemplars().AppendEmpty()
		ex.SetTimestamp(pcommon.NewTimestampFromTime(ahead))
		ex.SetDoubleValue(1)
		ex.SetTraceID(pcommon.TraceID{2})
		mreq := pmetricotlp.NewExportRequestFromMetrics(md)
		b, err = mreq.MarshalProto()
		add("/v1/metrics", "application/x-protobuf", b, err)
		b, err = mreq.MarshalJSON()
		add("/v1/metrics", "application/json", b, err)
	}
	return seeds
}

// FuzzIngestStore feeds fuzzed bodies through the real receivers (OTLP
// traces, logs and metrics as protobuf and JSON, Loki push, remote-write 1.0
// and 2.0) into one real store, and checks after each what the time window
// is for: the store's newest sample and exemplar are never further ahead
// than now + max_future, and a well-behaved sender's current sample is
// always accepted. The seeds (the attacks it guards against) run with
// every go test.
//
//	go test ./collector -run '^$' -fuzz FuzzIngestStore -fuzztime 2m
func FuzzIngestStore(f *testing.F) {
	for _, s := range ingestSeeds(time.Now()) {
		f.Add(s.route, s.body)
	}
	st := storetest.Open(f)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := collector.DefaultConfig()
	cfg.MaxBodyBytes = 1 << 20
	sm, err := collector.NewSpanMetrics(logger, st, cfg)
	if err != nil {
		f.Fatal(err)
	}
	lg, err := logs.New(logger, st, logs.DefaultConfig())
	if err != nil {
		f.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/traces", collector.NewOTLPTracesHandler(logger, sm, cfg))
	mux.Handle("/v1/metrics", collector.NewOTLPMetricsHandler(logger, prometheus.NewRegistry(), st, cfg))
	mux.Handle("/api/v1/write", collector.NewRemoteWriteHandler(logger, prometheus.NewRegistry(), st, cfg))
	mux.Handle("/v1/logs", logs.NewOTLPLogsHandler(logger, lg, logs.DefaultConfig()))
	mux.Handle("/loki/api/v1/push", logs.NewLokiPushHandler(logger, lg, logs.DefaultConfig()))
	maxFuture := store.DefaultConfig().MaxFuture

	f.Fuzz(func(t *testing.T, routeIdx uint8, body []byte) {
		r := routes[int(routeIdx)%len(routes)]
		rec := serve(mux, r, body)
		if rec.Code/100 == 5 {
			t.Errorf("%s %s: %d %s", r.path, r.contentType, rec.Code, rec.Body)
		}
		bound := time.Now().Add(maxFuture).UnixMilli()
		if _, maxt, ok := st.StoredRange(); ok && maxt > bound {
			t.Fatalf("%s %s: the store holds a sample at %s, more than %s ahead", r.path, r.contentType, time.UnixMilli(maxt).UTC(), maxFuture)
		}
		eq, err := st.ExemplarQuerier(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		ex, err := eq.Select(bound+1, math.MaxInt64, []*labels.Matcher{labels.MustNewMatcher(labels.MatchRegexp, "__name__", ".+")})
		if err != nil {
			t.Fatal(err)
		}
		if len(ex) > 0 {
			t.Fatalf("%s %s: exemplars more than %s ahead: %v", r.path, r.contentType, maxFuture, ex)
		}
		probe, err := (&prompb.WriteRequest{Timeseries: []prompb.TimeSeries{{
			Labels:  []prompb.Label{{Name: "__name__", Value: "augur_fuzz_probe"}, {Name: "sender", Value: "well_behaved"}},
			Samples: []prompb.Sample{{Timestamp: time.Now().UnixMilli(), Value: 1}},
		}}}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if rec := serve(mux, routes[routeOf("/api/v1/write", "application/x-protobuf")], probe); rec.Code != http.StatusNoContent {
			t.Fatalf("after %s %s: a current sample was refused: %d %s", r.path, r.contentType, rec.Code, rec.Body)
		}
	})
}

func serve(h http.Handler, r route, body []byte) *httptest.ResponseRecorder {
	if r.snappy {
		body = snappy.Encode(nil, body)
	}
	req := httptest.NewRequest(http.MethodPost, r.path, bytes.NewReader(body))
	req.Header.Set("Content-Type", r.contentType)
	if r.snappy && r.path == "/api/v1/write" {
		req.Header.Set("Content-Encoding", "snappy")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
