package collector

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/augurhq/augur/collector/store/storetest"
)

// clientBuckets observes vs with Prometheus' Go client at schema and
// returns its positive bucket counts by index and its zero count.
func clientBuckets(t *testing.T, schema int32, vs []float64) (map[int32]uint64, uint64) {
	t.Helper()
	factor := math.Exp2(math.Exp2(float64(-schema))) * (1 + 1e-12)
	h := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:                         "x",
		NativeHistogramBucketFactor:  factor,
		NativeHistogramZeroThreshold: 1e-6,
	})
	for _, v := range vs {
		h.Observe(v)
	}
	var m dto.Metric
	if err := h.Write(&m); err != nil {
		t.Fatal(err)
	}
	if got := m.Histogram.GetSchema(); got != schema {
		t.Fatalf("client picked schema %d, want %d", got, schema)
	}
	out := map[int32]uint64{}
	var idx int32
	var count int64
	deltas := m.Histogram.GetPositiveDelta()
	d := 0
	for _, sp := range m.Histogram.GetPositiveSpan() {
		idx += sp.GetOffset()
		for j := uint32(0); j < sp.GetLength(); j++ {
			count += deltas[d]
			d++
			if count != 0 {
				out[idx] = uint64(count)
			}
			idx++
		}
	}
	return out, m.Histogram.GetZeroCount()
}

func ourBuckets(schema int32, vs []float64) (map[int32]uint64, *histogram.Histogram) {
	var n nativeCounts
	sum := 0.0
	for _, v := range vs {
		n.observe(v, schema, 1e-6)
		sum += v
	}
	h := n.histogram(schema, 1e-6, uint64(len(vs)), sum, histogram.NotCounterReset)
	out := map[int32]uint64{}
	it := h.PositiveBucketIterator()
	for it.Next() {
		if b := it.At(); b.Count != 0 {
			out[b.Index] = uint64(b.Count)
		}
	}
	return out, h
}

// TestNativeBucketsMatchClient: for every schema, values at random and
// exactly on bucket bounds land in the buckets Prometheus' Go client puts
// them in, and the encoded histogram is valid.
func TestNativeBucketsMatchClient(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var vs []float64
	for i := 0; i < 3000; i++ {
		vs = append(vs, math.Exp(rng.Float64()*math.Log(1e10))*1e-7) // 1e-7 .. 1e3
	}
	for k := -20; k <= 10; k++ {
		for _, b := range nativeBounds[MaxNativeSchema] {
			vs = append(vs, math.Ldexp(b, k)) // exact bounds of every schema
		}
	}
	vs = append(vs, 0, 1e-6, 1.0000001e-6, 1, 2, 0.5)
	for schema := int32(MinNativeSchema); schema <= MaxNativeSchema; schema++ {
		want, wantZero := clientBuckets(t, schema, vs)
		got, h := ourBuckets(schema, vs)
		if err := h.Validate(); err != nil {
			t.Fatalf("schema %d: invalid histogram: %v", schema, err)
		}
		if h.ZeroCount != wantZero {
			t.Errorf("schema %d: zero count %d, client %d", schema, h.ZeroCount, wantZero)
		}
		if len(got) != len(want) {
			t.Errorf("schema %d: %d buckets, client %d", schema, len(got), len(want))
		}
		for i, c := range want {
			if got[i] != c {
				t.Errorf("schema %d bucket %d: %d, client %d", schema, i, got[i], c)
			}
		}
	}
}

