package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
	"github.com/augurhq/augur/web/promapi"
)

// MetricsConfig configures augur's own experiment series in /metrics (and,
// through the self-scrape, in the embedded store).
type MetricsConfig struct {
	// ExperimentRetention bounds which experiments have series: those with
	// an active run, or whose latest run ended within this long. Older
	// ones drop out, so the series count follows the experiments in
	// flight, not every experiment ever run.
	ExperimentRetention time.Duration `yaml:"experiment_retention"`
}

// defaultMetrics returns a 24 h experiment retention.
func defaultMetrics() MetricsConfig { return MetricsConfig{ExperimentRetention: 24 * time.Hour} }

func (c MetricsConfig) validate() error {
	if c.ExperimentRetention <= 0 {
		return fmt.Errorf("metrics.experiment_retention: must be positive, got %s", c.ExperimentRetention)
	}
	return nil
}

// experimentSnapshots is what the experiment series read at scrape time.
type experimentSnapshots interface {
	Snapshot(ctx context.Context, endedSince time.Time) ([]analysis.ExperimentSnapshot, error)
}

// verdictRunning is the verdict label of an experiment whose run is active
// and has no final verdict.
const verdictRunning = "running"

// snapshotTimeout bounds one scrape's read of the experiments.
const snapshotTimeout = 10 * time.Second

// Help texts of the series read at scrape time, which /api/v1/metadata
// lists even before any experiment has a series.
const (
	helpVerdict     = "1 for the current verdict of each experiment with an active run or one that ended within metrics.experiment_retention: running while its run is active, then the final verdict (pass, marginal, fail, inconclusive, error)."
	helpScore       = "Score (0-100) of the experiment's final verdict, or of its latest judged interval while running; absent when that verdict has no score."
	helpIntervals   = "Intervals judged so far in the experiment's latest run."
	helpEffect      = "Effect of the canary (variant) against the baseline in the latest judged interval, per metric: on scale=\"difference\" the Hodges-Lehmann shift, difference of means or failure-rate difference (canary minus baseline, in the metric's unit); on scale=\"ratio\" canary over baseline (per-pod inference on the log scale)."
	helpEffectLower = "Lower bound of augur_metric_effect's confidence interval, where the judge gives one."
	helpEffectUpper = "Upper bound of augur_metric_effect's confidence interval, where the judge gives one."
	helpBacklog     = "Intervals of running experiments that are due and not judged yet."
)

var (
	experimentLabels = []string{"experiment", "name", "template", "key"}
	// effectLabels: scale is "difference" (canary minus baseline, in the
	// metric's unit) or "ratio" (canary over baseline).
	effectLabels = []string{"experiment", "metric", "variant", "scale"}
	descVerdict  = prometheus.NewDesc("augur_experiment_verdict", helpVerdict,
		append(experimentLabels, "verdict"), nil)
	descScore = prometheus.NewDesc("augur_experiment_score", helpScore,
		experimentLabels, nil)
	descIntervals = prometheus.NewDesc("augur_experiment_intervals_judged", helpIntervals,
		experimentLabels, nil)
	descEffect = prometheus.NewDesc("augur_metric_effect", helpEffect,
		effectLabels, nil)
	descEffectLower = prometheus.NewDesc("augur_metric_effect_lower", helpEffectLower,
		effectLabels, nil)
	descEffectUpper = prometheus.NewDesc("augur_metric_effect_upper", helpEffectUpper,
		effectLabels, nil)
	descBacklog = prometheus.NewDesc("augur_scheduling_backlog_intervals", helpBacklog, nil, nil)
)

// experimentMetrics is the experiment series: verdict, score and effects
// read from the manager at scrape time, judgement counts and scheduling
// lag observed as intervals are judged.
type experimentMetrics struct {
	src        experimentSnapshots
	retention  time.Duration
	now        func() time.Time
	logger     *slog.Logger
	judgements *prometheus.CounterVec
	lag        prometheus.Histogram
}

func newExperimentMetrics(src experimentSnapshots, cfg MetricsConfig, now func() time.Time, logger *slog.Logger) *experimentMetrics {
	m := &experimentMetrics{
		src: src, retention: cfg.ExperimentRetention, now: now, logger: logger,
		judgements: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "augur_interval_judgements_total",
			Help: "Intervals judged by this replica, by outcome.",
		}, []string{"outcome"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "augur_scheduling_lag_seconds",
			Help:    "How late intervals are judged after they come due (their window end plus the settle delay).",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600},
		}),
	}
	for _, o := range []judges.Outcome{judges.OutcomePass, judges.OutcomeMarginal, judges.OutcomeFail, judges.OutcomeInconclusive, judges.OutcomeError} {
		m.judgements.WithLabelValues(string(o))
	}
	return m
}

// IntervalJudged implements analysis.IntervalObserver.
func (m *experimentMetrics) IntervalJudged(outcome judges.Outcome, lag time.Duration) {
	m.judgements.WithLabelValues(string(outcome)).Inc()
	m.lag.Observe(max(lag, 0).Seconds())
}

