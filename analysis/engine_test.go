package analysis

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/augurhq/augur/judges"
)

// fakeSource answers by cohort: the query contains the cohort's matchers.
type fakeSource struct {
	fetch func(q Query) ([]float64, error)
}

func (f fakeSource) Fetch(_ context.Context, q Query) ([]Series, error) {
	xs, err := f.fetch(q)
	if err != nil || xs == nil {
		return nil, err
	}
	pts := make([]Point, len(xs))
	for i, x := range xs {
		pts[i] = Point{T: int64(i), V: x}
	}
	return []Series{{Labels: map[string]string{}, Points: pts}}, nil
}

func normal(seed uint64, n int, mean, sd float64) []float64 {
	r := rand.New(rand.NewPCG(seed, 7))
	out := make([]float64, n)
	for i := range out {
		out[i] = mean + sd*r.NormFloat64()
	}
	return out
}

func testSpec(metrics ...MetricSpec) Spec {
	s, e := Timestamp(time.Unix(0, 0)), Timestamp(time.Unix(3600, 0))
	spec := Spec{Name: "t", Baseline: `v="1"`, Canary: `v="2"`, Window: Window{Start: &s, End: &e}, Metrics: metrics}
	spec.SetDefaults()
	return spec
}

func mwMetric(name string, critical bool) MetricSpec {
	return MetricSpec{Name: name, Query: "m_" + name + "{${cohort}}", Critical: critical,
		Judge: JudgeSpec{Type: JudgeMannWhitney, Direction: judges.Increase}}
}

func TestEvaluate(t *testing.T) {
	base := normal(1, 60, 100, 5)
	same := normal(2, 60, 100, 5)
	worse := normal(3, 60, 130, 5)
	cohorts := func(canary map[string][]float64, errs map[string]error) fakeSource {
		return fakeSource{fetch: func(q Query) ([]float64, error) {
			name := strings.SplitN(strings.TrimPrefix(q.Expr, "m_"), "{", 2)[0]
			if strings.Contains(q.Expr, `v="1"`) {
				return base, nil
			}
			if err := errs[name]; err != nil {
				return nil, err
			}
			return canary[name], nil
		}}
	}
	tests := []struct {
		name    string
		src     fakeSource
		metrics []MetricSpec
		want    judges.Outcome
		class   map[string]judges.Classification
	}{
		{"healthy canary passes", cohorts(map[string][]float64{"a": same, "b": same}, nil),
			[]MetricSpec{mwMetric("a", false), mwMetric("b", false)}, judges.OutcomePass,
			map[string]judges.Classification{"a": judges.Pass, "b": judges.Pass}},
		{"regressed canary fails", cohorts(map[string][]float64{"a": worse, "b": worse}, nil),
			[]MetricSpec{mwMetric("a", false), mwMetric("b", false)}, judges.OutcomeFail,
			map[string]judges.Classification{"a": judges.High, "b": judges.High}},
		{"critical regression fails the run", cohorts(map[string][]float64{"a": same, "b": same, "c": same, "d": worse}, nil),
			[]MetricSpec{mwMetric("a", false), mwMetric("b", false), mwMetric("c", false), mwMetric("d", true)}, judges.OutcomeFail,
			map[string]judges.Classification{"d": judges.High}},
		{"no canary data is inconclusive, never pass", cohorts(map[string][]float64{"a": same}, nil),
			[]MetricSpec{mwMetric("a", false), mwMetric("b", false)}, judges.OutcomeInconclusive,
			map[string]judges.Classification{"a": judges.Pass, "b": judges.NoData}},
		{"source error is error, never fail", cohorts(map[string][]float64{"a": same}, map[string]error{"b": errors.New("connection refused")}),
			[]MetricSpec{mwMetric("a", false), mwMetric("b", false)}, judges.OutcomeError,
			map[string]judges.Classification{"a": judges.Pass, "b": judges.Error}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Evaluate(context.Background(), testSpec(tt.metrics...), time.Unix(0, 0), time.Unix(3600, 0), tt.src)
			if v.Verdict != tt.want {
				t.Errorf("verdict %s (score %.1f, %s), want %s", v.Verdict, v.Score, v.Reason, tt.want)
			}
			for _, m := range v.Metrics {
				if want, ok := tt.class[m.Name]; ok && m.Classification != want {
					t.Errorf("metric %s: %s (%s), want %s", m.Name, m.Classification, m.Reason, want)
				}
				if m.Reason == "" {
					t.Errorf("metric %s has no reason", m.Name)
				}
			}
		})
	}
}

