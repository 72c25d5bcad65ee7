package analysis

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"

	"github.com/augurhq/augur/judges"
)

// promQL parses queries and matchers with the engine's default options.
var promQL = parser.NewParser(parser.Options{})

// CohortPlaceholder is replaced in every metric query by the cohort's label
// matchers, e.g. rate(x{job="api",${cohort}}[1m]).
const CohortPlaceholder = "${cohort}"

// Spec is an experiment as a user submits it (YAML or JSON).
type Spec struct {
	Name string `yaml:"name" json:"name"`
	// Baseline and Canary are PromQL label matchers without braces, e.g.
	// service_version="v1".
	Baseline   string         `yaml:"baseline" json:"baseline"`
	Canary     string         `yaml:"canary" json:"canary"`
	Window     Window         `yaml:"window" json:"window"`
	Step       Duration       `yaml:"step,omitempty" json:"step,omitempty"`
	Thresholds ScoreThreshold `yaml:"thresholds,omitempty" json:"thresholds,omitempty"`
	Metrics    []MetricSpec   `yaml:"metrics" json:"metrics"`
	// GroupWeights weighs the metric groups in the score (Kayenta's
	// classifier.groupWeights). Empty: every group weighs the same.
	GroupWeights map[string]float64 `yaml:"group_weights,omitempty" json:"group_weights,omitempty"`
	Webhooks     []string           `yaml:"webhooks,omitempty" json:"webhooks,omitempty"`
}

// Window is the time range analysed: Start and End, or a Duration ending
// when the experiment is created.
type Window struct {
	Start    *Timestamp `yaml:"start,omitempty" json:"start,omitempty"`
	End      *Timestamp `yaml:"end,omitempty" json:"end,omitempty"`
	Duration Duration   `yaml:"duration,omitempty" json:"duration,omitempty"`
}

// ScoreThreshold holds the pass and marginal scores (0–100).
type ScoreThreshold struct {
	Pass     float64 `yaml:"pass" json:"pass"`
	Marginal float64 `yaml:"marginal" json:"marginal"`
}

// MetricSpec is one metric of an experiment.
type MetricSpec struct {
	Name string `yaml:"name" json:"name"`
	// Query is a PromQL expression containing ${cohort}.
	Query    string    `yaml:"query" json:"query"`
	Judge    JudgeSpec `yaml:"judge" json:"judge"`
	Weight   float64   `yaml:"weight,omitempty" json:"weight,omitempty"`
	Critical bool      `yaml:"critical,omitempty" json:"critical,omitempty"`
	// Group is the metric's group for scoring; "" is a group of its own.
	Group string `yaml:"group,omitempty" json:"group,omitempty"`
	// NoData says what missing data means: inconclusive (default), fail or
	// ignore.
	NoData judges.NoDataPolicy `yaml:"no_data,omitempty" json:"no_data,omitempty"`
	// MustHaveData fails the run when a cohort has no data.
	MustHaveData bool `yaml:"must_have_data,omitempty" json:"must_have_data,omitempty"`
}

// Judge types.
const (
	JudgeMannWhitney = "mannwhitney"
	JudgeThreshold   = "threshold"
)

// JudgeSpec selects and configures the judge of a metric.
type JudgeSpec struct {
	Type string `yaml:"type" json:"type"`
	// mannwhitney
	Direction        judges.Direction `yaml:"direction,omitempty" json:"direction,omitempty"`
	Confidence       float64          `yaml:"confidence,omitempty" json:"confidence,omitempty"`
	AllowedIncrease  float64          `yaml:"allowed_increase,omitempty" json:"allowed_increase,omitempty"`
	AllowedDecrease  float64          `yaml:"allowed_decrease,omitempty" json:"allowed_decrease,omitempty"`
	CriticalIncrease float64          `yaml:"critical_increase,omitempty" json:"critical_increase,omitempty"`
	CriticalDecrease float64          `yaml:"critical_decrease,omitempty" json:"critical_decrease,omitempty"`
	// EffectMeasure is meanRatio (default) or cles for the effect-size bounds.
	EffectMeasure judges.EffectMeasure `yaml:"effect_measure,omitempty" json:"effect_measure,omitempty"`
	// NaNStrategy is remove (default) or replace (NaN → 0).
	NaNStrategy judges.NaNStrategy `yaml:"nan_strategy,omitempty" json:"nan_strategy,omitempty"`
	// Outliers is keep (default) or remove (IQR fences, OutlierFactor·IQR).
	Outliers      judges.OutlierStrategy `yaml:"outliers,omitempty" json:"outliers,omitempty"`
	OutlierFactor float64                `yaml:"outlier_factor,omitempty" json:"outlier_factor,omitempty"`
	// threshold
	Aggregate string   `yaml:"aggregate,omitempty" json:"aggregate,omitempty"`
	Lower     *float64 `yaml:"lower,omitempty" json:"lower,omitempty"`
	Upper     *float64 `yaml:"upper,omitempty" json:"upper,omitempty"`
	// Relative makes lower and upper ratios to the baseline's aggregate.
	Relative bool `yaml:"relative,omitempty" json:"relative,omitempty"`
}

