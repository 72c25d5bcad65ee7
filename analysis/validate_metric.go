package analysis

import (
	"strings"
	"time"

	"github.com/augurhq/augur/judges"
)

func (s Spec) validateMetric(v *validator, field string, m MetricSpec, names map[string]bool) {
	add := func(sub, format string, a ...any) { v.add(field+"."+sub, format, a...) }
	switch {
	case strings.TrimSpace(m.Name) == "":
		add("name", "must not be empty")
	case names[m.Name]:
		add("name", "duplicate metric name %q", m.Name)
	}
	names[m.Name] = true
	srcType := s.sourceType(m.Source)
	if srcType == "" && m.Source != "" {
		// Defined by the server: checked when the run starts.
		srcType = "server"
	}
	for _, q := range []struct{ sub, expr string }{{"query", m.Query}, {"total_query", m.TotalQuery}} {
		if q.expr == "" {
			continue
		}
		if !strings.Contains(q.expr, CohortPlaceholder) {
			add(q.sub, "must contain %s where the cohort's label matchers go", CohortPlaceholder)
			continue
		}
		if srcType == SourceEmbedded || srcType == SourcePrometheus {
			expr := renderTimes(renderWindow(RenderQuery(q.expr, `__cohort__="x"`), 0), TimeRange{Start: time.Unix(0, 0), End: time.Unix(60, 0)})
			expr = strings.ReplaceAll(expr, "[0s]", "[1m]")
			if _, err := promQL.ParseExpr(expr); err != nil {
				add(q.sub, "invalid PromQL: %v", err)
			}
		}
	}
	if m.Query == "" {
		add("query", "must not be empty")
	}
	if m.Weight < 0 {
		add("weight", "must be positive, got %g", m.Weight)
	}
	switch m.NoData {
	case "", judges.NoDataInconclusive, judges.NoDataFail, judges.NoDataIgnore:
	default:
		add("no_data", "must be inconclusive, fail or ignore, got %q", m.NoData)
	}
	switch m.Kind {
	case KindPoints, KindSamples, KindHistogram, KindCounts, KindLogPatterns:
	default:
		add("kind", "must be points, samples, histogram, counts or logpatterns, got %q", m.Kind)
	}
	if srcType == SourceJaeger && m.Kind != KindSamples {
		add("kind", "a jaeger source returns per-request durations: use kind samples")
	}
	if m.TotalQuery != "" && m.Judge.Type != JudgeProportion && m.Judge.Type != JudgePatterns && !(m.Judge.Type == JudgeSequential && m.Kind == KindCounts) {
		add("total_query", "belongs to the proportion and patterns judges, and to the sequential judge on counts")
	}
	if s.Kind == KindSLO && m.Judge.Type != JudgeThreshold {
		add("judge.type", "an slo experiment judges its target against thresholds: use the threshold judge")
	}
	if s.Kind == KindSLO && m.Judge.Relative {
		add("judge.relative", "an slo experiment has no baseline to be relative to")
	}
	s.validateUnit(add, m)
	j := m.Judge
	// The judges' own checks would repeat a number validateFinite refused.
	finite := j.finite(&validator{}, "")
	kindOK := func(kinds ...string) {
		for _, k := range kinds {
			if m.Kind == k {
				return
			}
		}
		add("kind", "the %s judge reads %s data, got %q", j.Type, strings.Join(kinds, " or "), m.Kind)
	}
	switch j.Type {
	case JudgeMannWhitney:
		kindOK(KindPoints, KindSamples, KindHistogram)
		validateDirection(add, j.Direction)
		if j.Confidence < 0 || j.Confidence >= 1 {
			add("judge.confidence", "must be within (0, 1), got %g", j.Confidence)
		} else if err := m.mannWhitneyConfig().Validate(); finite && err != nil {
			add("judge", "%v", err)
		}
		if j.Aggregate != "" || j.Lower != nil || j.Upper != nil || j.Relative {
			add("judge", "aggregate, lower, upper and relative belong to the threshold judge")
		}
	case JudgeThreshold:
		kindOK(KindPoints, KindSamples, KindCounts)
		if err := m.thresholdConfig().Validate(); finite && err != nil {
			add("judge", "%v", err)
		}
		if j.Direction != "" || j.AllowedIncrease != 0 || j.AllowedDecrease != 0 || j.CriticalIncrease != 0 || j.CriticalDecrease != 0 ||
			j.Confidence != 0 || j.EffectMeasure != "" || j.NaNStrategy != "" || j.Outliers != "" || j.OutlierFactor != 0 {
			add("judge", "direction, confidence, effect sizes, nan_strategy and outliers belong to the mannwhitney judge")
		}
	case JudgeProportion:
		kindOK(KindCounts)
		validateDirection(add, j.Direction)
		if m.TotalQuery == "" {
			add("total_query", "the proportion judge needs total_query (the trials; query counts the failures)")
		}
		if j.Confidence < 0 || j.Confidence >= 1 {
			add("judge.confidence", "must be within (0, 1), got %g", j.Confidence)
		}
		switch j.Test {
		case "fisher", "z", "yates":
		default:
			add("judge.test", "must be fisher, z or yates, got %q", j.Test)
		}
	case JudgeSequential:
		kindOK(KindPoints, KindSamples, KindCounts, KindHistogram)
		validateDirection(add, j.Direction)
		s.validateSequential(add, m)
		if j.Alpha != 0 && !(j.Alpha > 0 && j.Alpha < 1) {
			add("judge.alpha", "must be within (0, 1), got %g", j.Alpha)
		}
		if j.Tau2 < 0 {
			add("judge.tau2", "must not be negative")
		}
	case JudgePatterns:
		kindOK(KindLogPatterns)
		s.validateLogPatterns(add, m, srcType)
	case "":
		add("judge.type", "must be set: mannwhitney, threshold, proportion, sequential or patterns")
	default:
		add("judge.type", "unknown judge %q: want mannwhitney, threshold, proportion, sequential or patterns", j.Type)
	}
}

func validateDirection(add func(sub, format string, a ...any), d judges.Direction) {
	switch d {
	case judges.Increase, judges.Decrease, judges.Either:
	default:
		add("judge.direction", "must be increase, decrease or either, got %q", d)
	}
}
