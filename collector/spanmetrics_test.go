package collector

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

func TestSpanMetricsErrorClassification(t *testing.T) {
	server, client := ptrace.SpanKindServer, ptrace.SpanKindClient
	tests := []struct {
		name    string
		kind    ptrace.SpanKind
		status  ptrace.StatusCode
		attrs   map[string]any
		wantErr bool
	}{
		{name: "status error", kind: ptrace.SpanKindInternal, status: ptrace.StatusCodeError, wantErr: true},
		{name: "status ok", kind: server, status: ptrace.StatusCodeOk},
		{name: "status unset no attributes", kind: server},
		{name: "server 503 int", kind: server, attrs: map[string]any{"http.response.status_code": 503}, wantErr: true},
		{name: "server 500 string legacy attribute", kind: server, attrs: map[string]any{"http.status_code": "500"}, wantErr: true},
		{name: "server 502 double", kind: server, attrs: map[string]any{"http.response.status_code": 502.0}, wantErr: true},
		{name: "server 404 is not an error", kind: server, attrs: map[string]any{"http.response.status_code": 404}},
		{name: "server 499 string is not an error", kind: server, attrs: map[string]any{"http.status_code": "499"}},
		{name: "server 200", kind: server, attrs: map[string]any{"http.response.status_code": 200}},
		{name: "client 404 int", kind: client, attrs: map[string]any{"http.response.status_code": 404}, wantErr: true},
		{name: "client 429 string", kind: client, attrs: map[string]any{"http.status_code": "429"}, wantErr: true},
		{name: "client 400 double", kind: client, attrs: map[string]any{"http.response.status_code": 400.0}, wantErr: true},
		{name: "client 399", kind: client, attrs: map[string]any{"http.response.status_code": 399}},
		{name: "client 503", kind: client, attrs: map[string]any{"http.response.status_code": 503}, wantErr: true},
		{name: "internal 404 is not an error", kind: ptrace.SpanKindInternal, attrs: map[string]any{"http.response.status_code": 404}},
		{name: "grpc OK int", kind: server, attrs: map[string]any{"rpc.grpc.status_code": 0}},
		{name: "grpc UNAVAILABLE int", kind: server, attrs: map[string]any{"rpc.grpc.status_code": 14}, wantErr: true},
		{name: "grpc UNKNOWN string", kind: client, attrs: map[string]any{"rpc.grpc.status_code": "2"}, wantErr: true},
		{name: "grpc NOT_FOUND double", kind: server, attrs: map[string]any{"rpc.grpc.status_code": 5.0}, wantErr: true},
		{name: "grpc OK string", kind: server, attrs: map[string]any{"rpc.grpc.status_code": "0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app := &fakeAppendable{}
			sm := newSpanMetrics(t, app, testConfig())
			td := buildTraces(resourceSpans{attrs: checkout("v1"), spans: []spanSpec{
				{name: "op", kind: tc.kind, end: base.Add(time.Second), dur: 10 * time.Millisecond, status: tc.status, attrs: tc.attrs},
			}})
			res, err := sm.Consume(context.Background(), td)
			if err != nil || res.Accepted != 1 || res.Rejected != 0 {
				t.Fatalf("Consume = %+v, %v; want 1 accepted", res, err)
			}
			kind := spanKind(tc.kind)
			if got := last(t, app.samples(redLabels(MetricSpanRequests, "v1", "op", kind)), "requests"); got != 1 {
				t.Errorf("requests = %v, want 1", got)
			}
			want := 0.0
			if tc.wantErr {
				want = 1
			}
			if got := last(t, app.samples(redLabels(MetricSpanErrors, "v1", "op", kind)), "errors"); got != want {
				t.Errorf("errors = %v, want %v", got, want)
			}
		})
	}
}

