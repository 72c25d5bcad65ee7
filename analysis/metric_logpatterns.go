package analysis

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/augurhq/augur/judges"
)

// LabelPatternID is the label that names a log pattern in a logpatterns
// metric's series.
const LabelPatternID = "pattern_id"

// PatternResult is one failing log pattern of a logpatterns result.
// Statistics that do not exist are null.
type PatternResult struct {
	ID string `json:"pattern_id"`
	// Template is the pattern's text, variable parts as <*> (empty when no
	// catalog knows the pattern).
	Template string `json:"template,omitempty"`
	// New: the baseline has no event of the pattern in the window.
	New           bool  `json:"new"`
	CanaryCount   int64 `json:"canary_count"`
	BaselineCount int64 `json:"baseline_count"`
	// CanaryRate and BaselineRate are events per unit of exposure
	// (total_query); RateRatio is their ratio (null for a new pattern).
	CanaryRate     *float64 `json:"canary_rate"`
	BaselineRate   *float64 `json:"baseline_rate"`
	RateRatio      *float64 `json:"rate_ratio"`
	PValue         *float64 `json:"p_value"`
	AdjustedPValue *float64 `json:"adjusted_p_value"`
	// Examples are recent lines of the pattern from the judged cohort's own
	// records, with their trace IDs.
	Examples []PatternExample `json:"examples,omitempty"`
	// Note qualifies the examples or says why there are none.
	Note string `json:"note,omitempty"`
}

// logPatterns judges every log pattern of the comparison at once (see
// judgePatterns) at the metric's share of the run's false-fail budget for
// this look, and fails (High) when any pattern is significantly more
// frequent in the treatment after the correction. A margin moves each
// pattern's null hypothesis only: the metric passes when no pattern fails,
// without the non-inferiority bound other judges require for a pass with
// a margin, since a rare or new pattern's rate is never bounded from a
// handful of lines. Testable patterns left untested (beyond
// MaxJudgedPatterns) make a metric that does not fail inconclusive.
func (iv *interval) logPatterns(ctx context.Context, r MetricResult, m MetricSpec, ref, treat, refTotal, treatTotal []Series) MetricResult {
	cc, errC := patternTotals(treat)
	bc, errB := patternTotals(ref)
	if errC != nil || errB != nil {
		r.Classification, r.Reason = judges.Error, fmt.Sprintf("%s: %v", r.Variant, errC)
		if errC == nil {
			r.Reason = fmt.Sprintf("baseline: %v", errB)
		}
		return r
	}
	ec, eb := total(treatTotal), total(refTotal)
	var sc, sb int64
	counts := make([]patternCount, 0, len(cc)+len(bc))
	for id, x := range cc {
		counts = append(counts, patternCount{ID: id, Canary: x, Baseline: bc[id]})
		sc += x
	}
	for id, y := range bc {
		if _, ok := cc[id]; !ok {
			counts = append(counts, patternCount{ID: id, Baseline: y})
		}
		sb += y
	}
	r.Canary.Count, r.Canary.Total = num(float64(sc)), num(ec)
	r.Baseline.Count, r.Baseline.Total = num(float64(sb)), num(eb)
	r.Canary.N, r.Baseline.N = int(roundCount(ec)), int(roundCount(eb))
	if ec > 0 && eb > 0 {
		r.CanaryRate, r.BaselineRate = num(float64(sc)/ec), num(float64(sb)/eb)
	}
	if !(ec > 0) || !(eb > 0) {
		r.Classification = judges.NoData
		r.Reason = fmt.Sprintf("no exposure (total_query: %s %g, baseline %g)", r.Variant, ec, eb)
		if m.MustHaveData {
			r.MustHaveDataBreach = true
			r.Reason += "; the metric must have data: fails the run"
		}
		return r
	}
	alpha := iv.spec.LookAlpha(m, iv.look, iv.looks)
	if !(alpha > 0) {
		r.Classification, r.Reason = judges.Error, "no false-fail budget left for this metric: the metrics' own judge.confidence take the run's whole confidence"
		return r
	}
	r.Confidence = num(1 - alpha)
	margin := 0.0
	if m.Judge.Margin != nil {
		margin = m.Judge.Margin.Value
	}
	j := judgePatterns(counts, ec, eb, alpha, margin, MaxJudgedPatterns)
	head := fmt.Sprintf("%d patterns (%s %d events per %.0f, baseline %d per %.0f)", len(j.Tests), r.Variant, sc, ec, sb, eb)
	if len(j.Tests) == 0 {
		r.Classification, r.Reason = judges.Pass, head+": no pattern events in either cohort"
		return r
	}
	minP, minAdj := math.Inf(1), math.Inf(1)
	for _, t := range j.Tests[:j.Judged] {
		minP, minAdj = min(minP, t.P), min(minAdj, t.Adjusted)
	}
	r.PValue, r.AdjustedPValue = num(minP), num(minAdj)
	test := fmt.Sprintf("one-sided exact binomial test per pattern, Holm over the %d testable of them at α = %.3g", j.Testable, alpha)
	if margin > 0 {
		test += fmt.Sprintf(", rate ratio margin %s", m.Judge.Margin)
	}
	if len(j.Failing) == 0 {
		r.Classification = judges.Pass
		r.Reason = fmt.Sprintf("%s: none more frequent in %s (%s", head, r.Variant, test)
		if j.Judged > 0 {
			r.Reason += fmt.Sprintf("; smallest adjusted p = %.3g", minAdj)
		}
		r.Reason += ")"
		if j.Testable > j.Judged {
			r.Classification = judges.Inconclusive
			r.Reason += fmt.Sprintf("; %d testable patterns beyond the %d with the most events were not judged, so the canary cannot pass", j.Testable-j.Judged, j.Judged)
		}
		return r
	}
	r.Classification = judges.High
	cat, _ := iv.f.sources.(PatternCatalog)
	if iv.spec.sourceType(m.Source) != SourceEmbedded {
		cat = nil
	}
	selector := patternSelector(r.Canary.Query)
	var named []string
	for k, i := range j.Failing {
		if k == MaxReportedPatterns {
			break
		}
		t := j.Tests[i]
		pr := PatternResult{ID: t.ID, New: t.Baseline == 0, CanaryCount: t.Canary, BaselineCount: t.Baseline,
			CanaryRate: num(float64(t.Canary) / ec), BaselineRate: num(float64(t.Baseline) / eb),
			PValue: num(t.P), AdjustedPValue: num(t.Adjusted)}
		if !pr.New {
			pr.RateRatio = num(float64(t.Canary) / ec / (float64(t.Baseline) / eb))
		}
		if cat != nil {
			info, found, err := cat.Pattern(ctx, t.ID, selector)
			switch {
			case err != nil:
				pr.Note = "examples unavailable: " + err.Error()
			case !found:
				pr.Note = "the pattern catalog no longer holds this pattern"
			default:
				pr.Template, pr.Examples, pr.Note = info.Template, info.Examples, info.Note
			}
		}
		r.Patterns = append(r.Patterns, pr)
		if k < 3 {
			named = append(named, describePattern(pr, r.Variant))
		}
	}
	r.Reason = fmt.Sprintf("%s: %d more frequent in %s (%s): %s", head, len(j.Failing), r.Variant, test, strings.Join(named, "; "))
	if len(j.Failing) > len(named) {
		r.Reason += fmt.Sprintf("; and %d more", len(j.Failing)-len(named))
	}
	if len(j.Failing) > MaxReportedPatterns {
		r.Reason += fmt.Sprintf(" (the result lists the %d most significant)", MaxReportedPatterns)
	}
	return r
}