// ParseSpec decodes a YAML or JSON spec strictly (unknown fields are
// errors), applies defaults and validates it.
func ParseSpec(r io.Reader) (Spec, error) {
	var s Spec
	b, err := io.ReadAll(r)
	if err != nil {
		return s, fmt.Errorf("read spec: %w", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return s, errors.New("spec: empty body")
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return s, fmt.Errorf("spec: %w", err)
	}
	s.SetDefaults()
	return s, s.Validate()
}

// SetDefaults fills unset fields: step 1m, thresholds pass 95 / marginal
// 75, weight 1, direction increase, confidence 0.98, aggregate mean.
func (s *Spec) SetDefaults() {
	if s.Step == 0 {
		s.Step = Duration(time.Minute)
	}
	if s.Thresholds == (ScoreThreshold{}) {
		s.Thresholds = ScoreThreshold{Pass: 95, Marginal: 75}
	}
	for i := range s.Metrics {
		m := &s.Metrics[i]
		if m.Weight == 0 {
			m.Weight = 1
		}
		switch m.Judge.Type {
		case JudgeMannWhitney:
			if m.Judge.Direction == "" {
				m.Judge.Direction = judges.Increase
			}
			if m.Judge.Confidence == 0 {
				m.Judge.Confidence = 0.98
			}
		case JudgeThreshold:
			if m.Judge.Aggregate == "" {
				m.Judge.Aggregate = "mean"
			}
		}
	}
}

// Validate reports every invalid field, naming it.
func (s Spec) Validate() error {
	var errs []error
	add := func(field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, a...)))
	}
	if strings.TrimSpace(s.Name) == "" {
		add("name", "must not be empty")
	}
	for _, c := range []struct{ field, sel string }{{"baseline", s.Baseline}, {"canary", s.Canary}} {
		field, sel := c.field, c.sel
		if strings.TrimSpace(sel) == "" {
			add(field, "must not be empty: give label matchers such as service_version=\"v1\"")
			continue
		}
		if _, err := promQL.ParseMetricSelector("{" + sel + "}"); err != nil {
			add(field, "invalid label matchers %q: %v", sel, err)
		}
	}
	if s.Baseline != "" && s.Baseline == s.Canary {
		add("canary", "must differ from baseline")
	}
	errs = append(errs, s.Window.validate()...)
	if s.Step <= 0 {
		add("step", "must be positive")
	}
	if s.Thresholds.Pass < 0 || s.Thresholds.Pass > 100 {
		add("thresholds.pass", "must be within 0..100, got %g", s.Thresholds.Pass)
	}
	if s.Thresholds.Marginal < 0 || s.Thresholds.Marginal > s.Thresholds.Pass {
		add("thresholds.marginal", "must be within 0..thresholds.pass (%g), got %g", s.Thresholds.Pass, s.Thresholds.Marginal)
	}
	if len(s.Metrics) == 0 {
		add("metrics", "at least one metric is required")
	}
	names := map[string]bool{}
	groups := map[string]bool{}
	for i, m := range s.Metrics {
		errs = append(errs, m.validate(fmt.Sprintf("metrics[%d]", i), names)...)
		groups[m.Group] = true
	}
	if len(s.GroupWeights) > 0 {
		for g, w := range s.GroupWeights {
			if !(w > 0) || math.IsInf(w, 0) {
				add("group_weights."+g, "must be a positive number, got %g", w)
			}
			if !groups[g] {
				add("group_weights."+g, "no metric is in group %q", g)
			}
		}
		for i, m := range s.Metrics {
			if _, ok := s.GroupWeights[m.Group]; !ok {
				add(fmt.Sprintf("metrics[%d].group", i), "group %q has no weight in group_weights", m.Group)
			}
		}
	}
	for i, w := range s.Webhooks {
		u, err := url.Parse(w)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add(fmt.Sprintf("webhooks[%d]", i), "must be an absolute http(s) URL, got %q", w)
		}
	}
	return errors.Join(errs...)
}

func (w Window) validate() []error {
	var errs []error
	switch {
	case w.Duration != 0 && (w.Start != nil || w.End != nil):
		errs = append(errs, errors.New("window: give either duration, or start and end, not both"))
	case w.Duration < 0:
		errs = append(errs, errors.New("window.duration: must be positive"))
	case w.Duration == 0 && (w.Start == nil || w.End == nil):
		errs = append(errs, errors.New("window: give a duration (ending now), or both start and end"))
	case w.Duration == 0 && !time.Time(*w.End).After(time.Time(*w.Start)):
		errs = append(errs, errors.New("window.end: must be after window.start"))
	}
	return errs
}