func TestSpanMetricsCountsPerSeries(t *testing.T) {
	app := &fakeAppendable{}
	sm := newSpanMetrics(t, app, testConfig())
	end := base.Add(2 * time.Second)
	var v1, v2 []spanSpec
	// v1: 7 GET /cart server spans, 2 of them 5xx; 3 client spans, 1 of them 404.
	for i := 0; i < 7; i++ {
		code := 200
		if i < 2 {
			code = 500
		}
		v1 = append(v1, spanSpec{name: "GET /cart", kind: ptrace.SpanKindServer, end: end, dur: time.Millisecond, attrs: map[string]any{"http.response.status_code": code}})
	}
	for i := 0; i < 3; i++ {
		code := 200
		if i == 0 {
			code = 404
		}
		v1 = append(v1, spanSpec{name: "GET /cart", kind: ptrace.SpanKindClient, end: end, dur: time.Millisecond, attrs: map[string]any{"http.response.status_code": code}})
	}
	// v2: 4 server spans, 3 with an error status.
	for i := 0; i < 4; i++ {
		st := ptrace.StatusCodeOk
		if i > 0 {
			st = ptrace.StatusCodeError
		}
		v2 = append(v2, spanSpec{name: "GET /cart", kind: ptrace.SpanKindServer, end: end, dur: time.Millisecond, status: st})
	}
	res, err := sm.Consume(context.Background(), buildTraces(
		resourceSpans{attrs: checkout("v1"), spans: v1},
		resourceSpans{attrs: checkout("v2"), spans: v2},
	))
	if err != nil || res.Accepted != 14 || res.Rejected != 0 {
		t.Fatalf("Consume = %+v, %v; want 14 accepted", res, err)
	}
	for _, tc := range []struct {
		version, kind      string
		requests, failures float64
	}{
		{"v1", "server", 7, 2},
		{"v1", "client", 3, 1},
		{"v2", "server", 4, 3},
	} {
		if got := last(t, app.samples(redLabels(MetricSpanRequests, tc.version, "GET /cart", tc.kind)), "requests"); got != tc.requests {
			t.Errorf("%s %s requests = %v, want %v", tc.version, tc.kind, got, tc.requests)
		}
		if got := last(t, app.samples(redLabels(MetricSpanErrors, tc.version, "GET /cart", tc.kind)), "errors"); got != tc.failures {
			t.Errorf("%s %s errors = %v, want %v", tc.version, tc.kind, got, tc.failures)
		}
	}
	if app.commits != 1 {
		t.Errorf("commits = %d, want 1 per batch", app.commits)
	}
}

func TestSpanMetricsLabels(t *testing.T) {
	app := &fakeAppendable{}
	cfg := testConfig(0.1)
	cfg.ResourceAttributes = []string{"service.name", "service.version", "deployment.environment.name", "service.namespace"}
	sm := newSpanMetrics(t, app, cfg)
	td := buildTraces(resourceSpans{
		attrs: map[string]string{
			"service.name": "checkout", "service.version": "1.4.0", "deployment.environment.name": "prod",
			"service.namespace": "",                                       // empty: no label
			"host.name":         "node-7", "k8s.pod.name": "checkout-abc", // not configured: no label
		},
		spans: []spanSpec{{name: "work", end: base.Add(time.Second), dur: time.Millisecond}},
	})
	if _, err := sm.Consume(context.Background(), td); err != nil {
		t.Fatal(err)
	}
	series := func(name string, extra ...string) string {
		return labels.FromStrings(append([]string{model.MetricNameLabel, name,
			"service_name", "checkout", "service_version", "1.4.0", "deployment_environment_name", "prod",
			"span_name", "work", "span_kind", "unspecified"}, extra...)...).String()
	}
	want := []string{
		series("augur_span_duration_seconds_bucket", "le", "+Inf"),
		series("augur_span_duration_seconds_bucket", "le", "0.1"),
		series("augur_span_duration_seconds_count"),
		series("augur_span_duration_seconds_sum"),
		series("augur_span_errors_total"),
		series("augur_span_requests_total"),
	}
	if got := app.seriesKeys(); !reflect.DeepEqual(got, want) {
		t.Errorf("series:\n got %q\nwant %q", got, want)
	}
}