// Describe implements prometheus.Collector.
func (m *experimentMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descVerdict, descScore, descIntervals, descEffect, descEffectLower, descEffectUpper, descBacklog} {
		ch <- d
	}
	m.judgements.Describe(ch)
	m.lag.Describe(ch)
}

// Collect implements prometheus.Collector.
func (m *experimentMetrics) Collect(ch chan<- prometheus.Metric) {
	m.judgements.Collect(ch)
	m.lag.Collect(ch)
	ctx, cancel := context.WithTimeout(context.Background(), snapshotTimeout)
	defer cancel()
	snaps, err := m.src.Snapshot(ctx, m.now().Add(-m.retention))
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			m.logger.Warn("experiment metrics: reading experiments failed", "err", err)
		}
		return
	}
	backlog := 0
	for _, s := range snaps {
		collectExperiment(ch, s)
		backlog += s.Backlog
	}
	ch <- prometheus.MustNewConstMetric(descBacklog, prometheus.GaugeValue, float64(backlog))
}

// collectExperiment writes one experiment's series.
func collectExperiment(ch chan<- prometheus.Metric, s analysis.ExperimentSnapshot) {
	e := s.Experiment
	name := s.Run.Spec.Name
	if name == "" {
		name = e.Spec.Name
	}
	lv := []string{e.ID, name, e.Template, e.Key}
	verdict, score := verdictRunning, (*float64)(nil)
	if s.Latest != nil {
		score = s.Latest.Verdict.Score
	}
	if v := s.Run.Verdict; v != nil && !s.Run.Status.Active() {
		verdict, score = string(v.Verdict), v.Score
	}
	ch <- prometheus.MustNewConstMetric(descVerdict, prometheus.GaugeValue, 1, append(lv, verdict)...)
	if score != nil {
		ch <- prometheus.MustNewConstMetric(descScore, prometheus.GaugeValue, *score, lv...)
	}
	ch <- prometheus.MustNewConstMetric(descIntervals, prometheus.GaugeValue, float64(s.Run.NextIndex), lv...)
	if s.Latest == nil {
		return
	}
	seen := map[[2]string]bool{}
	for _, r := range s.Latest.Verdict.Metrics {
		k := [2]string{r.Name, r.Variant}
		if seen[k] {
			continue
		}
		seen[k] = true
		effect, lo, hi, scale := metricEffect(r)
		if effect == nil {
			continue
		}
		ml := []string{e.ID, r.Name, r.Variant, scale}
		ch <- prometheus.MustNewConstMetric(descEffect, prometheus.GaugeValue, *effect, ml...)
		if lo != nil && hi != nil {
			ch <- prometheus.MustNewConstMetric(descEffectLower, prometheus.GaugeValue, *lo, ml...)
			ch <- prometheus.MustNewConstMetric(descEffectUpper, prometheus.GaugeValue, *hi, ml...)
		}
	}
}

// metricEffect is a metric result's effect, its interval's bounds (nil
// where the judge gives none) and its scale: the shift (Mann-Whitney,
// sequential), else the first cluster-level test's estimate (per-pod
// inference; a ratio on the log scale), else the failure-rate difference
// (proportions).
func metricEffect(r analysis.MetricResult) (effect, lo, hi *float64, scale string) {
	const diff, ratio = "difference", "ratio"
	if r.Shift != nil {
		return r.Shift, r.CILow, r.CIHigh, diff
	}
	if r.Cluster != nil {
		scale = diff
		if r.Cluster.Scale == "log" {
			scale = ratio
		}
		for _, t := range r.Cluster.Tests {
			if t.Estimate != nil {
				return t.Estimate, t.CILow, t.CIHigh, scale
			}
		}
	}
	if r.CanaryRate != nil && r.BaselineRate != nil {
		d := *r.CanaryRate - *r.BaselineRate
		return &d, nil, nil, diff
	}
	return nil, nil, nil, ""
}

// metadataSource is what /api/v1/metadata lists: the registry's families,
// and the experiment series' families even while no experiment has a
// series.
type metadataSource struct{ reg promapi.GathererMetadata }

// MetricMetadata implements promapi.MetadataSource.
func (s metadataSource) MetricMetadata(ctx context.Context) (map[string][]promapi.MetricMetadata, error) {
	out, err := s.reg.MetricMetadata(ctx)
	if err != nil {
		return nil, err
	}
	for name, help := range map[string]string{
		"augur_experiment_verdict": helpVerdict, "augur_experiment_score": helpScore,
		"augur_experiment_intervals_judged": helpIntervals, "augur_metric_effect": helpEffect,
		"augur_metric_effect_lower": helpEffectLower, "augur_metric_effect_upper": helpEffectUpper,
		"augur_scheduling_backlog_intervals": helpBacklog,
	} {
		if _, ok := out[name]; !ok {
			out[name] = []promapi.MetricMetadata{{Type: "gauge", Help: help}}
		}
	}
	return out, nil
}