func TestEvaluateMetricDetails(t *testing.T) {
	src := fakeSource{fetch: func(q Query) ([]float64, error) {
		if q.Step != time.Minute || !q.End.After(q.Start) {
			t.Errorf("query window: %+v", q)
		}
		if strings.Contains(q.Expr, `v="1"`) {
			return []float64{1, 2, 3, 4}, nil
		}
		return []float64{10, 20, 30, 40}, nil
	}}
	upper := 25.0
	spec := testSpec(mwMetric("a", false), MetricSpec{Name: "t", Query: "x{${cohort}}",
		Judge: JudgeSpec{Type: JudgeThreshold, Aggregate: "mean", Upper: &upper}})
	v := Evaluate(context.Background(), spec, time.Unix(0, 0), time.Unix(3600, 0), src)
	a := v.Metrics[0]
	if a.Baseline.Query != `m_a{v="1"}` || a.Canary.Query != `m_a{v="2"}` {
		t.Errorf("rendered queries: %q %q", a.Baseline.Query, a.Canary.Query)
	}
	// Kayenta's example: HL estimate 22.5, 98% CI [6, 39] (order statistics).
	if a.Shift == nil || *a.Shift != 22.5 || *a.CILow != 6 || *a.CIHigh != 39 {
		t.Errorf("shift/CI: %v %v %v", deref(a.Shift), deref(a.CILow), deref(a.CIHigh))
	}
	if *a.Baseline.Median != 2.5 || *a.Canary.Median != 25 || a.Baseline.N != 4 {
		t.Errorf("summaries: %+v %+v", a.Baseline, a.Canary)
	}
	// mean(10, 20, 30, 40) = 25 is not above the upper bound 25.
	th := v.Metrics[1]
	if th.Classification != judges.Pass || th.Aggregate == nil || *th.Aggregate != 25 {
		t.Errorf("threshold: %s aggregate %v: %s", th.Classification, deref(th.Aggregate), th.Reason)
	}
}