// TestNativeHistogramEncoding: spans keep gaps of up to two empty buckets
// inside, start a new span past that, and deltas are relative to the
// previous bucket in the span order.
func TestNativeHistogramEncoding(t *testing.T) {
	n := nativeCounts{offset: -2, counts: []uint64{3, 0, 1, 0, 0, 0, 2, 0, 0, 5}}
	h := n.histogram(0, 1e-6, 11, 1, histogram.NotCounterReset)
	wantSpans := []histogram.Span{{Offset: -2, Length: 3}, {Offset: 3, Length: 4}}
	wantDeltas := []int64{3, -3, 1, 1, -2, 0, 5}
	if len(h.PositiveSpans) != 2 || h.PositiveSpans[0] != wantSpans[0] || h.PositiveSpans[1] != wantSpans[1] {
		t.Errorf("spans = %v, want %v", h.PositiveSpans, wantSpans)
	}
	if len(h.PositiveBuckets) != len(wantDeltas) {
		t.Fatalf("deltas = %v, want %v", h.PositiveBuckets, wantDeltas)
	}
	for i := range wantDeltas {
		if h.PositiveBuckets[i] != wantDeltas[i] {
			t.Errorf("deltas = %v, want %v", h.PositiveBuckets, wantDeltas)
			break
		}
	}
	if err := h.Validate(); err != nil {
		t.Error(err)
	}
}

// TestSpanMetricsNativeHistogram: the native series is cumulative, starts
// with an empty histogram of unknown reset and continues with
// NotCounterReset; the exemplar is the slowest span of each step, on the
// native series and on _count.
func TestSpanMetricsNativeHistogram(t *testing.T) {
	fa := &fakeAppendable{}
	sm := newSpanMetrics(t, fa, testConfig(0.1, 1))
	var spans []spanSpec
	for i, d := range []time.Duration{10, 20, 300, 40} {
		spans = append(spans, spanSpec{name: "GET /", kind: ptrace.SpanKindServer, end: base.Add(time.Duration(i+1) * time.Second), dur: d * time.Millisecond})
	}
	spans = append(spans, spanSpec{name: "GET /", kind: ptrace.SpanKindServer, end: base.Add(7 * time.Second), dur: 50 * time.Millisecond})
	if _, err := sm.Consume(context.Background(), buildTraces(resourceSpans{attrs: checkout("v1"), spans: spans})); err != nil {
		t.Fatal(err)
	}
	native := redLabels(MetricSpanDuration, "v1", "GET /", "server")
	hs := fa.histSamples(native)
	if len(hs) != 3 { // zero sample, step [0,5s), step [5s,10s)
		t.Fatalf("native samples: %d, want 3", len(hs))
	}
	if h := hs[0].H; h.Count != 0 || h.CounterResetHint != histogram.UnknownCounterReset || h.Schema != 3 || h.ZeroThreshold != 1e-6 {
		t.Errorf("first sample %v (hint %d)", h, h.CounterResetHint)
	}
	h := hs[2].H
	if h.Count != 5 || math.Abs(h.Sum-0.42) > 1e-9 || h.CounterResetHint != histogram.NotCounterReset {
		t.Errorf("last sample count %d sum %v hint %d, want 5, 0.42, NotCounterReset", h.Count, h.Sum, h.CounterResetHint)
	}
	want, _ := ourBuckets(3, []float64{0.01, 0.02, 0.3, 0.04, 0.05})
	got := map[int32]uint64{}
	for it := h.PositiveBucketIterator(); it.Next(); {
		if b := it.At(); b.Count > 0 {
			got[b.Index] = uint64(b.Count)
		}
	}
	if len(got) != len(want) {
		t.Errorf("buckets %v, want %v", got, want)
	}
	// Classic _count is still written.
	if c := last(t, fa.samples(redLabels(MetricSpanDuration+"_count", "v1", "GET /", "server")), "_count"); c != 5 {
		t.Errorf("_count = %v", c)
	}
	for _, l := range []labels.Labels{native, redLabels(MetricSpanDuration+"_count", "v1", "GET /", "server")} {
		ex := fa.exemplarsOf(l)
		if len(ex) != 2 {
			t.Fatalf("%s: %d exemplars, want 2", l, len(ex))
		}
		// Step 1's slowest is the 300 ms span, the third (index 2).
		if ex[0].Value != 0.3 || ex[0].Labels.Get("trace_id") != "01000201000000000000000000000000" || ex[0].Labels.Get("span_id") != "0100020100000000" || ex[0].Ts != ms(base.Add(3*time.Second)) {
			t.Errorf("%s: exemplar %v", l, ex[0])
		}
		if ex[1].Value != 0.05 {
			t.Errorf("%s: exemplar %v", l, ex[1])
		}
	}
}

