package jaeger

import (
	"strings"
	"testing"
	"time"

	model "github.com/jaegertracing/jaeger-idl/model/v1"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func str(k, v string) model.KeyValue { return model.String(k, v) }

func span(id uint64, tags ...model.KeyValue) *model.Span {
	return &model.Span{
		TraceID:       model.NewTraceID(0xa1, 0xb2),
		SpanID:        model.SpanID(id),
		OperationName: "GET /cart",
		StartTime:     t0,
		Duration:      25 * time.Millisecond,
		Tags:          tags,
	}
}

func shop(tags ...model.KeyValue) *model.Process {
	return &model.Process{ServiceName: "shop", Tags: tags}
}

// only returns the single span of td with its resource.
func only(t *testing.T, td ptrace.Traces) (pcommon.Resource, ptrace.Span) {
	t.Helper()
	if td.SpanCount() != 1 {
		t.Fatalf("got %d spans, want 1", td.SpanCount())
	}
	rs := td.ResourceSpans().At(0)
	return rs.Resource(), rs.ScopeSpans().At(0).Spans().At(0)
}

func TestToTracesSpan(t *testing.T) {
	cases := []struct {
		name       string
		tags       []model.KeyValue
		wantKind   ptrace.SpanKind
		wantStatus ptrace.StatusCode
		wantMsg    string
		wantAttrs  map[string]any // attributes that must be present
		gone       []string       // tags that must not be attributes
	}{
		{name: "plain", wantKind: ptrace.SpanKindUnspecified, wantStatus: ptrace.StatusCodeUnset},
		{name: "server kind", tags: []model.KeyValue{str("span.kind", "server")}, wantKind: ptrace.SpanKindServer, gone: []string{"span.kind"}},
		{name: "client kind", tags: []model.KeyValue{str("span.kind", "client")}, wantKind: ptrace.SpanKindClient},
		{name: "producer kind", tags: []model.KeyValue{str("span.kind", "producer")}, wantKind: ptrace.SpanKindProducer},
		{name: "consumer kind", tags: []model.KeyValue{str("span.kind", "consumer")}, wantKind: ptrace.SpanKindConsumer},
		{name: "internal kind", tags: []model.KeyValue{str("span.kind", "internal")}, wantKind: ptrace.SpanKindInternal},
		{name: "unknown kind kept", tags: []model.KeyValue{str("span.kind", "batch")}, wantAttrs: map[string]any{"span.kind": "batch"}},
		{name: "error=true", tags: []model.KeyValue{model.Bool("error", true)}, wantStatus: ptrace.StatusCodeError, gone: []string{"error"}},
		{name: "error=\"true\"", tags: []model.KeyValue{str("error", "true")}, wantStatus: ptrace.StatusCodeError},
		{name: "error=false", tags: []model.KeyValue{model.Bool("error", false)}, wantStatus: ptrace.StatusCodeUnset},
		{name: "otel status error", tags: []model.KeyValue{str("otel.status_code", "ERROR"), str("otel.status_description", "db down")},
			wantStatus: ptrace.StatusCodeError, wantMsg: "db down", gone: []string{"otel.status_code", "otel.status_description"}},
		{name: "otel status ok beats error tag", tags: []model.KeyValue{model.Bool("error", true), str("otel.status_code", "OK")}, wantStatus: ptrace.StatusCodeOk},
		{name: "http 503 server", tags: []model.KeyValue{str("span.kind", "server"), model.Int64("http.status_code", 503)},
			wantKind: ptrace.SpanKindServer, wantStatus: ptrace.StatusCodeError, wantAttrs: map[string]any{"http.status_code": int64(503)}},
		{name: "http 404 server", tags: []model.KeyValue{str("span.kind", "server"), model.Int64("http.status_code", 404)},
			wantKind: ptrace.SpanKindServer, wantStatus: ptrace.StatusCodeUnset},
		{name: "http 404 client", tags: []model.KeyValue{str("span.kind", "client"), str("http.status_code", "404")},
			wantKind: ptrace.SpanKindClient, wantStatus: ptrace.StatusCodeError, wantAttrs: map[string]any{"http.status_code": "404"}},
		{name: "typed attributes", tags: []model.KeyValue{str("db.system", "postgres"), model.Int64("retries", 2), model.Float64("ratio", 0.5),
			model.Bool("cached", true), model.Binary("blob", []byte{1, 2})},
			wantAttrs: map[string]any{"db.system": "postgres", "retries": int64(2), "ratio": 0.5, "cached": true, "blob": []byte{1, 2}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			td, rej := ToTraces(&model.Batch{Process: shop(), Spans: []*model.Span{span(7, tc.tags...)}})
			if rej.Count != 0 {
				t.Fatalf("rejected: %s", rej)
			}
			_, sp := only(t, td)
			if sp.Kind() != tc.wantKind {
				t.Errorf("kind = %s, want %s", sp.Kind(), tc.wantKind)
			}
			if sp.Status().Code() != tc.wantStatus || sp.Status().Message() != tc.wantMsg {
				t.Errorf("status = %s %q, want %s %q", sp.Status().Code(), sp.Status().Message(), tc.wantStatus, tc.wantMsg)
			}
			for k, want := range tc.wantAttrs {
				v, ok := sp.Attributes().Get(k)
				if !ok {
					t.Errorf("attribute %s missing", k)
					continue
				}
				if got := v.AsRaw(); !equal(got, want) {
					t.Errorf("attribute %s = %#v, want %#v", k, got, want)
				}
			}
			for _, k := range tc.gone {
				if _, ok := sp.Attributes().Get(k); ok {
					t.Errorf("tag %s kept as attribute", k)
				}
			}
		})
	}
}

func equal(a, b any) bool {
	if ab, ok := a.([]byte); ok {
		bb, ok := b.([]byte)
		return ok && string(ab) == string(bb)
	}
	return a == b
}

func TestToTracesIDsTimesAndReferences(t *testing.T) {
	sp := span(0x1122334455667788)
	sp.TraceID = model.NewTraceID(0x0102030405060708, 0x090a0b0c0d0e0f10)
	other := model.NewTraceID(0, 0x42)
	sp.References = []model.SpanRef{
		{TraceID: other, SpanID: 5, RefType: model.ChildOf},          // other trace: a link
		{TraceID: sp.TraceID, SpanID: 9, RefType: model.FollowsFrom}, // a link, since a CHILD_OF follows
		{TraceID: sp.TraceID, SpanID: 3, RefType: model.ChildOf},     // the parent
	}
	sp.Tags = []model.KeyValue{str("w3c.tracestate", "vendor=1"), str("otel.scope.name", "net/http"), str("otel.scope.version", "1.2")}
	sp.Logs = []model.Log{{Timestamp: t0.Add(time.Millisecond), Fields: []model.KeyValue{str("event", "retry"), model.Int64("attempt", 2)}}}
	td, rej := ToTraces(&model.Batch{Process: shop(), Spans: []*model.Span{sp}})
	if rej.Count != 0 {
		t.Fatal(rej)
	}
	_, got := only(t, td)
	if want := (pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}); got.TraceID() != want {
		t.Errorf("trace ID = %s, want %s", got.TraceID(), want)
	}
	if want := (pcommon.SpanID{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88}); got.SpanID() != want {
		t.Errorf("span ID = %s, want %s", got.SpanID(), want)
	}
	if want := (pcommon.SpanID{7: 3}); got.ParentSpanID() != want {
		t.Errorf("parent = %s, want %s", got.ParentSpanID(), want)
	}
	if got.StartTimestamp().AsTime() != t0 || got.EndTimestamp().AsTime() != t0.Add(25*time.Millisecond) {
		t.Errorf("times = %s..%s", got.StartTimestamp(), got.EndTimestamp())
	}
	if got.Links().Len() != 2 {
		t.Fatalf("links = %d, want 2", got.Links().Len())
	}
	l0, l1 := got.Links().At(0), got.Links().At(1)
	if l0.TraceID() != (pcommon.TraceID{15: 0x42}) || l0.SpanID() != (pcommon.SpanID{7: 5}) {
		t.Errorf("link 0 = %s/%s", l0.TraceID(), l0.SpanID())
	}
	if v, _ := l1.Attributes().Get("opentracing.ref_type"); v.Str() != "follows_from" {
		t.Errorf("link 1 ref type = %q", v.Str())
	}
	if got.TraceState().AsRaw() != "vendor=1" {
		t.Errorf("trace state = %q", got.TraceState().AsRaw())
	}
	scope := td.ResourceSpans().At(0).ScopeSpans().At(0).Scope()
	if scope.Name() != "net/http" || scope.Version() != "1.2" {
		t.Errorf("scope = %s %s", scope.Name(), scope.Version())
	}
	if got.Attributes().Len() != 0 {
		t.Errorf("attributes = %v, want none", got.Attributes().AsRaw())
	}
	if got.Events().Len() != 1 || got.Events().At(0).Name() != "retry" || got.Events().At(0).Timestamp().AsTime() != t0.Add(time.Millisecond) {
		t.Fatalf("events = %v", got.Events())
	}
	if v, _ := got.Events().At(0).Attributes().Get("attempt"); v.Int() != 2 {
		t.Errorf("event attribute attempt = %v", v.AsRaw())
	}
}