func (m MetricSpec) validate(field string, names map[string]bool) []error {
	var errs []error
	add := func(sub, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", field, sub, fmt.Sprintf(format, a...)))
	}
	switch {
	case strings.TrimSpace(m.Name) == "":
		add("name", "must not be empty")
	case names[m.Name]:
		add("name", "duplicate metric name %q", m.Name)
	}
	names[m.Name] = true
	if !strings.Contains(m.Query, CohortPlaceholder) {
		add("query", "must contain %s where the cohort's label matchers go", CohortPlaceholder)
	} else if _, err := promQL.ParseExpr(RenderQuery(m.Query, `__cohort__="x"`)); err != nil {
		add("query", "invalid PromQL: %v", err)
	}
	if m.Weight < 0 {
		add("weight", "must be positive, got %g", m.Weight)
	}
	switch m.NoData {
	case "", judges.NoDataInconclusive, judges.NoDataFail, judges.NoDataIgnore:
	default:
		add("no_data", "must be inconclusive, fail or ignore, got %q", m.NoData)
	}
	j := m.Judge
	switch j.Type {
	case JudgeMannWhitney:
		switch j.Direction {
		case judges.Increase, judges.Decrease, judges.Either:
		default:
			add("judge.direction", "must be increase, decrease or either, got %q", j.Direction)
		}
		if j.Confidence <= 0 || j.Confidence >= 1 {
			add("judge.confidence", "must be within (0, 1), got %g", j.Confidence)
		} else if err := m.mannWhitneyConfig().Validate(); err != nil {
			add("judge", "%v", err)
		}
		if j.Aggregate != "" || j.Lower != nil || j.Upper != nil || j.Relative {
			add("judge", "aggregate, lower, upper and relative belong to the threshold judge")
		}
	case JudgeThreshold:
		if err := m.thresholdConfig().Validate(); err != nil {
			add("judge", "%v", err)
		}
		if j.Direction != "" || j.AllowedIncrease != 0 || j.AllowedDecrease != 0 || j.CriticalIncrease != 0 || j.CriticalDecrease != 0 ||
			j.Confidence != 0 || j.EffectMeasure != "" || j.NaNStrategy != "" || j.Outliers != "" || j.OutlierFactor != 0 {
			add("judge", "direction, confidence, effect sizes, nan_strategy and outliers belong to the mannwhitney judge")
		}
	case "":
		add("judge.type", "must be set: mannwhitney or threshold")
	default:
		add("judge.type", "unknown judge %q: want mannwhitney or threshold", j.Type)
	}
	return errs
}

func (m MetricSpec) mannWhitneyConfig() judges.MannWhitneyConfig {
	j := m.Judge
	return judges.MannWhitneyConfig{
		Direction:        j.Direction,
		Confidence:       j.Confidence,
		AllowedIncrease:  j.AllowedIncrease,
		AllowedDecrease:  j.AllowedDecrease,
		CriticalIncrease: j.CriticalIncrease,
		CriticalDecrease: j.CriticalDecrease,
		EffectMeasure:    j.EffectMeasure,
		NaNStrategy:      j.NaNStrategy,
		Outliers:         j.Outliers,
		OutlierFactor:    j.OutlierFactor,
		MustHaveData:     m.MustHaveData,
	}
}

func (m MetricSpec) thresholdConfig() judges.ThresholdConfig {
	j := m.Judge
	return judges.ThresholdConfig{Aggregate: j.Aggregate, Lower: j.Lower, Upper: j.Upper, Relative: j.Relative, MustHaveData: m.MustHaveData}
}

// RenderQuery substitutes a cohort's label matchers into a query template.
func RenderQuery(tmpl, matchers string) string {
	return strings.ReplaceAll(tmpl, CohortPlaceholder, matchers)
}

// Resolve returns the absolute window: a Duration ends at now.
func (w Window) Resolve(now time.Time) (start, end time.Time) {
	if w.Duration > 0 {
		return now.Add(-time.Duration(w.Duration)), now
	}
	return time.Time(*w.Start), time.Time(*w.End)
}

// Timestamp is an RFC 3339 time in specs.
type Timestamp time.Time

// UnmarshalYAML parses an RFC 3339 timestamp.
func (t *Timestamp) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: time must be an RFC 3339 string: %w", n.Line, err)
	}
	p, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("line %d: invalid RFC 3339 time %q", n.Line, s)
	}
	*t = Timestamp(p)
	return nil
}

// MarshalJSON writes RFC 3339.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format(time.RFC3339Nano) + `"`), nil
}

// UnmarshalJSON parses RFC 3339.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var p time.Time
	if err := p.UnmarshalJSON(b); err != nil {
		return err
	}
	*t = Timestamp(p)
	return nil
}