// describePattern is one failing pattern in a reason.
func describePattern(p PatternResult, variant string) string {
	name := p.ID
	if p.Template != "" {
		name += fmt.Sprintf(" %q", p.Template)
	}
	vs := fmt.Sprintf("%d in %s vs %d in baseline", p.CanaryCount, variant, p.BaselineCount)
	switch {
	case p.New:
		vs += " (new)"
	case p.RateRatio != nil:
		vs += fmt.Sprintf(" (rate ×%.3g)", *p.RateRatio)
	}
	if p.AdjustedPValue != nil {
		vs += fmt.Sprintf(", adjusted p = %.3g", *p.AdjustedPValue)
	}
	return name + ": " + vs
}

// patternTotals sums each pattern's events over the series that carry its
// pattern_id (NaN and negative values count as none) and rounds them to
// whole events (increase() extrapolates).
func patternTotals(series []Series) (map[string]int64, error) {
	sums := map[string]float64{}
	for _, s := range series {
		id, ok := s.Labels[LabelPatternID]
		if !ok || id == "" {
			return nil, fmt.Errorf("series %v has no %s label: a logpatterns query must keep it, e.g. sum by (%s) (increase(augur_log_pattern_records_total{${cohort}}[${window}]))", s.Labels, LabelPatternID, LabelPatternID)
		}
		for _, p := range s.Points {
			if p.V > 0 {
				sums[id] += p.V
			}
		}
	}
	out := make(map[string]int64, len(sums))
	for id, v := range sums {
		out[id] = roundCount(v)
	}
	return out, nil
}

// patternSelector is the label matchers (without braces and the metric
// name) of the first series selector of a rendered PromQL query: the
// records a catalog should draw a cohort's examples from. "" when the
// query does not parse.
func patternSelector(expr string) string {
	e, err := promQL.ParseExpr(expr)
	if err != nil {
		return ""
	}
	var vs *parser.VectorSelector
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if v, ok := n.(*parser.VectorSelector); ok && vs == nil {
			vs = v
		}
		return nil
	})
	if vs == nil {
		return ""
	}
	ms := make([]string, 0, len(vs.LabelMatchers))
	for _, lm := range vs.LabelMatchers {
		if lm.Name != model.MetricNameLabel {
			ms = append(ms, lm.String())
		}
	}
	sort.Strings(ms)
	return strings.Join(ms, ",")
}
