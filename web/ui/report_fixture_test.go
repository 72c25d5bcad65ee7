package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
	"github.com/augurhq/augur/web"
)

// fakeExperiments serves one experiment and its runs; the methods a report
// does not call are left to the embedded nil interface.
type fakeExperiments struct {
	web.Experiments
	x         analysis.Experiment
	runs      []analysis.Run
	intervals map[string][]analysis.IntervalResult
}

func (f *fakeExperiments) Get(_ context.Context, id string) (analysis.Experiment, error) {
	if id != f.x.ID {
		return analysis.Experiment{}, analysis.ErrNotFound
	}
	return f.x, nil
}

func (f *fakeExperiments) Runs(_ context.Context, id string) ([]analysis.Run, error) {
	if id != f.x.ID {
		return nil, analysis.ErrNotFound
	}
	return f.runs, nil
}

func (f *fakeExperiments) Run(_ context.Context, id string) (analysis.Run, error) {
	for _, r := range f.runs {
		if r.ID == id {
			return r, nil
		}
	}
	return analysis.Run{}, analysis.ErrNotFound
}

func (f *fakeExperiments) Intervals(_ context.Context, runID string, after, limit int) ([]analysis.IntervalResult, error) {
	var out []analysis.IntervalResult
	for _, r := range f.intervals[runID] {
		if r.Index > after && len(out) < limit {
			out = append(out, r)
		}
	}
	return out, nil
}

// evil is a hostile user-provided string.
const evil = `<script>alert("x")</script>'"</svg>&`

func fp(f float64) *float64 { return &f }

var (
	fixStart = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	fixEnd   = fixStart.Add(20 * time.Minute)
)

// fixture builds an experiment whose latest run judged n metrics: points
// metrics, plus a histogram, a sequential, a no-data and a logpatterns
// metric, every name, label, query, reason and log line hostile.
func fixture(n int) *fakeExperiments {
	spec := analysis.Spec{APIVersion: analysis.APIVersion, Kind: analysis.KindCanary, Name: "checkout " + evil,
		Labels:  map[string]string{"team": evil},
		Cohorts: analysis.Cohorts{Baseline: &analysis.Cohort{Selector: `version="v1"`}, Canary: &analysis.Cohort{Selector: `version="v2"`}},
		Step:    analysis.Duration(time.Minute)}
	var results []analysis.MetricResult
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("latency_%d_%s", i, evil)
		m := analysis.MetricSpec{Name: name, Kind: analysis.KindPoints, Query: `rate(x{${cohort}, q="` + evil + `"}[1m])`,
			Judge: analysis.JudgeSpec{Type: analysis.JudgeMannWhitney, Margin: &analysis.Margin{Value: 0.1}}}
		r := analysis.MetricResult{Name: name, Variant: "canary", Judge: m.Judge.Type, Kind: m.Kind, Classification: judges.Pass,
			Reason:   fmt.Sprintf("reason %d: %s", i, evil),
			Baseline: analysis.CohortSummary{Query: `rate(x{version="v1", q="` + evil + `"}[1m])`, N: 20, Median: fp(1), Mean: fp(1.1)},
			Canary:   analysis.CohortSummary{Query: `rate(x{version="v2", q="` + evil + `"}[1m])`, N: 20, Median: fp(1.05), Mean: fp(1.12)},
			Shift:    fp(0.05), CILow: fp(-0.02), CIHigh: fp(0.09), PValue: fp(0.3), AdjustedPValue: fp(0.6),
			Cluster: &analysis.ClusterInfo{Label: "pod", Canary: 1, Baseline: 4, Method: "pooled"}}
		switch i {
		case 1:
			m.Kind, r.Kind = analysis.KindHistogram, analysis.KindHistogram
			m.Query = `sum(increase(h{${cohort}}[${window}]))`
			r.Baseline.Query, r.Canary.Query = `sum(increase(h{version="v1"}[20m]))`, `sum(increase(h{version="v2"}[20m]))`
		case 2:
			m.Judge.Type, r.Judge = analysis.JudgeSequential, analysis.JudgeSequential
		case 3:
			r.Classification, r.Reason = judges.NoData, "canary: no data"
			r.Canary = analysis.CohortSummary{Query: `up{version="v2",job="` + evil + `"}`}
			r.Shift, r.CILow, r.CIHigh, r.PValue, r.AdjustedPValue = nil, nil, nil, nil, nil
		case 4:
			m.Kind, r.Kind, r.Judge = analysis.KindLogPatterns, analysis.KindLogPatterns, analysis.JudgePatterns
			r.Reason = "baseline data cover 60% of the window, under min_coverage 80%: no data 10:00–10:08 (8 min)"
			r.Patterns = []analysis.PatternResult{{ID: "p1", Template: "payment failed <*> " + evil, New: true, CanaryCount: 12,
				Examples: []analysis.PatternExample{{Line: "payment failed " + evil, TraceID: "abc123"}}}}
		}
		spec.Metrics = append(spec.Metrics, m)
		results = append(results, r)
	}
	final := analysis.Verdict{ExperimentID: "exp1", RunID: "run1", Experiment: spec.Name, Kind: spec.Kind, Verdict: judges.OutcomePass,
		Score: fp(97.5), Reason: "all metrics pass " + evil, Interval: 4, Intervals: 4,
		Window: analysis.TimeRange{Start: fixStart, End: fixEnd}, Metrics: results}
	var ivs []analysis.IntervalResult
	for i := 0; i < 4; i++ {
		v := final
		v.Interval = i + 1
		v.Window.End = fixStart.Add(time.Duration(i+1) * 5 * time.Minute)
		v.Metrics = append([]analysis.MetricResult(nil), results...)
		if n > 2 {
			seq := v.Metrics[2]
			w := 0.5 / float64(i+1)
			seq.Shift, seq.CILow, seq.CIHigh = fp(0.02), fp(0.02-w), fp(0.02+w)
			v.Metrics[2] = seq
		}
		ivs = append(ivs, analysis.IntervalResult{RunID: "run1", Index: i, Verdict: v})
	}
	ended := fixEnd
	run := analysis.Run{ID: "run1", ExperimentID: "exp1", Spec: spec, Status: analysis.RunCompleted, StartedAt: fixStart,
		Verdict: &final, EndedAt: &ended}
	other := analysis.Run{ID: "run0", ExperimentID: "exp1", Spec: spec, Status: analysis.RunAborted, StartedAt: fixStart.Add(-time.Hour)}
	x := analysis.Experiment{ExperimentRecord: analysis.ExperimentRecord{ID: "exp1", Spec: spec, Template: "tmpl " + evil, Key: "k"},
		Status: string(analysis.RunCompleted), Run: "run1", Verdict: &final}
	return &fakeExperiments{x: x, runs: []analysis.Run{run, other}, intervals: map[string][]analysis.IntervalResult{"run1": ivs}}
}

