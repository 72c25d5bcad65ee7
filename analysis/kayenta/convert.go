package kayenta

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/augurhq/augur/analysis"
)

// Convert imports a Kayenta canary config as an augur/v1 canary spec. The
// warnings name what the config says that the spec cannot (skipped
// metrics, ignored fields, fallbacks). The spec is returned as converted,
// without defaults; it passes Validate once SetDefaults has filled them.
// When it does not, the error names the invalid fields and the spec is
// returned with it, so that a user can see what to fix.
func Convert(config []byte, opts Options) (analysis.Spec, []string, error) {
	d := &decoder{warnings: []string{}}
	spec, err := d.convert(config, opts)
	if err != nil {
		return analysis.Spec{}, d.warnings, fmt.Errorf("kayenta import: %w", err)
	}
	check := spec
	check.Metrics = slices.Clone(spec.Metrics)
	check.SetDefaults()
	if err := check.Validate(); err != nil {
		return spec, d.warnings, fmt.Errorf("kayenta import: the converted spec is invalid: %w", err)
	}
	return spec, d.warnings, nil
}

func (d *decoder) convert(config []byte, opts Options) (analysis.Spec, error) {
	if (opts.Baseline == nil) != (opts.Canary == nil) {
		return analysis.Spec{}, errors.New("give both baseline and canary selectors, or neither")
	}
	cfg, err := d.parseConfig(config)
	if err != nil {
		return analysis.Spec{}, err
	}
	spec := analysis.Spec{
		APIVersion:  analysis.APIVersion,
		Kind:        analysis.KindCanary,
		Name:        cmp.Or(opts.Name, cfg.Name),
		Description: cfg.Description,
		Thresholds:  thresholds(opts, cfg),
	}
	c := cohortBuilder{explicit: opts.Baseline != nil}
	var used []ScopePair
	for i, raw := range cfg.Metrics {
		m, pair, ok, err := d.metric(i, raw, cfg, opts, &c)
		if err != nil {
			return analysis.Spec{}, err
		}
		if !ok {
			continue
		}
		spec.Metrics = append(spec.Metrics, m)
		if pair != nil {
			used = append(used, *pair)
		}
	}
	spec.Metrics = d.dropLoneDryRuns(spec.Metrics, classifierWeights(cfg))
	if len(spec.Metrics) == 0 {
		return analysis.Spec{}, errors.New("metrics: no prometheus metric to import")
	}
	spec.Cohorts.Baseline, spec.Cohorts.Canary = opts.Baseline, opts.Canary
	if !c.explicit {
		spec.Cohorts.Baseline = &analysis.Cohort{Selector: strings.Join(c.baseline, ",")}
		spec.Cohorts.Canary = &analysis.Cohort{Selector: strings.Join(c.canary, ",")}
	}
	if spec.GroupWeights, err = d.groupWeights(classifierWeights(cfg), spec.Metrics); err != nil {
		return analysis.Spec{}, err
	}
	if spec.Timing, spec.Step, err = d.timing(opts, used); err != nil {
		return analysis.Spec{}, err
	}
	return spec, nil
}

// metric converts metrics[i]; ok is false when it is skipped. pair is the
// scope pair it reads, if the options have it.
func (d *decoder) metric(i int, raw json.RawMessage, cfg canaryConfig, opts Options, c *cohortBuilder) (m analysis.MetricSpec, pair *ScopePair, ok bool, err error) {
	path := fmt.Sprintf("metrics[%d]", i)
	var mc metricConfig
	if err := d.object(path, raw, &mc, []string{"name", "query", "groups", "analysisConfigurations", "scopeName"}, nil); err != nil {
		return m, nil, false, err
	}
	if strings.TrimSpace(mc.Name) == "" {
		return m, nil, false, fmt.Errorf("%s.name: must not be empty", path)
	}
	named := fmt.Sprintf("%s %q", path, mc.Name)
	var q queryConfig
	qUsed := []string{"type", "resourceType", "metricName", "labelBindings", "groupByFields", "customFilter",
		"customInlineTemplate", "template", "customFilterTemplate"}
	var probe struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(mc.Query, &probe); err != nil || len(mc.Query) == 0 {
		return m, nil, false, fmt.Errorf("%s.query: must be a JSON object with a type, got %s", path, kindOf(mc.Query))
	}
	switch probe.Type {
	case "prometheus":
	case "":
		return m, nil, false, fmt.Errorf("%s.query.type: missing", path)
	default:
		d.warn("%s.query.type %s: only prometheus queries import; metric %q skipped", path, probe.Type, mc.Name)
		return m, nil, false, nil
	}
	if err := d.object(path+".query", mc.Query, &q, qUsed, []string{"serviceType"}); err != nil {
		return m, nil, false, err
	}
	m = analysis.MetricSpec{Name: mc.Name, Source: opts.Source}
	if err := d.judge(path, mc.AnalysisConfigurations, &m); err != nil {
		return m, nil, false, err
	}
	scopeName := cmp.Or(mc.ScopeName, DefaultScopeName)
	vals := scopeValues{explicit: c.explicit, unbound: opts.Unbound}
	resourceType := q.ResourceType
	if p, ok := opts.Scopes[scopeName]; ok {
		pair = &p
		vals.baseline, vals.canary = p.Control.bindings(q.ResourceType), p.Experiment.bindings(q.ResourceType)
		resourceType = vals.canary["resourceType"]
	} else if !c.explicit {
		return m, nil, false, fmt.Errorf("%s.scopeName %s: no such scope in the options' scopes (%s), and no baseline and canary selectors",
			named, scopeName, strings.Join(sortedKeys(opts.Scopes), ", "))
	}
	t, err := translateQuery(q, cfg.Templates, resourceType, vals)
	if err != nil {
		return m, nil, false, fmt.Errorf("%s: %w", named, err)
	}
	if err := c.add(named, t.removed, vals); err != nil {
		return m, nil, false, err
	}
	m.Query = t.query
	if len(mc.Groups) > 0 {
		m.Group = mc.Groups[0]
	}
	if len(mc.Groups) > 1 {
		d.warn("%s.groups: a metric has one group in augur; kept %q, dropped %s", path, mc.Groups[0], quoteAll(mc.Groups[1:]))
	}
	return m, pair, true, nil
}