func TestSpanMetricsHistogram(t *testing.T) {
	app := &fakeAppendable{}
	bounds := []float64{0.01, 0.1, 1}
	sm := newSpanMetrics(t, app, testConfig(bounds...))
	end := base.Add(3 * time.Second)
	durs := []time.Duration{5 * time.Millisecond, 10 * time.Millisecond /* on a bound: le is inclusive */, 50 * time.Millisecond, 300 * time.Millisecond, 2 * time.Second, 900 * time.Millisecond}
	var spans []spanSpec
	for _, d := range durs {
		spans = append(spans, spanSpec{name: "op", kind: ptrace.SpanKindServer, end: end, dur: d})
	}
	if _, err := sm.Consume(context.Background(), buildTraces(resourceSpans{attrs: checkout("v1"), spans: spans})); err != nil {
		t.Fatal(err)
	}
	bucket := func(le string) []sample {
		return app.samples(redLabels(MetricSpanDuration+"_bucket", "v1", "op", "server", "le", le))
	}
	wantCum := map[string]float64{"0.01": 2, "0.1": 3, "1": 5, "+Inf": 6}
	for le, want := range wantCum {
		if got := last(t, bucket(le), "bucket "+le); got != want {
			t.Errorf("bucket le=%s = %v, want %v", le, got, want)
		}
	}
	count := app.samples(redLabels(MetricSpanDuration+"_count", "v1", "op", "server"))
	if got := last(t, count, "count"); got != float64(len(durs)) {
		t.Errorf("count = %v, want %d", got, len(durs))
	}
	// Every written sample: buckets cumulative, +Inf equal to count.
	inf := bucket("+Inf")
	if len(inf) != len(count) {
		t.Fatalf("+Inf has %d samples, count %d", len(inf), len(count))
	}
	for i := range count {
		prev := -1.0
		for _, le := range []string{"0.01", "0.1", "1", "+Inf"} {
			v := bucket(le)[i].V
			if v < prev {
				t.Errorf("sample %d: bucket le=%s = %v < previous bucket %v", i, le, v, prev)
			}
			prev = v
		}
		if inf[i] != count[i] {
			t.Errorf("sample %d: +Inf %+v != count %+v", i, inf[i], count[i])
		}
	}
	wantSum := 0.0
	for _, d := range durs {
		wantSum += d.Seconds()
	}
	if got := last(t, app.samples(redLabels(MetricSpanDuration+"_sum", "v1", "op", "server")), "sum"); math.Abs(got-wantSum) > 1e-9 {
		t.Errorf("sum = %v, want %v", got, wantSum)
	}
}

func TestSpanMetricsTimeline(t *testing.T) {
	app := &fakeAppendable{}
	sm := newSpanMetrics(t, app, testConfig())
	span := func(end time.Duration, failed bool) spanSpec {
		s := spanSpec{name: "op", kind: ptrace.SpanKindServer, end: base.Add(end), dur: time.Millisecond}
		if failed {
			s.status = ptrace.StatusCodeError
		}
		return s
	}
	at := func(d time.Duration) int64 { return ms(base.Add(d)) }
	requests := redLabels(MetricSpanRequests, "v1", "op", "server")
	errs := redLabels(MetricSpanErrors, "v1", "op", "server")

	steps := []struct {
		name         string
		spans        []spanSpec
		wantRequests []sample // the full series after this batch
		wantErrors   []sample
	}{{
		// Out of order within the batch; three spans in step [0 s, 5 s) fold
		// into one sample at the last one's end, after a zero sample 1 ms
		// before the first span.
		name:         "first batch",
		spans:        []spanSpec{span(7*time.Second, false), span(4999*time.Millisecond, true), span(time.Second, false), span(2*time.Second, false)},
		wantRequests: []sample{{at(time.Second) - 1, 0}, {at(4999 * time.Millisecond), 3}, {at(7 * time.Second), 4}},
		wantErrors:   []sample{{at(time.Second) - 1, 0}, {at(4999 * time.Millisecond), 1}, {at(7 * time.Second), 1}},
	}, {
		name:         "second batch continues the cumulative values without a zero sample",
		spans:        []spanSpec{span(12*time.Second, true), span(11*time.Second, false)},
		wantRequests: []sample{{at(time.Second) - 1, 0}, {at(4999 * time.Millisecond), 3}, {at(7 * time.Second), 4}, {at(12 * time.Second), 6}},
		wantErrors:   []sample{{at(time.Second) - 1, 0}, {at(4999 * time.Millisecond), 1}, {at(7 * time.Second), 1}, {at(12 * time.Second), 2}},
	}, {
		name:         "late span is counted 1 ms after the last sample",
		spans:        []spanSpec{span(3*time.Second, true)},
		wantRequests: []sample{{at(time.Second) - 1, 0}, {at(4999 * time.Millisecond), 3}, {at(7 * time.Second), 4}, {at(12 * time.Second), 6}, {at(12*time.Second) + 1, 7}},
		wantErrors:   []sample{{at(time.Second) - 1, 0}, {at(4999 * time.Millisecond), 1}, {at(7 * time.Second), 1}, {at(12 * time.Second), 2}, {at(12*time.Second) + 1, 3}},
	}}
	for _, st := range steps {
		res, err := sm.Consume(context.Background(), buildTraces(resourceSpans{attrs: checkout("v1"), spans: st.spans}))
		if err != nil || res.Accepted != len(st.spans) || res.Rejected != 0 {
			t.Fatalf("%s: Consume = %+v, %v", st.name, res, err)
		}
		if got := app.samples(requests); !reflect.DeepEqual(got, st.wantRequests) {
			t.Errorf("%s: requests\n got %v\nwant %v", st.name, got, st.wantRequests)
		}
		if got := app.samples(errs); !reflect.DeepEqual(got, st.wantErrors) {
			t.Errorf("%s: errors\n got %v\nwant %v", st.name, got, st.wantErrors)
		}
	}
}