func TestToTracesResource(t *testing.T) {
	cases := []struct {
		name  string
		proc  *model.Process
		attrs map[string]string
	}{
		{"service.version tag", shop(str("service.version", "v2"), str("version", "old")), map[string]string{"service.name": "shop", "service.version": "v2", "version": "old"}},
		{"version tag", shop(str("version", "v3")), map[string]string{"service.version": "v3", "version": "v3"}},
		{"hostname", shop(str("hostname", "web-1"), str("ip", "10.0.0.1")), map[string]string{"host.name": "web-1", "ip": "10.0.0.1"}},
		{"no service name", &model.Process{}, map[string]string{"service.name": "unknown_service"}},
		{"no process", nil, map[string]string{"service.name": "unknown_service"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			td, _ := ToTraces(&model.Batch{Process: tc.proc, Spans: []*model.Span{span(1)}})
			res, _ := only(t, td)
			for k, want := range tc.attrs {
				if v, ok := res.Attributes().Get(k); !ok || v.AsString() != want {
					t.Errorf("%s = %q (present %v), want %q", k, v.AsString(), ok, want)
				}
			}
		})
	}
}

// TestToTracesProcesses: spans with their own process get their own
// resource; spans sharing one are grouped.
func TestToTracesProcesses(t *testing.T) {
	canary := shop(str("service.version", "v2"))
	a, b, c := span(1), span(2), span(3)
	b.Process = canary
	c.Process = canary
	td, _ := ToTraces(&model.Batch{Process: shop(str("service.version", "v1")), Spans: []*model.Span{a, b, c}})
	if td.ResourceSpans().Len() != 2 {
		t.Fatalf("resources = %d, want 2", td.ResourceSpans().Len())
	}
	for i, want := range map[int]struct {
		version string
		spans   int
	}{0: {"v1", 1}, 1: {"v2", 2}} {
		rs := td.ResourceSpans().At(i)
		v, _ := rs.Resource().Attributes().Get("service.version")
		if v.Str() != want.version || rs.ScopeSpans().At(0).Spans().Len() != want.spans {
			t.Errorf("resource %d: version %q with %d spans, want %q with %d", i, v.Str(), rs.ScopeSpans().At(0).Spans().Len(), want.version, want.spans)
		}
	}
}