// fakeSources answers every query from the cohort its selector names:
// v1 (baseline) and v2 (canary), each two pods over the window; h{...}
// queries are native histograms; queries naming "broken" fail; "empty"
// ones return nothing.
type fakeSources struct{ asked []analysis.Query }

func (f *fakeSources) Source(name string, _ *analysis.SourceSpec) (analysis.Source, error) {
	return analysis.SourceFunc(func(_ context.Context, q analysis.Query) ([]analysis.Series, error) {
		f.asked = append(f.asked, q)
		base := 1.0
		switch {
		case strings.Contains(q.Expr, "broken"):
			return nil, errors.New("connection refused " + evil)
		case strings.Contains(q.Expr, "empty"), strings.Contains(q.Expr, `job="`):
			return nil, nil
		case strings.Contains(q.Expr, `"v2"`):
			base = 2
		}
		if strings.HasPrefix(q.Expr, "sum(increase(h{") && q.Instant() {
			return []analysis.Series{{Labels: map[string]string{}, Histograms: []analysis.HistogramPoint{{T: q.End.UnixMilli(), Count: 10,
				Buckets: []analysis.HistogramBucket{{Lower: 0, Upper: base, Count: 6}, {Lower: base, Upper: 2 * base, Count: 4}}}}}}, nil
		}
		var out []analysis.Series
		for pod := 0; pod < 2; pod++ {
			s := analysis.Series{Labels: map[string]string{"pod": fmt.Sprintf("p%d", pod)}}
			for t := q.Start; !t.After(q.End); t = t.Add(q.Step) {
				s.Points = append(s.Points, analysis.Point{T: t.UnixMilli(), V: base + float64(pod)/10})
				if q.Step == 0 {
					break
				}
			}
			out = append(out, s)
		}
		return out, nil
	}), nil
}

func (f *fakeExperiments) LatestInterval(ctx context.Context, runID string) (analysis.IntervalResult, bool, error) {
	ivs := f.intervals[runID]
	if len(ivs) == 0 {
		return analysis.IntervalResult{}, false, nil
	}
	return ivs[len(ivs)-1], true, nil
}

// fakeDeliveries lists one dead-lettered notification whose receiver
// answered with a hostile body.
type fakeDeliveries struct{}

func (fakeDeliveries) ListDeliveries(_ context.Context, exp string) ([]analysis.OutboxDelivery, error) {
	return []analysis.OutboxDelivery{{ID: "msg_1", Receiver: "hook", ExperimentID: exp, RunID: "run1", Event: "verdict",
		Status: analysis.DeliveryDead, Attempts: 3, LastError: "hook: 400 Bad Request: " + evil, UpdatedAt: fixEnd}}, nil
}