// dropLoneDryRuns skips muted metrics whose group has no deciding metric
// when groups are weighted: such a group would carry a weight that nothing
// scored fills. Muted metrics never decide, so no verdict changes.
func (d *decoder) dropLoneDryRuns(metrics []analysis.MetricSpec, weights map[string]float64) []analysis.MetricSpec {
	if len(weights) == 0 {
		return metrics
	}
	deciding := map[string]bool{}
	for _, m := range metrics {
		if !m.DryRun {
			deciding[m.Group] = true
		}
	}
	out := metrics[:0]
	for _, m := range metrics {
		if m.DryRun && !deciding[m.Group] {
			d.warn("metric %q: muted and alone in group %q, which then has no metric to weigh; skipped", m.Name, m.Group)
			continue
		}
		out = append(out, m)
	}
	return out
}

// cohortBuilder renders the cohort selectors from the scope matchers the
// queries lost, and checks that every selector lost the same ones.
type cohortBuilder struct {
	explicit         bool
	baseline, canary []string
	first            string // the metric that set them
}

// add checks one metric's removed matchers, one list per selector.
func (c *cohortBuilder) add(metric string, removed [][]string, vals scopeValues) error {
	if c.explicit {
		return nil
	}
	for _, rm := range removed {
		b, err := render(rm, vals.baseline)
		if err != nil {
			return fmt.Errorf("%s: baseline: %w", metric, err)
		}
		k, err := render(rm, vals.canary)
		if err != nil {
			return fmt.Errorf("%s: canary: %w", metric, err)
		}
		if c.first == "" {
			c.baseline, c.canary, c.first = b, k, metric
			continue
		}
		if !sameSet(b, c.baseline) || !sameSet(k, c.canary) {
			return fmt.Errorf("%s: selects the baseline with {%s} where %s selects it with {%s}; augur gives every metric one cohort selector: pass baseline and canary selectors",
				metric, strings.Join(b, ","), c.first, strings.Join(c.baseline, ","))
		}
	}
	return nil
}

// render substitutes a cohort's values into matchers and returns them in
// PromQL's canonical form.
func render(matchers []string, values map[string]string) ([]string, error) {
	var out []string
	for _, m := range matchers {
		s := m
		for k, v := range values {
			s = strings.ReplaceAll(s, "${"+k+"}", v)
		}
		ms, err := parser.NewParser(parser.Options{}).ParseMetricSelector("{" + s + "}")
		if err != nil {
			return nil, fmt.Errorf("scope matcher %s renders as %s, which is not a valid label matcher: %w", m, s, err)
		}
		for _, pm := range ms {
			if str := pm.String(); !slices.Contains(out, str) {
				out = append(out, str)
			}
		}
	}
	return out, nil
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// thresholds are the options', else the config's legacy ones, else
// Kayenta's usual 95/75.
func thresholds(opts Options, cfg canaryConfig) analysis.ScoreThreshold {
	if opts.Thresholds != nil {
		return *opts.Thresholds
	}
	th := analysis.ScoreThreshold{Pass: DefaultPass, Marginal: DefaultMarginal}
	if c := cfg.Classifier; c != nil && c.ScoreThresholds != nil {
		if p := c.ScoreThresholds.Pass; p != nil {
			th.Pass = *p
		}
		if m := c.ScoreThresholds.Marginal; m != nil {
			th.Marginal = *m
		}
	}
	return th
}

func classifierWeights(cfg canaryConfig) map[string]float64 {
	if cfg.Classifier == nil {
		return nil
	}
	return cfg.Classifier.GroupWeights
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}