// TestSpanMetricsNativeOnly: with classic buckets off no _bucket, _sum or
// _count series are written.
func TestSpanMetricsNativeOnly(t *testing.T) {
	fa := &fakeAppendable{}
	cfg := testConfig()
	cfg.SpanMetrics.ClassicBuckets = false
	sm := newSpanMetrics(t, fa, cfg)
	if _, err := sm.Consume(context.Background(), nSpans("GET /", 3)); err != nil {
		t.Fatal(err)
	}
	for _, k := range fa.seriesKeys() {
		if containsAny(k, "_bucket", "_sum", "_count") {
			t.Errorf("classic series written: %s", k)
		}
	}
	if hs := fa.histSamples(redLabels(MetricSpanDuration, "v1", "GET /", "server")); len(hs) == 0 || hs[len(hs)-1].H.Count != 3 {
		t.Errorf("native samples %v", hs)
	}
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		for i := 0; i+len(sub) <= len(s); i++ {
			if s[i:i+len(sub)] == sub {
				return true
			}
		}
	}
	return false
}

// TestSpanMetricsNativeInTSDB: the real store takes the native histogram
// and its exemplars; PromQL quantiles on it agree with the classic ones.
func TestSpanMetricsNativeInTSDB(t *testing.T) {
	base := storeBase()
	st := storetest.Open(t)
	sm := newSpanMetrics(t, st, testConfig())
	var spans []spanSpec
	for i := 1; i <= 200; i++ {
		spans = append(spans, spanSpec{name: "GET /", kind: ptrace.SpanKindServer, end: base.Add(time.Duration(i) * 100 * time.Millisecond), dur: time.Duration(i) * time.Millisecond})
	}
	if _, err := sm.Consume(context.Background(), buildTraces(resourceSpans{attrs: checkout("v1"), spans: spans})); err != nil {
		t.Fatal(err)
	}
	at := base.Add(20 * time.Second)
	v, _, err := st.Instant(context.Background(), `histogram_quantile(0.5, augur_span_duration_seconds)`, at)
	if err != nil {
		t.Fatal(err)
	}
	vec := v.(promql.Vector)
	if len(vec) != 1 || math.Abs(vec[0].F-0.1) > 0.1*0.1 {
		t.Errorf("native median = %v, want 0.1 within 10%%", vec)
	}
	v, _, err = st.Instant(context.Background(), `histogram_count(augur_span_duration_seconds)`, at)
	if err != nil {
		t.Fatal(err)
	}
	if vec := v.(promql.Vector); len(vec) != 1 || vec[0].F != 200 {
		t.Errorf("histogram_count = %v, want 200", vec)
	}
	eq, err := st.ExemplarQuerier(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m, err := labels.NewMatcher(labels.MatchEqual, "__name__", MetricSpanDuration)
	if err != nil {
		t.Fatal(err)
	}
	res, err := eq.Select(ms(base), ms(at), []*labels.Matcher{m})
	if err != nil {
		t.Fatal(err)
	}
	// Steps [0,5s) .. [15s,20s) and the span ending at 20 s.
	if len(res) != 1 || len(res[0].Exemplars) != 5 {
		t.Fatalf("exemplars %v, want one series with 5 (one per 5 s step)", res)
	}
	last := res[0].Exemplars[4]
	if last.Value != 0.2 || len(last.Labels.Get("trace_id")) != 32 {
		t.Errorf("last exemplar %v, want the 200 ms span", last)
	}
}