// TestEvaluateGroupsAndPolicies: group weights, no-data policies and
// relative thresholds reach the judges.
func TestEvaluateGroupsAndPolicies(t *testing.T) {
	base := normal(1, 60, 100, 5)
	src := fakeSource{fetch: func(q Query) ([]float64, error) {
		switch {
		case strings.Contains(q.Expr, "m_empty") && strings.Contains(q.Expr, `v="2"`):
			return nil, nil
		case strings.Contains(q.Expr, "m_worse") && strings.Contains(q.Expr, `v="2"`):
			return normal(3, 60, 130, 5), nil
		case strings.Contains(q.Expr, `v="2"`):
			return normal(2, 60, 100, 5), nil
		}
		return base, nil
	}}
	grouped := func(name, group string) MetricSpec {
		m := mwMetric(name, false)
		m.Group = group
		return m
	}
	upper := 1.1
	relative := MetricSpec{Name: "rel", Query: "m_worse_rel{${cohort}}", Group: "latency",
		Judge: JudgeSpec{Type: JudgeThreshold, Aggregate: "p90", Upper: &upper, Relative: true}}
	tests := []struct {
		name    string
		metrics []MetricSpec
		weights map[string]float64
		want    judges.Outcome
		score   float64
	}{
		{"heavier healthy group outweighs a failing one", []MetricSpec{grouped("ok", "errors"), grouped("worse", "latency")},
			map[string]float64{"errors": 3, "latency": 1}, judges.OutcomeMarginal, 75},
		{"equal weights by default", []MetricSpec{grouped("ok", "errors"), grouped("worse", "latency")},
			nil, judges.OutcomeFail, 50},
		{"no data with policy fail fails", []MetricSpec{mwMetric("ok", false), func() MetricSpec {
			m := mwMetric("empty", false)
			m.NoData = judges.NoDataFail
			return m
		}()}, nil, judges.OutcomeFail, 50},
		{"no data with policy ignore passes on the rest", []MetricSpec{mwMetric("ok", false), func() MetricSpec {
			m := mwMetric("empty", false)
			m.NoData = judges.NoDataIgnore
			return m
		}()}, nil, judges.OutcomePass, 100},
		{"must have data fails", []MetricSpec{mwMetric("ok", false), func() MetricSpec {
			m := mwMetric("empty", false)
			m.MustHaveData = true
			return m
		}()}, nil, judges.OutcomeFail, 50},
		{"relative threshold: p90 +30% above the allowed +10%", []MetricSpec{relative}, nil, judges.OutcomeFail, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := testSpec(tt.metrics...)
			spec.GroupWeights = tt.weights
			if err := spec.Validate(); err != nil {
				t.Fatal(err)
			}
			v := Evaluate(context.Background(), spec, time.Unix(0, 0), time.Unix(3600, 0), src)
			if v.Verdict != tt.want || v.Score != tt.score {
				t.Errorf("verdict %s score %.1f (%s), want %s %.1f", v.Verdict, v.Score, v.Reason, tt.want, tt.score)
			}
		})
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// recordingSink captures notifications.
type recordingSink struct {
	mu  sync.Mutex
	got []Notification
	err error
}

func (r *recordingSink) Publish(_ context.Context, n Notification) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, n)
	return r.err
}

func TestManagerRunsAndPublishes(t *testing.T) {
	src := fakeSource{fetch: func(q Query) ([]float64, error) { return normal(9, 30, 1, 0.1), nil }}
	ok, down := &recordingSink{}, &recordingSink{err: errors.New("receiver down")}
	m := NewManager(slog.New(slog.NewTextHandler(io.Discard, nil)), src, NamedSink{"ok", ok}, NamedSink{"down", down})
	defer m.Close()
	spec := testSpec(mwMetric("a", false))
	spec.Webhooks = []string{"http://127.0.0.1:1/x"}
	e, err := m.Create(spec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done, err := m.Wait(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != StatusCompleted || done.Verdict == nil || done.Verdict.ExperimentID != e.ID {
		t.Fatalf("experiment not completed: %+v", done)
	}
	if len(ok.got) != 1 || ok.got[0].Webhooks[0] != spec.Webhooks[0] || ok.got[0].Verdict.Verdict != done.Verdict.Verdict {
		t.Errorf("sink got %+v", ok.got)
	}
	if len(done.Deliveries) != 2 || !done.Deliveries[0].OK || done.Deliveries[1].OK || !strings.Contains(done.Deliveries[1].Error, "receiver down") {
		t.Errorf("deliveries: %+v", done.Deliveries)
	}
	if _, err := m.Get("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
	if _, err := m.Create(Spec{}); err == nil {
		t.Error("invalid spec accepted")
	}
	if got := m.List(); len(got) != 1 {
		t.Errorf("list: %d experiments", len(got))
	}
}

func TestManagerWaitsForWindowEnd(t *testing.T) {
	src := fakeSource{fetch: func(q Query) ([]float64, error) { return []float64{1, 2, 3}, nil }}
	m := NewManager(slog.New(slog.NewTextHandler(io.Discard, nil)), src)
	spec := testSpec(mwMetric("a", false))
	s, e := Timestamp(time.Now().Add(-time.Hour)), Timestamp(time.Now().Add(time.Hour))
	spec.Window = Window{Start: &s, End: &e}
	exp, err := m.Create(spec)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := m.Get(exp.ID); got.Status != StatusWaiting || got.Verdict != nil {
		t.Errorf("future window: status %s", got.Status)
	}
	m.Close()
	if got, _ := m.Get(exp.ID); got.Status != StatusAborted {
		t.Errorf("after close: status %s", got.Status)
	}
}
