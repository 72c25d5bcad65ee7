package analysis

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strings"

	"github.com/augurhq/augur/judges"
)

// Validate reports every invalid field, naming it (metrics[2].judge.type:
// ...).
func (s Spec) Validate() error {
	v := &validator{}
	if s.APIVersion != APIVersion {
		v.add("apiVersion", "must be %s, got %q", APIVersion, s.APIVersion)
	}
	if strings.TrimSpace(s.Name) == "" {
		v.add("name", "must not be empty")
	}
	for _, name := range sortedKeys(s.Sources) {
		if name == DefaultSource && s.Sources[name].Type != SourceEmbedded {
			v.add("sources."+name, "the name embedded is reserved for the built-in store")
		}
		v.err(s.Sources[name].Validate("sources." + name))
	}
	s.validateLabels(v)
	s.validateFinite(v)
	s.validateText(v)
	s.validateCohorts(v)
	s.Timing.validate(v, s.Limits)
	s.Limits.validate(v)
	s.validateStep(v)
	s.validateCoverage(v)
	s.validateBudget(v)
	if !(s.Thresholds.Pass >= 0 && s.Thresholds.Pass <= 100) {
		v.add("thresholds.pass", "must be within 0..100, got %g", s.Thresholds.Pass)
	}
	if !v.nonFinite["thresholds.pass"] && !(s.Thresholds.Marginal >= 0 && s.Thresholds.Marginal <= s.Thresholds.Pass) {
		v.add("thresholds.marginal", "must be within 0..thresholds.pass (%g), got %g", s.Thresholds.Pass, s.Thresholds.Marginal)
	}
	switch s.Correction {
	case CorrectionNone, judges.AdjustBonferroni, judges.AdjustHolm, judges.AdjustHochberg, judges.AdjustBH, judges.AdjustBY:
	default:
		v.add("correction", "must be none, bh, by, holm, hochberg or bonferroni, got %q", s.Correction)
	}
	s.validateSRM(v)
	s.validateAbortOnAlert(v)
	if len(s.Metrics) == 0 {
		v.add("metrics", "at least one metric is required")
	}
	names := map[string]bool{}
	groups := map[string]bool{}
	primaries := 0
	for i, m := range s.Metrics {
		s.validateMetric(v, fmt.Sprintf("metrics[%d]", i), m, names)
		groups[m.Group] = true
		if m.Primary {
			primaries++
		}
	}
	switch {
	case s.Kind == KindABN && primaries != 1:
		v.add("metrics", "an abn experiment needs exactly one primary metric, got %d", primaries)
	case s.Kind != KindABN && primaries > 0:
		v.add("metrics", "primary metrics belong to abn experiments")
	}
	for _, g := range sortedKeys(s.GroupWeights) {
		w := s.GroupWeights[g]
		if !(w > 0) || math.IsInf(w, 0) {
			v.add("group_weights."+g, "must be a positive number, got %g", w)
		}
		if !groups[g] {
			v.add("group_weights."+g, "no metric is in group %q", g)
		}
	}
	if len(s.GroupWeights) > 0 {
		for i, m := range s.Metrics {
			if _, ok := s.GroupWeights[m.Group]; !ok {
				v.add(fmt.Sprintf("metrics[%d].group", i), "group %q has no weight in group_weights", m.Group)
			}
		}
	}
	if len(s.Webhooks) > MaxWebhooks {
		v.add("webhooks", "at most %d webhook URLs, got %s", MaxWebhooks, thousands(int64(len(s.Webhooks))))
	}
	for i, w := range s.Webhooks[:min(len(s.Webhooks), MaxWebhooks)] {
		u, err := url.Parse(w)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.add(fmt.Sprintf("webhooks[%d]", i), "must be an absolute http(s) URL, got %q", w)
		}
	}
	return errors.Join(v.errs...)
}

// validator collects the errors of one spec. A field found not to be a
// finite number is reported once, by validateFinite: further checks of it
// are dropped.
type validator struct {
	errs      []error
	nonFinite map[string]bool
}

func (v *validator) add(field, format string, a ...any) {
	if v.nonFinite[field] {
		return
	}
	v.errs = append(v.errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, a...)))
}

// finite reports whether x is a finite number, and names the field when it
// is not (±Inf and NaN have no JSON form: a spec holding one could not be
// stored).
func (v *validator) finite(field string, x float64) bool {
	if !math.IsNaN(x) && !math.IsInf(x, 0) {
		return true
	}
	v.add(field, "must be a finite number, got %g", x)
	if v.nonFinite == nil {
		v.nonFinite = map[string]bool{}
	}
	v.nonFinite[field] = true
	return false
}

// validateFinite checks every number a spec carries.
func (s Spec) validateFinite(v *validator) {
	v.finite("thresholds.pass", s.Thresholds.Pass)
	v.finite("thresholds.marginal", s.Thresholds.Marginal)
	for _, g := range sortedKeys(s.GroupWeights) {
		v.finite("group_weights."+g, s.GroupWeights[g])
	}
	if s.SRM != nil {
		for _, n := range sortedKeys(s.SRM.Split) {
			v.finite("srm.split."+n, s.SRM.Split[n])
		}
		v.finite("srm.p_value", s.SRM.PValue)
	}
	for i, m := range s.Metrics {
		field := fmt.Sprintf("metrics[%d]", i)
		v.finite(field+".weight", m.Weight)
		m.Judge.finite(v, field+".judge")
	}
}

