package collector

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/augurhq/augur/collector/store/storetest"
)

// namedSpans returns server spans of checkout at version, count spans per
// name, ending one second apart from end.
func namedSpans(version string, end time.Time, counts map[string]int) ptrace.Traces {
	var ss []spanSpec
	i := 0
	for name, n := range counts {
		for range n {
			ss = append(ss, spanSpec{name: name, kind: ptrace.SpanKindServer, end: end.Add(time.Duration(i) * time.Millisecond), dur: 10 * time.Millisecond})
			i++
		}
	}
	return buildTraces(resourceSpans{attrs: checkout(version), spans: ss})
}

// TestSpanNameLimits: names past max_new_groups_per_request or
// max_span_names_per_service are counted under span_name="_overflow" of
// their resource and kind, the most frequent names admitted first; totals
// per version stay right, the result says what happened and the counter
// counts it.
func TestSpanNameLimits(t *testing.T) {
	st := storetest.Open(t)
	cfg := testConfig()
	cfg.SpanMetrics.MaxSpanNamesPerService = 3
	cfg.SpanMetrics.MaxNewGroupsPerRequest = 2
	sm := newSpanMetrics(t, st, cfg)
	t0 := time.Now().Add(-10 * time.Minute).Truncate(time.Minute)

	steps := []struct {
		name       string
		version    string
		counts     map[string]int
		wantFolded int
		wantMsg    []string
	}{
		{"request limit", "v1", map[string]int{"GET /a": 5, "GET /b": 4, "GET /c": 3, "GET /d": 1}, 4,
			[]string{`4 spans of 2 span names counted under span_name="_overflow"`, "opened 2 new span series groups, the limit (collector.span_metrics.max_new_groups_per_request)"}},
		{"service limit", "v1", map[string]int{"GET /c": 2, "GET /d": 2, "GET /e": 1}, 3,
			[]string{`3 spans of 2 span names`, `service "checkout" kind server has 3 span names, the limit (collector.span_metrics.max_span_names_per_service)`}},
		{"known names of a new version", "v2", map[string]int{"GET /a": 3, "GET /b": 2, "GET /c": 1}, 1,
			[]string{"max_new_groups_per_request"}},
		{"existing groups", "v1", map[string]int{"GET /a": 1, "GET /b": 1, "GET /c": 1}, 0, nil},
	}
	for i, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			res, err := sm.Consume(context.Background(), namedSpans(step.version, t0.Add(time.Duration(i)*time.Minute), step.counts))
			if err != nil || res.Rejected != 0 || res.Folded != step.wantFolded {
				t.Fatalf("Consume = %+v, %v; want %d folded, none rejected", res, err, step.wantFolded)
			}
			for _, w := range step.wantMsg {
				if !strings.Contains(res.Reason, w) {
					t.Errorf("reason %q lacks %q", res.Reason, w)
				}
			}
			if step.wantFolded == 0 && res.Reason != "" {
				t.Errorf("reason %q, want none", res.Reason)
			}
		})
	}

	at := t0.Add(4 * time.Minute)
	for expr, want := range map[string]map[string]float64{
		`sum by (service_version) (augur_span_requests_total)`:                                   {"v1": 13 + 5 + 3, "v2": 6},
		`sum by (service_version) (augur_span_requests_total{span_name="_overflow"})`:            {"v1": 4 + 3, "v2": 1},
		`count by (service_version) (augur_span_requests_total)`:                                 {"v1": 4, "v2": 3},
		`count by (service_version) (augur_span_duration_seconds_count{span_name!="_overflow"})`: {"v1": 3, "v2": 2},
	} {
		if got := instant(t, st, expr, at); len(got) != len(want) || got["v1"] != want["v1"] || got["v2"] != want["v2"] {
			t.Errorf("%s = %v, want %v", expr, got, want)
		}
	}
	for reason, want := range map[string]float64{overflowRequest: 4 + 1, overflowService: 3} {
		if got := testutil.ToFloat64(sm.card.overflow.WithLabelValues(reason)); got != want {
			t.Errorf(`augur_span_name_overflow_total{reason=%q} = %v, want %v`, reason, got, want)
		}
	}
}

// TestSpanMetricsIdleEviction: a group without spans for idle_timeout
// loses its state and its place under max_span_names_per_service; a later
// span starts its counters from zero, which PromQL takes as a reset.
func TestSpanMetricsIdleEviction(t *testing.T) {
	st := storetest.Open(t)
	cfg := testConfig()
	cfg.SpanMetrics.MaxSpanNamesPerService = 1
	cfg.SpanMetrics.IdleTimeout = 15 * time.Minute
	sm := newSpanMetrics(t, st, cfg)
	clock := time.Now().Add(-time.Hour).Truncate(time.Minute)
	sm.now = func() time.Time { return clock }
	consume := func(name string, n int) ConsumeResult {
		t.Helper()
		res, err := sm.Consume(context.Background(), namedSpans("v1", clock.Add(time.Second), map[string]int{name: n}))
		if err != nil || res.Rejected != 0 {
			t.Fatalf("Consume = %+v, %v", res, err)
		}
		return res
	}

	consume("GET /x", 3)
	clock = clock.Add(10 * time.Minute)
	if res := consume("GET /y", 1); res.Folded != 1 {
		t.Fatalf("GET /x is 10 min idle and still holds the only name: want GET /y folded, got %+v", res)
	}
	clock = clock.Add(10 * time.Minute) // GET /x idle 20 min, _overflow 10 min
	if res := consume("GET /y", 1); res.Folded != 0 {
		t.Fatalf("GET /x evicted: want GET /y admitted, got %+v", res)
	}
	clock = clock.Add(16 * time.Minute) // everything idle
	if res := consume("GET /x", 2); res.Folded != 0 {
		t.Fatalf("GET /y evicted: want GET /x admitted, got %+v", res)
	}
	if got := testutil.ToFloat64(sm.card.evicted); got != 3 {
		t.Errorf("evicted groups = %v, want 3 (GET /x, _overflow, GET /y)", got)
	}
	if got := testutil.ToFloat64(sm.card.groups); got != 1 {
		t.Errorf("groups in memory = %v, want 1", got)
	}

	// GET /x's counter went 0, 3, then after eviction 0, 2: increase sees a
	// reset and counts 5. Evaluated at the last span's step there is no
	// extrapolation (each run starts with a zero sample).
	at := clock.Add(time.Second + time.Millisecond)
	for expr, want := range map[string]float64{
		`increase(augur_span_requests_total{span_name="GET /x"}[1h])`:                    5,
		`resets(augur_span_requests_total{span_name="GET /x"}[1h])`:                      1,
		`increase(augur_span_duration_seconds_count{span_name="GET /x"}[1h])`:            5,
		`histogram_count(increase(augur_span_duration_seconds{span_name="GET /x"}[1h]))`: 5,
	} {
		if got := instant(t, st, expr, at); len(got) != 1 || got["v1"] != want {
			t.Errorf("%s = %v, want %v", expr, got, want)
		}
	}
}
