package collector

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// TestSpanBuffer: per service and version the n slowest spans and the n
// latest failed ones are kept, with IDs, status and bounded attributes.
func TestSpanBuffer(t *testing.T) {
	cfg := testConfig()
	cfg.SpanMetrics.BufferSpans = 3
	sm := newSpanMetrics(t, &fakeAppendable{}, cfg)
	var v1 []spanSpec
	for i := 1; i <= 10; i++ {
		s := spanSpec{name: fmt.Sprintf("op%d", i), kind: ptrace.SpanKindServer, end: base.Add(time.Duration(i) * time.Second), dur: time.Duration(i*7%10+1) * time.Millisecond,
			attrs: map[string]any{"http.route": "/x", "i": i}}
		if i%2 == 0 {
			s.status = ptrace.StatusCodeError
		}
		v1 = append(v1, s)
	}
	many := map[string]any{}
	for i := 0; i < 40; i++ {
		many[fmt.Sprintf("k%02d", i)] = strings.Repeat("v", 300)
	}
	v2 := []spanSpec{{name: "big", kind: ptrace.SpanKindClient, end: base.Add(time.Second), dur: time.Second, attrs: many}}
	// Two batches: the buffer spans batches.
	for _, td := range []ptrace.Traces{
		buildTraces(resourceSpans{attrs: checkout("v1"), spans: v1[:5]}),
		buildTraces(resourceSpans{attrs: checkout("v1"), spans: v1[5:]}, resourceSpans{attrs: checkout("v2"), spans: v2}),
	} {
		if _, err := sm.Consume(context.Background(), td); err != nil {
			t.Fatal(err)
		}
	}
	// Durations i*7%10+1 ms: i=3 → 2, i=7 → 10, i=4 → 9, i=1 → 8, ...
	slow := sm.SlowSpans("checkout", "v1")
	var names []string
	for _, s := range slow {
		names = append(names, s.Name)
	}
	if strings.Join(names, ",") != "op7,op4,op1" {
		t.Errorf("slowest = %v, want op7,op4,op1", names)
	}
	if s := slow[0]; s.DurationSeconds != 0.01 || s.Status != "unset" || s.Error || s.Attributes["http.route"] != "/x" || len(s.TraceID) != 32 || len(s.SpanID) != 16 || !s.End.Equal(base.Add(7*time.Second)) {
		t.Errorf("slowest span %+v", s)
	}
	failed := sm.FailedSpans("checkout", "v1")
	names = names[:0]
	for _, s := range failed {
		names = append(names, s.Name)
		if !s.Error || s.Status != "error" {
			t.Errorf("failed span %+v", s)
		}
	}
	if strings.Join(names, ",") != "op10,op8,op6" {
		t.Errorf("failed = %v, want newest first op10,op8,op6", names)
	}
	big := sm.SlowSpans("checkout", "v2")
	if len(big) != 1 || len(big[0].Attributes) != maxBufferedAttributes || big[0].AttributesDropped != 8 || len(big[0].Attributes["k00"]) > maxBufferedValueLen+3 {
		t.Errorf("bounded attributes: %d kept, %d dropped", len(big[0].Attributes), big[0].AttributesDropped)
	}
	if got := sm.SlowSpans("checkout", "v9"); got != nil {
		t.Errorf("unknown version: %v", got)
	}

	srv := httptest.NewServer(NewSpansHandler(sm))
	defer srv.Close()
	for _, c := range []struct {
		query  string
		status int
		first  string
		n      int
	}{
		{"?service=checkout&version=v1", 200, "op7", 3},
		{"?service=checkout&version=v1&kind=failed", 200, "op10", 3},
		{"?service=checkout&version=v3&kind=slow", 200, "", 0},
		{"?version=v1", 400, "", 0},
		{"?service=checkout&kind=fast", 400, "", 0},
	} {
		resp, err := http.Get(srv.URL + c.query)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d", c.query, resp.StatusCode, c.status)
		}
		if c.status == 200 {
			var out SpansResponse
			if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
				t.Fatal(err)
			}
			if len(out.Spans) != c.n || (c.n > 0 && out.Spans[0].Name != c.first) || out.Spans == nil {
				t.Errorf("%s: %+v", c.query, out)
			}
		}
		resp.Body.Close()
	}
}

// TestSpanBufferOff: buffer_spans 0 keeps nothing.
func TestSpanBufferOff(t *testing.T) {
	cfg := testConfig()
	cfg.SpanMetrics.BufferSpans = 0
	sm := newSpanMetrics(t, &fakeAppendable{}, cfg)
	if _, err := sm.Consume(context.Background(), nSpans("a", 3)); err != nil {
		t.Fatal(err)
	}
	if got := sm.SlowSpans("checkout", "v1"); got != nil {
		t.Errorf("kept %v", got)
	}
}

// TestResourceAttributeWildcard: "k8s.*" makes every k8s.* resource
// attribute a label on span series, named as the OTLP translation names
// them; on OTLP metrics it stands for a fixed list.
func TestResourceAttributeWildcard(t *testing.T) {
	fa := &fakeAppendable{}
	cfg := testConfig()
	cfg.ResourceAttributes = []string{"service.name", "service.version", "k8s.*"}
	sm := newSpanMetrics(t, fa, cfg)
	attrs := checkout("v1")
	attrs["k8s.pod.name"] = "checkout-7f9"
	attrs["k8s.namespace.name"] = "shop"
	attrs["k8s.custom.thing"] = "x"
	attrs["host.name"] = "node-1"
	td := buildTraces(resourceSpans{attrs: attrs, spans: []spanSpec{{name: "GET /", kind: ptrace.SpanKindServer, end: base.Add(time.Second), dur: time.Millisecond}}})
	if _, err := sm.Consume(context.Background(), td); err != nil {
		t.Fatal(err)
	}
	want := redLabels(MetricSpanRequests, "v1", "GET /", "server", "k8s_pod_name", "checkout-7f9", "k8s_namespace_name", "shop", "k8s_custom_thing", "x")
	if got := fa.samples(want); len(got) == 0 {
		t.Errorf("no series %s; have %v", want, fa.seriesKeys())
	}
	p := promotedResourceAttributes([]string{"service.name", "k8s.*", "cloud.*", "service.name"})
	if p[0] != "service.name" || len(p) != 1+len(k8sResourceAttributes) {
		t.Errorf("promoted %v", p)
	}
	for _, a := range p {
		if strings.Contains(a, "*") {
			t.Errorf("wildcard %q handed to the OTLP translation", a)
		}
	}
}