func TestSpanMetricsRejectsInvalidSpans(t *testing.T) {
	app := &fakeAppendable{}
	sm := newSpanMetrics(t, app, testConfig())
	end := base.Add(time.Second)
	td := buildTraces(resourceSpans{attrs: checkout("v1"), spans: []spanSpec{
		{name: "ok-1", kind: ptrace.SpanKindServer, end: end, dur: time.Millisecond},
		{name: "backwards", kind: ptrace.SpanKindServer, end: end, start: end.Add(time.Second)},
		{name: "ok-1", kind: ptrace.SpanKindServer, end: end, dur: time.Millisecond},
		{name: "unfinished", kind: ptrace.SpanKindServer, start: end, noEnd: true},
		{name: "ok-2", kind: ptrace.SpanKindServer, end: end, dur: time.Millisecond},
	}})
	res, err := sm.Consume(context.Background(), td)
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 3 || res.Rejected != 2 {
		t.Errorf("Consume = %+v, want 3 accepted, 2 rejected", res)
	}
	for _, want := range []string{"2 spans rejected", `"backwards"`, `"unfinished"`} {
		if !strings.Contains(res.Reason, want) {
			t.Errorf("reason %q does not mention %s", res.Reason, want)
		}
	}
	if got := last(t, app.samples(redLabels(MetricSpanRequests, "v1", "ok-1", "server")), "ok-1"); got != 2 {
		t.Errorf("ok-1 requests = %v, want 2", got)
	}
	if got := last(t, app.samples(redLabels(MetricSpanRequests, "v1", "ok-2", "server")), "ok-2"); got != 1 {
		t.Errorf("ok-2 requests = %v, want 1", got)
	}
	for _, k := range app.seriesKeys() {
		if strings.Contains(k, "backwards") || strings.Contains(k, "unfinished") {
			t.Errorf("rejected span produced series %s", k)
		}
	}
}

