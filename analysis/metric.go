package analysis

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/augurhq/augur/judges"
)

// interval is one interval's evaluation in progress.
type interval struct {
	// begin is the run's analysis start: sequential judges on counts and
	// histograms read everything since it at every look.
	begin                time.Time
	spec                 Spec
	f                    *fetcher
	treatment, reference TimeRange
	state                *RunState
	// look is this interval (1-based) of looks planned: fixed-sample
	// tests spend Spec.LookAlpha at it.
	look, looks int
}

// cohortQuery renders a metric query for one cohort and window.
func (iv *interval) query(tmpl string, m MetricSpec, c Cohort, w TimeRange) Query {
	expr := iv.render(tmpl, m, c, w)
	switch m.Kind {
	case KindHistogram, KindCounts, KindLogPatterns:
		return Query{Expr: expr, Start: w.Start, End: w.End}
	default:
		return Query{Expr: expr, Start: w.Start, End: w.End, Step: iv.spec.metricStep(m)}
	}
}

// fetchBoth fetches a query for the treatment and, unless slo, the
// reference. A failure of either is returned with the side named.
func (iv *interval) fetchBoth(ctx context.Context, tmpl string, m MetricSpec, c Comparison, tw, rw TimeRange) (ref, treat []Series, refQ, treatQ string, err error) {
	tq := iv.query(tmpl, m, c.Treatment, tw)
	treatQ = tq.Expr
	var errR, errT error
	treat, errT = iv.f.fetch(ctx, m.Source, tq)
	if c.Reference != nil {
		rq := iv.query(tmpl, m, *c.Reference, rw)
		refQ = rq.Expr
		ref, errR = iv.f.fetch(ctx, m.Source, rq)
	}
	switch {
	case errR != nil && errT != nil:
		err = fmt.Errorf("%s: %v; %s: %v", c.ReferenceName, errR, c.Variant, errT)
	case errR != nil:
		err = fmt.Errorf("%s: %w", c.ReferenceName, errR)
	case errT != nil:
		err = fmt.Errorf("%s: %w", c.Variant, errT)
	}
	return ref, treat, refQ, treatQ, err
}

func (iv *interval) metric(ctx context.Context, m MetricSpec, c Comparison) (r MetricResult) {
	r = MetricResult{Name: m.Name, Variant: c.Variant, Judge: m.Judge.Type, Kind: m.Kind, Weight: m.Weight,
		Critical: m.Critical, Group: m.Group, DryRun: m.DryRun, Primary: m.Primary}
	tw, rw := iv.treatment, iv.reference
	if m.Judge.Type == JudgeSequential {
		tw, rw = iv.sequentialWindows(c.Variant, m)
	}
	ref, treat, refQ, treatQ, err := iv.fetchBoth(ctx, m.Query, m, c, tw, rw)
	r.Baseline.Query, r.Canary.Query = refQ, treatQ
	if err == nil { // coverage.go: stale repeats out; a thin or stopped cohort never passes
		var gap string
		ref, treat, gap, err = iv.coverage(ctx, m, c, ref, treat, tw, rw)
		defer func() { r = withCoverageGap(r, gap) }()
	}
	if err == nil && m.TotalQuery != "" {
		var rt, tt []Series
		rt, tt, _, _, err = iv.fetchBoth(ctx, m.TotalQuery, m, c, tw, rw)
		if err == nil && m.Kind == KindLogPatterns {
			return iv.logPatterns(ctx, r, m, ref, treat, rt, tt)
		}
		if err == nil && m.Judge.Type == JudgeSequential {
			return iv.sequentialCounts(r, m, c.Variant, tw, ref, treat, rt, tt)
		}
		if err == nil {
			return iv.proportion(r, m, ref, treat, rt, tt)
		}
	}
	if err != nil {
		r.Classification, r.Error = judges.Error, err.Error()
		r.Reason = "source error, not judged: " + r.Error
		return r
	}
	var jr judges.MetricResult
	switch {
	case m.Kind == KindHistogram && m.Judge.Type == JudgeSequential:
		return iv.sequentialQuantiles(r, m, c.Variant, tw, ref, treat)
	case m.Kind == KindHistogram:
		jr = iv.histogram(&r, m, ref, treat)
	case m.Judge.Type == JudgeMannWhitney:
		jr = iv.points(&r, m, ref, treat)
	case m.Judge.Type == JudgeThreshold:
		canary, baseline := Values(treat), Values(ref)
		if m.Kind == KindCounts {
			canary, baseline = sumOrEmpty(canary), sumOrEmpty(baseline)
		}
		r.Baseline, r.Canary = summarize(refQ, baseline), summarize(treatQ, canary)
		if m.Judge.Relative {
			jr = judges.ClassifyThresholdRelative(canary, baseline, m.thresholdConfig())
		} else {
			jr = judges.ClassifyThreshold(canary, m.thresholdConfig())
		}
		if t := jr.Threshold; t != nil {
			r.Aggregate = num(t.Value)
		}
	case m.Judge.Type == JudgeSequential:
		canary, baseline := Values(treat), Values(ref)
		r.Baseline, r.Canary = summarize(refQ, baseline), summarize(treatQ, canary)
		return iv.sequential(r, m, c.Variant, tw, canary, baseline)
	default:
		jr = judges.MetricResult{Classification: judges.Error, Reason: fmt.Sprintf("judge %q cannot read %s data", m.Judge.Type, m.Kind)}
	}
	if mw := jr.MannWhitney; mw != nil {
		r.Shift, r.CILow, r.CIHigh = num(mw.Estimate), num(mw.CILow), num(mw.CIHigh)
		r.Confidence, r.MeanRatio = num(mw.Confidence), num(mw.MeanRatio)
		if r.PValue == nil { // the pooled fallback set its one-sided, autocorrelation-aware p
			r.PValue = num(mw.PValue)
		}
	}
	r.Classification, r.Reason, r.CriticalBreach = jr.Classification, jr.Reason, jr.Critical
	r.MustHaveDataBreach = jr.MustHaveDataBreach
	return r
}

func sumOrEmpty(xs []float64) []float64 {
	if len(xs) == 0 {
		return nil
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return []float64{s}
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