// finite checks the judge's numbers and reports whether all are finite.
func (j JudgeSpec) finite(v *validator, field string) bool {
	ok := true
	for _, n := range []struct {
		name string
		x    *float64
	}{
		{"confidence", &j.Confidence}, {"allowed_increase", &j.AllowedIncrease}, {"allowed_decrease", &j.AllowedDecrease},
		{"critical_increase", &j.CriticalIncrease}, {"critical_decrease", &j.CriticalDecrease},
		{"outlier_factor", &j.OutlierFactor}, {"lower", j.Lower}, {"upper", j.Upper}, {"alpha", &j.Alpha}, {"tau2", &j.Tau2},
	} {
		if n.x != nil && !v.finite(field+"."+n.name, *n.x) {
			ok = false
		}
	}
	return ok
}

func (v *validator) err(err error) {
	if err != nil {
		v.errs = append(v.errs, err)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// sourceType returns the type of a named source: spec-defined, or embedded.
// Sources the server defines are unknown here ("").
func (s Spec) sourceType(name string) string {
	if src, ok := s.Sources[name]; ok {
		return src.Type
	}
	if name == DefaultSource {
		return SourceEmbedded
	}
	return ""
}

func (s Spec) validateCohorts(v *validator) {
	c := s.Cohorts
	want := map[string]bool{}
	switch s.Kind {
	case KindCanary:
		want["baseline"], want["canary"] = true, true
	case KindABN:
		want["control"], want["variants"] = true, true
	case KindSLO:
		want["target"] = true
	default:
		v.add("kind", "must be canary, abn or slo, got %q", s.Kind)
		return
	}
	given := map[string]*Cohort{"baseline": c.Baseline, "canary": c.Canary, "control": c.Control, "target": c.Target}
	for _, name := range []string{"baseline", "canary", "control", "target"} {
		co := given[name]
		switch {
		case want[name] && co == nil:
			v.add("cohorts."+name, "must be set for a %s experiment", s.Kind)
		case !want[name] && co != nil:
			v.add("cohorts."+name, "does not belong to a %s experiment", s.Kind)
		case co != nil:
			s.validateCohort(v, "cohorts."+name, *co)
		}
	}
	switch {
	case want["variants"] && len(c.Variants) == 0:
		v.add("cohorts.variants", "an abn experiment needs at least one variant")
	case !want["variants"] && len(c.Variants) > 0:
		v.add("cohorts.variants", "does not belong to a %s experiment", s.Kind)
	}
	for _, n := range sortedKeys(c.Variants) {
		if n == "control" {
			v.add("cohorts.variants."+n, "the name control is the control cohort's")
		}
		s.validateCohort(v, "cohorts.variants."+n, c.Variants[n])
	}
	if c.Baseline != nil && c.Canary != nil && c.Baseline.Selector == c.Canary.Selector && len(c.Canary.Selectors) == 0 {
		v.add("cohorts.canary", "must differ from the baseline")
	}
}

func (s Spec) validateCohort(v *validator, field string, c Cohort) {
	if strings.TrimSpace(c.Selector) == "" {
		v.add(field+".selector", "must not be empty: give label matchers such as service_version=\"v1\"")
	} else if _, err := promQL.ParseMetricSelector("{" + c.Selector + "}"); err != nil {
		v.add(field+".selector", "invalid label matchers %q: %v", c.Selector, err)
	}
	for _, src := range sortedKeys(c.Selectors) {
		if _, err := promQL.ParseMetricSelector("{" + c.Selectors[src] + "}"); err != nil {
			v.add(field+".selectors."+src, "invalid label matchers %q: %v", c.Selectors[src], err)
		}
	}
}

func (l Limits) validate(v *validator) {
	if l.Count < 0 || l.Count > MaxIntervals {
		v.add("limits.count", "must be within 0..%s intervals per run, got %s", thousands(MaxIntervals), thousands(int64(l.Count)))
	}
	if l.FailureLimit < 0 {
		v.add("limits.failure_limit", "must not be negative")
	}
	if l.InconclusiveLimit != nil && *l.InconclusiveLimit < 0 {
		v.add("limits.inconclusive_limit", "must not be negative")
	}
	if l.ConsecutiveErrorLimit != nil && *l.ConsecutiveErrorLimit < 0 {
		v.add("limits.consecutive_error_limit", "must not be negative")
	}
}

func (s Spec) validateSRM(v *validator) {
	if s.SRM == nil {
		return
	}
	if s.Kind != KindABN {
		v.add("srm", "belongs to abn experiments")
		return
	}
	if !strings.Contains(s.SRM.Query, CohortPlaceholder) {
		v.add("srm.query", "must contain %s", CohortPlaceholder)
	}
	names := append([]string{"control"}, sortedKeys(s.Cohorts.Variants)...)
	for _, n := range names {
		if w, ok := s.SRM.Split[n]; !ok || !(w > 0) || math.IsInf(w, 0) {
			v.add("srm.split."+n, "every cohort needs a positive share")
		}
	}
	for n := range s.SRM.Split {
		if _, ok := s.Cohorts.Variants[n]; !ok && n != "control" {
			v.add("srm.split."+n, "no such cohort")
		}
	}
	if !(s.SRM.PValue > 0 && s.SRM.PValue < 1) {
		v.add("srm.p_value", "must be within (0, 1), got %g", s.SRM.PValue)
	}
}
