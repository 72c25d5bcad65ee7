package collector

import (
	"context"
	"math"
	"reflect"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/augurhq/augur/collector/store"
	"github.com/augurhq/augur/collector/store/storetest"
)

// instant evaluates expr at ts and returns the value per service_version
// label (or "" when the result has no such label).
func instant(t *testing.T, st *store.Store, expr string, ts time.Time) map[string]float64 {
	t.Helper()
	vec := storetest.Vector(t, st, expr, ts)
	out := map[string]float64{}
	for _, s := range vec {
		out[s.Metric.Get("service_version")] = s.F
	}
	return out
}

// TestSpanMetricsPromQL stores spans of two versions in a real TSDB, in
// several batches, and checks what PromQL makes of the derived series.
func TestSpanMetricsPromQL(t *testing.T) {
	base := storeBase()
	st := storetest.Open(t)
	sm := newSpanMetrics(t, st, testConfig(0.01, 0.025, 0.05, 0.1, 0.25))

	// v1: 100 spans, one every 500 ms over 50 s; durations 40× 5 ms,
	// 40× 30 ms, 20× 200 ms; every 10th span fails.
	// v2: 50 spans, one every second over 50 s; durations 25× 60 ms,
	// 25× 150 ms; every other span fails.
	var v1, v2 []spanSpec
	for i := 1; i <= 100; i++ {
		d := 5 * time.Millisecond
		switch i % 5 {
		case 1, 2:
			d = 30 * time.Millisecond
		case 3:
			d = 200 * time.Millisecond
		}
		s := spanSpec{name: "GET /cart", kind: ptrace.SpanKindServer, end: base.Add(time.Duration(i) * 500 * time.Millisecond), dur: d}
		if i%10 == 0 {
			s.status = ptrace.StatusCodeError
		}
		v1 = append(v1, s)
	}
	for i := 1; i <= 50; i++ {
		d := 60 * time.Millisecond
		if i%2 == 0 {
			d = 150 * time.Millisecond
		}
		s := spanSpec{name: "GET /cart", kind: ptrace.SpanKindServer, end: base.Add(time.Duration(i) * time.Second), dur: d}
		if i%2 == 1 {
			s.attrs = map[string]any{"http.response.status_code": 503}
		}
		v2 = append(v2, s)
	}
	// Deliver in batches of 10 spans per version, as exporters would.
	for lo := 0; lo < 100; lo += 10 {
		batch := []resourceSpans{{attrs: checkout("v1"), spans: v1[lo : lo+10]}}
		if lo < 50 {
			batch = append(batch, resourceSpans{attrs: checkout("v2"), spans: v2[lo : lo+10]})
		}
		res, err := sm.Consume(context.Background(), buildTraces(batch...))
		if err != nil || res.Rejected != 0 {
			t.Fatalf("batch %d: Consume = %+v, %v", lo/10, res, err)
		}
	}

	// Both versions' last span ends at base+50 s. Evaluated exactly there,
	// increase() needs no extrapolation (the series start with a zero
	// sample), so the counts are exact.
	at := base.Add(50 * time.Second)
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	tests := []struct {
		name string
		expr string
		want map[string]float64
	}{
		{"requests", `sum by (service_version) (increase(augur_span_requests_total[5m]))`, map[string]float64{"v1": 100, "v2": 50}},
		{"errors", `sum by (service_version) (increase(augur_span_errors_total[5m]))`, map[string]float64{"v1": 10, "v2": 25}},
		{"error ratio", `sum by (service_version) (increase(augur_span_errors_total[5m])) / sum by (service_version) (increase(augur_span_requests_total[5m]))`, map[string]float64{"v1": 0.1, "v2": 0.5}},
		// (40×0.005 + 40×0.03 + 20×0.2)/100 and (25×0.06 + 25×0.15)/50.
		{"mean duration", `sum by (service_version) (increase(augur_span_duration_seconds_sum[5m])) / sum by (service_version) (increase(augur_span_duration_seconds_count[5m]))`, map[string]float64{"v1": 0.054, "v2": 0.105}},
		// v1 cumulative buckets 40,40,80,80,100,100: rank 20 in [0, 0.01] → 0.005.
		{"p20", `histogram_quantile(0.2, sum by (service_version, le) (increase(augur_span_duration_seconds_bucket[5m])))`, map[string]float64{"v1": 0.005, "v2": 0.05 + 0.05*10/25}},
		// v1 rank 50 in (0.025, 0.05] holding 40..80 → 0.025 + 0.025×10/40;
		// v2 buckets 0,0,0,25,50,50: rank 25 in (0.05, 0.1] → 0.1.
		{"p50", `histogram_quantile(0.5, sum by (service_version, le) (increase(augur_span_duration_seconds_bucket[5m])))`, map[string]float64{"v1": 0.03125, "v2": 0.1}},
		// v1 rank 90 in (0.1, 0.25] holding 80..100 → 0.175; v2 rank 45 → 0.1 + 0.15×20/25.
		{"p90", `histogram_quantile(0.9, sum by (service_version, le) (increase(augur_span_duration_seconds_bucket[5m])))`, map[string]float64{"v1": 0.175, "v2": 0.22}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := instant(t, st, tc.expr, at)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for v, want := range tc.want {
				if g, ok := got[v]; !ok || !near(g, want) {
					t.Errorf("%s = %v, want %v", v, g, want)
				}
			}
		})
	}

	t.Run("range query sees one sample per resolution step and batch", func(t *testing.T) {
		m, _, err := st.Range(context.Background(), `augur_span_requests_total{service_version="v2"}`, base.Add(5*time.Second), at, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if len(m) != 1 {
			t.Fatalf("got %d series, want 1", len(m))
		}
		// One v2 span per second (1..50 s), in batches of 1..10 s, 11..20 s,
		// ...: within a batch, steps [5k, 5k+5) fold into a sample at their
		// last span; a batch's final span at 10 s, 20 s, ... starts a new
		// step and gets its own sample. So at 5 s, 15 s, ... the newest
		// sample is the one a second earlier (4, 14, ...), while at 10 s,
		// 20 s, ... it is that very second's (10, 20, ...).
		want := []float64{4, 10, 14, 20, 24, 30, 34, 40, 44, 50}
		var got []float64
		for _, p := range m[0].Floats {
			got = append(got, p.F)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
}
