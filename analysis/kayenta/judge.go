package kayenta

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

// Kayenta's (and augur's) judge vocabulary.
const (
	dirIncrease      = "increase"
	dirDecrease      = "decrease"
	dirEither        = "either"
	nanRemove        = "remove"
	nanReplace       = "replace"
	outliersKeep     = "keep"
	outliersRemove   = "remove"
	measureMeanRatio = "meanRatio"
	measureCLES      = "cles"
)

// Kayenta's default effect-size bounds: 1 for meanRatio, 0.5 for cles.
const (
	defaultMeanRatioBound = 1.0
	defaultCLESBound      = 0.5
)

// judge maps a metric's analysisConfigurations onto m (the judge, critical,
// must_have_data, dry_run). path is "metrics[i]".
func (d *decoder) judge(path string, cfgs map[string]json.RawMessage, m *analysis.MetricSpec) error {
	var c canaryAnalysis
	for _, k := range sortedKeys(cfgs) {
		if k != "canary" {
			d.warn("%s.analysisConfigurations.%s: not used by the import; ignored", path, k)
		}
	}
	p := path + ".analysisConfigurations.canary"
	err := d.optional(p, cfgs["canary"], &c, "direction", "nanStrategy", "critical", "mustHaveData", "muted", "effectSize", "outliers")
	if err != nil {
		return err
	}
	j := analysis.JudgeSpec{Type: analysis.JudgeMannWhitney}
	set(&j.Direction, d.enum(p+".direction", c.Direction, dirEither, dirIncrease, dirDecrease, dirEither))
	set(&j.NaNStrategy, d.enum(p+".nanStrategy", c.NaNStrategy, nanRemove, nanRemove, nanReplace))
	var o outliers
	if err := d.optional(p+".outliers", c.Outliers, &o, "strategy", "outlierFactor"); err != nil {
		return err
	}
	set(&j.Outliers, d.enum(p+".outliers.strategy", o.Strategy, outliersKeep, outliersKeep, outliersRemove))
	if o.OutlierFactor != nil {
		j.OutlierFactor = *o.OutlierFactor
	}
	var e effectSize
	err = d.optional(p+".effectSize", c.EffectSize, &e, "allowedIncrease", "allowedDecrease", "criticalIncrease", "criticalDecrease", "measure")
	if err != nil {
		return err
	}
	set(&j.EffectMeasure, d.enum(p+".effectSize.measure", e.Measure, measureMeanRatio, measureMeanRatio, measureCLES))
	j.AllowedIncrease, j.AllowedDecrease = deref(e.AllowedIncrease), deref(e.AllowedDecrease)
	bound := defaultMeanRatioBound
	if j.EffectMeasure == measureCLES {
		bound = defaultCLESBound
	}
	switch {
	case !c.Critical:
		if e.CriticalIncrease != nil {
			d.warn("%s.effectSize.criticalIncrease: Kayenta applies critical bounds to critical metrics only; dropped", p)
		}
		if e.CriticalDecrease != nil {
			d.warn("%s.effectSize.criticalDecrease: Kayenta applies critical bounds to critical metrics only; dropped", p)
		}
	case e.CriticalIncrease == nil && e.CriticalDecrease == nil:
		// Kayenta's default bounds make every High or Low of a critical
		// metric critical: augur's critical metric.
		m.Critical = true
	default:
		// Only a failure beyond a bound is critical; the other direction
		// keeps Kayenta's default bound, clamped to the allowed one.
		inc, dec := j.AllowedIncrease, j.AllowedDecrease
		if inc == 0 {
			inc = bound
		}
		if dec == 0 {
			dec = bound
		}
		j.CriticalIncrease, j.CriticalDecrease = max(bound, inc), min(bound, dec)
		if e.CriticalIncrease != nil {
			j.CriticalIncrease = *e.CriticalIncrease
		}
		if e.CriticalDecrease != nil {
			j.CriticalDecrease = *e.CriticalDecrease
		}
		if j.Direction == dirIncrease {
			j.CriticalDecrease = 0
		}
		if j.Direction == dirDecrease {
			j.CriticalIncrease = 0
		}
		d.warn("%s.critical: with critical bounds, imported as critical_increase/critical_decrease: only a failure beyond them fails the run, as in Kayenta", p)
	}
	// Kayenta's semantics: the pooled test over every point at its own
	// two-sided 98 % interval, no share of a run budget, no spending.
	j.Kayenta, j.Confidence = true, judges.DefaultConfidence
	m.ClusterBy = analysis.ClusterNone
	m.Judge = j
	// A critical metric without data fails a Kayenta canary unless NaNs
	// are replaced (then no data passes).
	m.MustHaveData = c.MustHaveData || (c.Critical && j.NaNStrategy == nanRemove)
	m.DryRun = c.Muted
	return nil
}

// enum returns v if it is one of allowed, def if v is empty, and def with
// a warning otherwise (Kayenta's parsers fall back the same way).
func (d *decoder) enum(path, v, def string, allowed ...string) string {
	if v == "" {
		return def
	}
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	d.warn("%s %s: not one of %s; Kayenta reads it as %s", path, v, strings.Join(allowed, ", "), def)
	return def
}

// groupWeights maps classifier.groupWeights onto the imported metrics'
// groups: unused groups are dropped and unweighted groups get Kayenta's
// share of the rest.
func (d *decoder) groupWeights(weights map[string]float64, metrics []analysis.MetricSpec) (map[string]float64, error) {
	if len(weights) == 0 {
		return nil, nil
	}
	used := map[string]bool{}
	var unweighted []string
	for _, m := range metrics {
		if _, ok := weights[m.Group]; !ok && !used[m.Group] {
			unweighted = append(unweighted, m.Group)
		}
		used[m.Group] = true
	}
	out := map[string]float64{}
	sum := 0.0
	for _, g := range sortedKeys(weights) {
		w := weights[g]
		sum += w
		if !used[g] {
			d.warn("classifier.groupWeights.%s: no imported metric is in this group; dropped (augur's weights are relative)", g)
			continue
		}
		if !(w > 0) {
			return nil, fmt.Errorf("classifier.groupWeights.%s: weight %g: augur weighs groups with positive weights; give it one or drop its metrics", g, w)
		}
		out[g] = w
	}
	for _, g := range unweighted {
		share := (100 - sum) / float64(len(unweighted))
		if !(share > 0) {
			return nil, fmt.Errorf("classifier.groupWeights: group %q has no weight and the others already sum to %g", g, sum)
		}
		d.warn("classifier.groupWeights.%s: not given; Kayenta's share of the rest is %g", g, share)
		out[g] = share
	}
	return out, nil
}

// set assigns a string to a field of a named string type (judge enums).
func set[T ~string](dst *T, v string) { *dst = T(v) }

func deref(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// optional decodes an optional nested object (absent or null: nothing).
func (d *decoder) optional(path string, raw json.RawMessage, v any, used ...string) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return d.object(path, raw, v, used, nil)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
