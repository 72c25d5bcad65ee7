package analysis

import (
	"context"
	"fmt"
	"time"

	"github.com/augurhq/augur/judges"
)

// EvaluateInterval judges interval i (0-based) of a run scheduled by sch:
// every metric of every comparison, the multiple-comparison correction,
// the sample-ratio check, and one score per comparison. It updates the
// sequential tests in st (not the limit counters: see Decide). It never
// fails: source errors become Error results, missing data NoData.
func EvaluateInterval(ctx context.Context, spec Spec, sch Schedule, i int, st *RunState, sources Sources) Verdict {
	tw, rw, _ := sch.Window(i)
	iv := &interval{spec: spec, f: newFetcher(spec, sources), treatment: tw, reference: rw, state: st,
		look: i + 1, looks: max(1, spec.IntervalCount()), begin: sch.Begin}
	v := Verdict{Experiment: spec.Name, Kind: spec.Kind, Interval: i + 1, Intervals: sch.Count, Window: tw}
	if rw != tw && spec.Kind != KindSLO {
		v.BaselineWindow = &rw
	}
	comps := spec.Comparisons()
	for _, c := range comps {
		for _, m := range spec.Metrics {
			v.Metrics = append(v.Metrics, iv.metric(ctx, m, c))
		}
	}
	correct(iv, v.Metrics)
	if spec.SRM != nil {
		v.SRM = iv.srm(ctx)
	}
	th := judges.Thresholds{Pass: spec.Thresholds.Pass, Marginal: spec.Thresholds.Marginal}
	for _, c := range comps {
		var scored []judges.Scored
		for _, r := range v.Metrics {
			if r.Variant != c.Variant || r.DryRun {
				continue
			}
			scored = append(scored, judges.Scored{
				Name: r.Name, Classification: r.Classification, Weight: r.Weight, Critical: r.Critical,
				CriticalBreach: r.CriticalBreach, Group: r.Group, NoDataPolicy: noDataPolicy(spec, r.Name),
				MustHaveDataBreach: r.MustHaveDataBreach,
			})
		}
		s := judges.ScoreGroups(scored, th, decidingWeights(spec.GroupWeights, scored))
		if len(scored) == 0 {
			s = judges.Score{Outcome: judges.OutcomeInconclusive, Reason: "every metric is dry-run: nothing decides"}
		}
		vv := VariantVerdict{Variant: c.Variant, Verdict: s.Outcome, Score: scoreOf(s.Outcome, s.Score), Reason: s.Reason}
		if v.SRM != nil && v.SRM.Mismatch && (vv.Verdict == judges.OutcomePass || vv.Verdict == judges.OutcomeMarginal) {
			vv.Verdict, vv.Score = judges.OutcomeInconclusive, nil
			vv.Reason = "sample ratio mismatch: the traffic split is not as configured, so the comparison cannot be trusted; " + vv.Reason
		}
		v.Variants = append(v.Variants, vv)
	}
	worst := worstVariant(v.Variants)
	v.Verdict, v.Score, v.Reason = worst.Verdict, worst.Score, worst.Reason
	if len(v.Variants) > 1 {
		v.Reason = worst.Variant + ": " + worst.Reason
	}
	if len(v.Variants) == 0 {
		v.Verdict, v.Reason = judges.OutcomeError, "nothing to compare: no cohorts"
	}
	v.CompletedAt = time.Now().UTC()
	return v
}

func noDataPolicy(spec Spec, name string) judges.NoDataPolicy {
	for _, m := range spec.Metrics {
		if m.Name == name {
			return m.NoData
		}
	}
	return ""
}

// severity orders outcomes from best to worst.
var severity = map[judges.Outcome]int{
	judges.OutcomePass: 0, judges.OutcomeMarginal: 1, judges.OutcomeInconclusive: 2, judges.OutcomeError: 3, judges.OutcomeFail: 4,
}

func worstVariant(vs []VariantVerdict) VariantVerdict {
	var w VariantVerdict
	for i, v := range vs {
		if i == 0 || severity[v.Verdict] > severity[w.Verdict] || (v.Verdict == w.Verdict && scoreBelow(v.Score, w.Score)) {
			w = v
		}
	}
	return w
}

// scoreBelow orders scores, null last-but-lowest.
func scoreBelow(a, b *float64) bool {
	switch {
	case a == nil:
		return b != nil
	case b == nil:
		return false
	}
	return *a < *b
}

// correct adjusts the p-values of the interval's deciding tests (Mann–Whitney
// and proportion; not dry-run, not sequential, whose p-value is already
// always valid for its own stopping rule) for multiple comparisons, and
// clears a failure whose adjusted p-value is no longer significant.
func correct(iv *interval, rs []MetricResult) {
	spec := iv.spec
	if spec.Correction == CorrectionNone {
		return
	}
	var idx []int
	var ps []float64
	for i, r := range rs {
		if r.DryRun || r.PValue == nil || (r.Judge != JudgeMannWhitney && r.Judge != JudgeProportion) {
			continue
		}
		idx = append(idx, i)
		ps = append(ps, *r.PValue)
	}
	if len(ps) < 2 {
		return
	}
	adj, err := judges.Adjust(spec.Correction, ps)
	if err != nil {
		return
	}
	for k, i := range idx {
		r := &rs[i]
		r.AdjustedPValue = num(adj[k])
		alpha := iv.alpha(spec.metric(r.Name))
		if (r.Classification == judges.High || r.Classification == judges.Low) && adj[k] > alpha {
			r.Classification, r.CriticalBreach = judges.Pass, false
			r.Reason += fmt.Sprintf("; not significant after %s correction over %d tests (adjusted p = %.3g > %.3g)", spec.Correction, len(ps), adj[k], alpha)
		}
	}
}

func (s Spec) metric(name string) MetricSpec {
	for _, m := range s.Metrics {
		if m.Name == name {
			return m
		}
	}
	return MetricSpec{}
}

// srm counts each abn cohort's units and tests them against the split.
func (iv *interval) srm(ctx context.Context) *SRMResult {
	s := iv.spec.SRM
	c := iv.spec.Cohorts
	names := append([]string{"control"}, sortedKeys(c.Variants)...)
	res := &SRMResult{Observed: map[string]int64{}, Expected: map[string]float64{}}
	var obs []int64
	var weights []float64
	m := MetricSpec{Source: s.Source, Kind: KindCounts}
	for _, n := range names {
		co, w := c.Variants[n], iv.treatment
		if n == "control" {
			co, w = *c.Control, iv.reference
		}
		series, err := iv.f.fetch(ctx, s.Source, iv.query(s.Query, m, co, w))
		if err != nil {
			res.Error = fmt.Sprintf("%s: %v", n, err)
			return res
		}
		k := roundCount(total(series))
		res.Observed[n] = k
		obs = append(obs, k)
		weights = append(weights, s.Split[n])
	}
	r, err := judges.SampleRatioMismatchAt(obs, weights, s.PValue)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	for i, name := range names {
		if i < len(r.Expected) {
			res.Expected[name] = r.Expected[i]
		}
	}
	res.PValue, res.Mismatch = num(r.PValue), r.Mismatch
	return res
}

// decidingWeights keeps the weights of the groups that have a deciding
// metric: a group made only of dry-run metrics takes no part in the score.
func decidingWeights(gw map[string]float64, scored []judges.Scored) map[string]float64 {
	if len(gw) == 0 {
		return gw
	}
	out := make(map[string]float64, len(gw))
	for _, m := range scored {
		if w, ok := gw[m.Group]; ok {
			out[m.Group] = w
		}
	}
	return out
}
