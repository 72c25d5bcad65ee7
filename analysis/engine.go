package analysis

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/augurhq/augur/judges"
)

// Evaluate runs every metric of spec over [start, end] against src, judges
// each and scores the run. It never fails: source errors become Error
// results and missing data NoData results, and the score decides from there.
func Evaluate(ctx context.Context, spec Spec, start, end time.Time, src Source) Verdict {
	v := Verdict{Experiment: spec.Name, Window: TimeRange{Start: start, End: end}}
	scored := make([]judges.Scored, 0, len(spec.Metrics))
	for _, m := range spec.Metrics {
		r := evaluateMetric(ctx, spec, m, start, end, src)
		v.Metrics = append(v.Metrics, r)
		scored = append(scored, judges.Scored{
			Name:               m.Name,
			Classification:     r.Classification,
			Weight:             m.Weight,
			Critical:           m.Critical,
			CriticalBreach:     r.CriticalBreach,
			Group:              m.Group,
			NoDataPolicy:       m.NoData,
			MustHaveDataBreach: r.MustHaveDataBreach,
		})
	}
	s := judges.ScoreGroups(scored, judges.Thresholds{Pass: spec.Thresholds.Pass, Marginal: spec.Thresholds.Marginal}, spec.GroupWeights)
	v.Verdict, v.Score, v.Reason = s.Outcome, s.Score, s.Reason
	v.CompletedAt = time.Now().UTC()
	return v
}

func evaluateMetric(ctx context.Context, spec Spec, m MetricSpec, start, end time.Time, src Source) MetricResult {
	r := MetricResult{Name: m.Name, Judge: m.Judge.Type, Weight: m.Weight, Critical: m.Critical, Group: m.Group}
	r.Baseline.Query = RenderQuery(m.Query, spec.Baseline)
	r.Canary.Query = RenderQuery(m.Query, spec.Canary)
	step := time.Duration(spec.Step)
	bs, errB := src.Fetch(ctx, Query{Expr: r.Baseline.Query, Start: start, End: end, Step: step})
	cs, errC := src.Fetch(ctx, Query{Expr: r.Canary.Query, Start: start, End: end, Step: step})
	baseline, canary := Values(bs), Values(cs)
	r.Baseline = summarize(r.Baseline.Query, baseline)
	r.Canary = summarize(r.Canary.Query, canary)
	if errB != nil || errC != nil {
		r.Classification = judges.Error
		switch {
		case errB != nil && errC != nil:
			r.Error = fmt.Sprintf("baseline: %v; canary: %v", errB, errC)
		case errB != nil:
			r.Error = fmt.Sprintf("baseline: %v", errB)
		default:
			r.Error = fmt.Sprintf("canary: %v", errC)
		}
		r.Reason = "source error, not judged: " + r.Error
		return r
	}
	var jr judges.MetricResult
	switch m.Judge.Type {
	case JudgeMannWhitney:
		jr = judges.ClassifyMannWhitney(canary, baseline, m.mannWhitneyConfig())
		if mw := jr.MannWhitney; mw != nil {
			r.Shift, r.CILow, r.CIHigh = num(mw.Estimate), num(mw.CILow), num(mw.CIHigh)
			r.Confidence, r.PValue, r.MeanRatio = num(mw.Confidence), num(mw.PValue), num(mw.MeanRatio)
		}
	case JudgeThreshold:
		if m.Judge.Relative {
			jr = judges.ClassifyThresholdRelative(canary, baseline, m.thresholdConfig())
		} else {
			jr = judges.ClassifyThreshold(canary, m.thresholdConfig())
		}
		if t := jr.Threshold; t != nil {
			r.Aggregate = num(t.Value)
		}
	default:
		jr = judges.MetricResult{Classification: judges.Error, Reason: fmt.Sprintf("unknown judge %q", m.Judge.Type)}
	}
	r.Classification, r.Reason, r.CriticalBreach = jr.Classification, jr.Reason, jr.Critical
	r.MustHaveDataBreach = jr.MustHaveDataBreach
	return r
}

func summarize(query string, xs []float64) CohortSummary {
	s := CohortSummary{Query: query}
	vals := make([]float64, 0, len(xs))
	sum := 0.0
	for _, x := range xs {
		if x == x { // drop NaN
			vals = append(vals, x)
			sum += x
		}
	}
	s.N = len(vals)
	if s.N == 0 {
		return s
	}
	slices.Sort(vals)
	med := vals[s.N/2]
	if s.N%2 == 0 {
		med = (vals[s.N/2-1] + vals[s.N/2]) / 2
	}
	s.Median, s.Mean = num(med), num(sum/float64(s.N))
	return s
}