func TestSpanMetricsStorageErrors(t *testing.T) {
	t.Run("append error rejects only that series", func(t *testing.T) {
		refuse := true
		app := &fakeAppendable{appendFn: func(l labels.Labels, _ int64, _ float64) error {
			if refuse && l.Get("span_name") == "db" {
				return errors.New("disk full")
			}
			return nil
		}}
		sm := newSpanMetrics(t, app, testConfig())
		end := base.Add(time.Second)
		spans := []spanSpec{
			{name: "db", kind: ptrace.SpanKindClient, end: end, dur: time.Millisecond},
			{name: "db", kind: ptrace.SpanKindClient, end: end, dur: time.Millisecond},
			{name: "http", kind: ptrace.SpanKindServer, end: end, dur: time.Millisecond},
		}
		res, err := sm.Consume(context.Background(), buildTraces(resourceSpans{attrs: checkout("v1"), spans: spans}))
		if err != nil {
			t.Fatal(err)
		}
		if res.Accepted != 1 || res.Rejected != 2 || !strings.Contains(res.Reason, "disk full") {
			t.Errorf("Consume = %+v, want 1 accepted, 2 rejected because of disk full", res)
		}
		if got := app.samples(redLabels(MetricSpanRequests, "v1", "db", "client")); len(got) != 0 {
			t.Errorf("db series stored %v despite the append error", got)
		}
		if got := last(t, app.samples(redLabels(MetricSpanRequests, "v1", "http", "server")), "http"); got != 1 {
			t.Errorf("http requests = %v, want 1", got)
		}

		// The refused spans left no state behind: the next batch starts db
		// from zero.
		refuse = false
		later := base.Add(20 * time.Second)
		if _, err := sm.Consume(context.Background(), buildTraces(resourceSpans{attrs: checkout("v1"), spans: []spanSpec{
			{name: "db", kind: ptrace.SpanKindClient, end: later, dur: time.Millisecond},
		}})); err != nil {
			t.Fatal(err)
		}
		want := []sample{{ms(later) - 1, 0}, {ms(later), 1}}
		if got := app.samples(redLabels(MetricSpanRequests, "v1", "db", "client")); !reflect.DeepEqual(got, want) {
			t.Errorf("db requests = %v, want %v", got, want)
		}
	})
	t.Run("commit error rejects the batch and leaves no state", func(t *testing.T) {
		app := &fakeAppendable{}
		sm := newSpanMetrics(t, app, testConfig())
		span := func(name string, end time.Duration) spanSpec {
			return spanSpec{name: name, end: base.Add(end), dur: time.Millisecond}
		}
		consume := func(spans ...spanSpec) (ConsumeResult, error) {
			return sm.Consume(context.Background(), buildTraces(resourceSpans{attrs: checkout("v1"), spans: spans}))
		}
		if _, err := consume(span("a", time.Second)); err != nil {
			t.Fatal(err)
		}

		app.commitFn = func() error { return errors.New("wal broken") }
		failed := []spanSpec{span("a", 6*time.Second), span("b", 6*time.Second)}
		res, err := consume(failed...)
		if err == nil || !strings.Contains(err.Error(), "wal broken") {
			t.Errorf("err = %v, want the commit error", err)
		}
		if res.Accepted != 0 || res.Rejected != 2 {
			t.Errorf("Consume = %+v, want 2 rejected", res)
		}

		// When storage recovers, a client's retry of the rejected batch is
		// counted once: a continues from its last stored value, b starts
		// from zero.
		app.commitFn = nil
		if _, err := consume(failed...); err != nil {
			t.Fatal(err)
		}
		t1, t6 := ms(base.Add(time.Second)), ms(base.Add(6*time.Second))
		wantA := []sample{{t1 - 1, 0}, {t1, 1}, {t6, 2}}
		if got := app.samples(redLabels(MetricSpanRequests, "v1", "a", "unspecified")); !reflect.DeepEqual(got, wantA) {
			t.Errorf("a requests = %v, want %v", got, wantA)
		}
		wantB := []sample{{t6 - 1, 0}, {t6, 1}}
		if got := app.samples(redLabels(MetricSpanRequests, "v1", "b", "unspecified")); !reflect.DeepEqual(got, wantB) {
			t.Errorf("b requests = %v, want %v", got, wantB)
		}
	})
}

// TestSpanMetricsInstanceByDefault: with the default resource attributes a
// span series carries the instance (service_instance_id), so canary
// analysis can judge each pod of a cohort on its own.
func TestSpanMetricsInstanceByDefault(t *testing.T) {
	app := &fakeAppendable{}
	cfg := testConfig(0.1)
	cfg.ResourceAttributes = DefaultConfig().ResourceAttributes
	sm := newSpanMetrics(t, app, cfg)
	td := buildTraces(resourceSpans{
		attrs: map[string]string{"service.name": "checkout", "service.instance.id": "checkout-7d9f-x2k4"},
		spans: []spanSpec{{name: "work", end: base.Add(time.Second), dur: time.Millisecond}},
	})
	if _, err := sm.Consume(context.Background(), td); err != nil {
		t.Fatal(err)
	}
	keys := app.seriesKeys()
	if len(keys) == 0 {
		t.Fatal("no series")
	}
	for _, k := range keys {
		if !strings.Contains(k, `service_instance_id="checkout-7d9f-x2k4"`) {
			t.Errorf("series %s has no service_instance_id", k)
		}
	}
}