func TestToTracesRejects(t *testing.T) {
	zeroTrace := span(1)
	zeroTrace.TraceID = model.TraceID{}
	zeroSpan := span(0)
	negative := span(2)
	negative.Duration = -time.Second
	noStart := span(3)
	noStart.StartTime = time.Time{}
	overflow := span(4)
	overflow.StartTime = time.Unix(0, 1<<62)
	overflow.Duration = 1 << 62
	short := span(5)
	short.TraceID = model.NewTraceID(0, 0x77) // a 64-bit trace ID is valid
	ok := span(6)
	td, rej := ToTraces(&model.Batch{Process: shop(), Spans: []*model.Span{zeroTrace, zeroSpan, negative, noStart, overflow, nil, short, ok}})
	if td.SpanCount() != 2 || rej.Count != 6 {
		t.Fatalf("kept %d, rejected %d (%s); want 2 and 6", td.SpanCount(), rej.Count, rej)
	}
	for _, want := range []string{"6 spans rejected", "zero trace ID", "zero span ID", "negative duration"} {
		if !strings.Contains(rej.String(), want) {
			t.Errorf("reason %q lacks %q", rej, want)
		}
	}
	if got := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).TraceID(); got != (pcommon.TraceID{15: 0x77}) {
		t.Errorf("64-bit trace ID = %s", got)
	}
	if td2, rej2 := ToTraces(nil); td2.SpanCount() != 0 || rej2.Count != 0 {
		t.Errorf("nil batch: %d spans, %d rejected", td2.SpanCount(), rej2.Count)
	}
}
