package analysis

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"

	"github.com/augurhq/augur/judges"
)

// promQL parses queries and matchers with the engine's default options.
var promQL = parser.NewParser(parser.Options{})

// APIVersion is the spec format this package reads.
const APIVersion = "augur/v1"

// Placeholders substituted in metric queries.
const (
	// CohortPlaceholder is replaced by the cohort's label matchers, e.g.
	// rate(x{job="api",${cohort}}[1m]).
	CohortPlaceholder = "${cohort}"
	// WindowPlaceholder is replaced by the length of the judged window as
	// a PromQL/LogQL duration (counts and histograms: increase(x[${window}])).
	WindowPlaceholder = "${window}"
	// StartPlaceholder and EndPlaceholder are replaced by the judged
	// window's start and end in Unix seconds (with milliseconds when not
	// whole), the form PromQL's @ modifier and its timestamp() comparisons
	// take: increase(x{${cohort}}[${window}] @ ${end}).
	StartPlaceholder = "${start}"
	EndPlaceholder   = "${end}"
)

// Experiment kinds.
const (
	KindCanary = "canary" // baseline against canary
	KindABN    = "abn"    // a control against one or more variants
	KindSLO    = "slo"    // one cohort against thresholds
)

// Spec is an experiment as a user submits it (YAML or JSON, apiVersion
// augur/v1). Unknown fields are errors.
type Spec struct {
	APIVersion  string `yaml:"apiVersion" json:"apiVersion"`
	Kind        string `yaml:"kind" json:"kind"`
	Name        string `yaml:"name" json:"name"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// Labels describe the experiment (team, service, namespace, ...) for
	// filtering, metrics and notification routing.
	Labels map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	// Sources names the data sources metrics read from; "embedded" (the
	// built-in store) always exists, and the server may define more.
	Sources map[string]SourceSpec `yaml:"sources,omitempty" json:"sources,omitempty"`
	Cohorts Cohorts               `yaml:"cohorts" json:"cohorts"`
	Timing  Timing                `yaml:"timing" json:"timing"`
	Limits  Limits                `yaml:"limits,omitempty" json:"limits,omitempty"`
	// Step is the resolution of range queries (a metric may set its own).
	Step Duration `yaml:"step,omitempty" json:"step,omitempty"`
	// Confidence is the whole run's: the probability that a run whose
	// canary is no worse than its baseline is not failed (default 0.99, a
	// false-fail rate of 1 %). It is shared by the run's decisive metrics
	// and spent across its intervals; see alpha.go.
	Confidence float64 `yaml:"confidence,omitempty" json:"confidence,omitempty"`
	// MinCoverage is the share of the window a cohort's data must cover
	// for a metric to be judged (default 0.8); less is inconclusive.
	MinCoverage float64        `yaml:"min_coverage,omitempty" json:"min_coverage,omitempty"`
	Thresholds  ScoreThreshold `yaml:"thresholds,omitempty" json:"thresholds,omitempty"`
	// Correction adjusts the p-values of one interval's metrics for
	// multiple comparisons: none (canary and slo default), bh
	// (Benjamini–Hochberg, abn default), by, holm, hochberg, bonferroni.
	Correction judges.AdjustMethod `yaml:"correction,omitempty" json:"correction,omitempty"`
	// SRM checks an abn experiment's traffic split for sample-ratio
	// mismatch.
	SRM     *SRMSpec     `yaml:"srm,omitempty" json:"srm,omitempty"`
	Metrics []MetricSpec `yaml:"metrics" json:"metrics"`
	// GroupWeights weighs the metric groups in the score (Kayenta's
	// classifier.groupWeights). Empty: every group weighs the same.
	GroupWeights map[string]float64 `yaml:"group_weights,omitempty" json:"group_weights,omitempty"`
	// Webhooks receive the final verdict (at most MaxWebhooks).
	Webhooks []string `yaml:"webhooks,omitempty" json:"webhooks,omitempty"`
	// AbortOnAlert ends an active run as fail when a firing alert sent to
	// the Alertmanager webhook matches one of these matcher sets (sets are
	// ORed, the matchers of one set ANDed): `{service="checkout",
	// severity=~"critical|page"}`, braces optional. At most
	// MaxAbortOnAlert sets.
	AbortOnAlert []string `yaml:"abort_on_alert,omitempty" json:"abort_on_alert,omitempty"`
}

// MaxWebhooks bounds the webhook URLs of one spec: each is a delivery of
// its own in the notification outbox for the run's verdict, so a long list
// would multiply the outbox's work, and its retries, per run.
const MaxWebhooks = 10

// SRMSpec is the sample-ratio-mismatch check of an abn experiment: Query
// counts each cohort's units (requests, users) over the window, and the
// counts are tested against Split with a χ² goodness-of-fit test.
type SRMSpec struct {
	Source string `yaml:"source,omitempty" json:"source,omitempty"`
	Query  string `yaml:"query" json:"query"`
	// Split is the configured traffic share per cohort name (control and
	// every variant), in any unit (50/50, 0.9/0.1).
	Split map[string]float64 `yaml:"split" json:"split"`
	// PValue below which the split is a mismatch (default 0.001).
	PValue float64 `yaml:"p_value,omitempty" json:"p_value,omitempty"`
}

// ScoreThreshold holds the pass and marginal scores (0–100).
type ScoreThreshold struct {
	Pass     float64 `yaml:"pass" json:"pass"`
	Marginal float64 `yaml:"marginal" json:"marginal"`
}

// Data kinds: what a metric's query returns and how the judge reads it.
const (
	// KindPoints: a range query; every point of every series is one value.
	KindPoints = "points"
	// KindSamples: raw samples (e.g. per-request trace durations).
	KindSamples = "samples"
	// KindHistogram: an instant query at the window end returning classic
	// histogram buckets (series with an le label, cumulative counts over
	// the window, e.g. sum by (le, pod) (increase(x_bucket{${cohort}}[${window}])))
	// or native histograms, judged per pod by its quantiles (see
	// metric_histogram.go).
	KindHistogram = "histogram"
	// KindCounts: an instant query at the window end whose values are
	// summed to one count (errors; with total_query, the requests).
	KindCounts = "counts"
	// KindLogPatterns: an instant query at the window end returning one
	// count per mined log pattern (series with a pattern_id label, e.g.
	// sum by (pattern_id) (increase(augur_log_pattern_records_total{
	// severity=~"error|warn",${cohort}}[${window}]))), with total_query the
	// cohort's exposure, judged pattern by pattern by the patterns judge.
	KindLogPatterns = "logpatterns"
)

// Cluster selection (MetricSpec.ClusterBy).
const (
	// ClusterAuto infers the cluster label from the returned series.
	ClusterAuto = "auto"
	// ClusterNone pools every series: the request (or point) is the unit.
	ClusterNone = "none"
)

// MetricSpec is one metric of an experiment.
type MetricSpec struct {
	Name string `yaml:"name" json:"name"`
	// Source names the source to query (default embedded).
	Source string `yaml:"source,omitempty" json:"source,omitempty"`
	// Query is in the source's language and contains ${cohort}.
	Query string `yaml:"query" json:"query"`
	// TotalQuery counts the trials for the proportion judge (the query
	// counts the failures), and each cohort's exposure for logpatterns
	// (its log records, or its requests).
	TotalQuery string `yaml:"total_query,omitempty" json:"total_query,omitempty"`
	Kind       string `yaml:"kind,omitempty" json:"kind,omitempty"`
	// Step overrides the spec's step for this metric's range queries.
	Step Duration `yaml:"step,omitempty" json:"step,omitempty"`
	// ClusterBy names the label whose values are the unit of analysis
	// (pod, instance): auto (default) infers it from the returned series,
	// none pools every series (only where requests are the randomisation
	// unit).
	ClusterBy string    `yaml:"cluster_by,omitempty" json:"cluster_by,omitempty"`
	Judge     JudgeSpec `yaml:"judge" json:"judge"`
	Weight    float64   `yaml:"weight,omitempty" json:"weight,omitempty"`
	Critical  bool      `yaml:"critical,omitempty" json:"critical,omitempty"`
	// Group is the metric's group for scoring; "" is a group of its own.
	Group string `yaml:"group,omitempty" json:"group,omitempty"`
	// NoData says what missing data means: inconclusive (default), fail or
	// ignore.
	NoData judges.NoDataPolicy `yaml:"no_data,omitempty" json:"no_data,omitempty"`
	// MustHaveData fails the run when a cohort has no data.
	MustHaveData bool `yaml:"must_have_data,omitempty" json:"must_have_data,omitempty"`
	// DryRun metrics are judged and shown but never decide.
	DryRun bool `yaml:"dry_run,omitempty" json:"dry_run,omitempty"`
	// Primary marks the primary metric of an abn experiment (exactly one);
	// the others are guardrails.
	Primary bool `yaml:"primary,omitempty" json:"primary,omitempty"`
}

// Judge types.
const (
	JudgeMannWhitney = "mannwhitney"
	JudgeThreshold   = "threshold"
	JudgeProportion  = "proportion"
	JudgeSequential  = "sequential"
	// JudgePatterns judges logpatterns metrics (their default judge).
	JudgePatterns = "patterns"
)

// JudgeSpec selects and configures the judge of a metric.
type JudgeSpec struct {
	Type string `yaml:"type" json:"type"`
	// mannwhitney, proportion, sequential: which change is bad.
	Direction judges.Direction `yaml:"direction,omitempty" json:"direction,omitempty"`
	// Confidence is the metric's own: 1 − the probability that the metric
	// alone fails a canary that is no worse than its baseline, over the
	// whole run. Unset (the default), the metric takes its share of the
	// run's confidence.
	Confidence float64 `yaml:"confidence,omitempty" json:"confidence,omitempty"`
	// Margin is the non-inferiority margin: the worsening tolerated. A
	// metric with a margin passes only when its confidence bound excludes
	// the margin, fails when the worsening beyond it is established, and is
	// otherwise inconclusive.
	Margin *Margin `yaml:"margin,omitempty" json:"margin,omitempty"`
	// Quantiles judged for request-level latency (histograms, samples);
	// default 0.5, 0.9, 0.99.
	Quantiles        []float64 `yaml:"quantiles,omitempty" json:"quantiles,omitempty"`
	AllowedIncrease  float64   `yaml:"allowed_increase,omitempty" json:"allowed_increase,omitempty"`
	AllowedDecrease  float64   `yaml:"allowed_decrease,omitempty" json:"allowed_decrease,omitempty"`
	CriticalIncrease float64   `yaml:"critical_increase,omitempty" json:"critical_increase,omitempty"`
	CriticalDecrease float64   `yaml:"critical_decrease,omitempty" json:"critical_decrease,omitempty"`
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
	// proportion: fisher (default), z or yates.
	Test string `yaml:"test,omitempty" json:"test,omitempty"`
	// sequential on points and samples (the mSPRT): the always-valid level
	// α (unset: the metric's share of the run's false-fail budget, as every
	// other sequential judge uses at every look) and the mixing variance τ²
	// (default (0.1·σ̄)², σ̄² the cohorts' mean variance).
	Alpha float64 `yaml:"alpha,omitempty" json:"alpha,omitempty"`
	Tau2  float64 `yaml:"tau2,omitempty" json:"tau2,omitempty"`

	// Kayenta judges as Kayenta's Mann–Whitney classifier does (imported
	// Kayenta configs): the pooled test over every point, its two-sided
	// interval at confidence (default 0.98) with the tolerance band and
	// effect-size gates, no cluster test, no share of the run's budget and
	// no spending across intervals.
	Kayenta bool `yaml:"kayenta,omitempty" json:"kayenta,omitempty"`
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
	if s.APIVersion == "" {
		return s, errors.New("apiVersion: must be " + APIVersion)
	}
	s.SetDefaults()
	return s, s.Validate()
}

// SetDefaults fills unset fields: apiVersion augur/v1, kind canary, step
// 1m, thresholds pass 95 / marginal 75, correction bh for abn and none
// otherwise, limits and timing defaults, metric weight 1, source embedded,
// kind points, and each judge's defaults.
func (s *Spec) SetDefaults() {
	if s.APIVersion == "" {
		s.APIVersion = APIVersion
	}
	if s.Kind == "" {
		s.Kind = KindCanary
	}
	if s.Step == 0 {
		s.Step = Duration(time.Minute)
	}
	if s.Thresholds == (ScoreThreshold{}) {
		s.Thresholds = ScoreThreshold{Pass: 95, Marginal: 75}
	}
	if s.Correction == "" {
		s.Correction = CorrectionNone
		if s.Kind == KindABN {
			s.Correction = judges.AdjustBH
		}
	}
	for name, src := range s.Sources {
		src.SetDefaults()
		s.Sources[name] = src
	}
	s.Timing.setDefaults()
	s.Limits.setDefaults()
	if s.SRM != nil && s.SRM.PValue == 0 {
		s.SRM.PValue = 0.001
	}
	if s.SRM != nil && s.SRM.Source == "" {
		s.SRM.Source = DefaultSource
	}
	for i := range s.Metrics {
		s.Metrics[i].setDefaults()
	}
}

func (m *MetricSpec) setDefaults() {
	if m.Weight == 0 {
		m.Weight = 1
	}
	if m.Source == "" {
		m.Source = DefaultSource
	}
	j := &m.Judge
	if m.Kind == KindLogPatterns && j.Type == "" {
		j.Type = JudgePatterns
	}
	if m.Kind == "" {
		switch {
		case j.Type == JudgeProportion, j.Type == JudgeSequential && m.TotalQuery != "":
			m.Kind = KindCounts
		case j.Type == JudgePatterns:
			m.Kind = KindLogPatterns
		default:
			m.Kind = KindPoints
		}
	}
	switch j.Type {
	case JudgeMannWhitney, JudgeProportion, JudgeSequential:
		if j.Direction == "" {
			j.Direction = judges.Increase
		}
	}
	switch j.Type {
	case JudgeMannWhitney:
		if j.Kayenta && j.Confidence == 0 {
			j.Confidence = judges.DefaultConfidence
		}
	case JudgeThreshold:
		if j.Aggregate == "" {
			j.Aggregate = "mean"
		}
	}
	if j.Type == JudgeProportion && j.Test == "" {
		j.Test = "fisher"
	}
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

// renderWindow substitutes the window length for ${window}.
func renderWindow(q string, d time.Duration) string {
	return strings.ReplaceAll(q, WindowPlaceholder, Duration(d).String())
}

// renderTimes substitutes the window's start and end for ${start} and
// ${end}.
func renderTimes(q string, w TimeRange) string {
	if !strings.Contains(q, "${") {
		return q
	}
	return strings.NewReplacer(StartPlaceholder, unixSeconds(w.Start), EndPlaceholder, unixSeconds(w.End)).Replace(q)
}

// unixSeconds writes t as Unix seconds: 1767225600, or 1767225600.5.
func unixSeconds(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64)
}
