package analysis

import (
	"fmt"
	"math"
	"time"

	"github.com/augurhq/augur/judges"
)

// Verdict is the outcome of one interval of a run, or of the whole run
// (its final verdict). Its JSON is what rollout controllers read:
// {"verdict":"pass|marginal|fail|inconclusive|error","score":..,
// "metrics":[...]} (Argo Rollouts' web provider uses result.verdict).
type Verdict struct {
	ExperimentID string         `json:"experiment_id"`
	RunID        string         `json:"run_id,omitempty"`
	Experiment   string         `json:"experiment"`
	Kind         string         `json:"kind,omitempty"`
	Verdict      judges.Outcome `json:"verdict"`
	// Score is null when the verdict is inconclusive: a score without
	// the evidence behind it would be made up.
	Score  *float64 `json:"score"`
	Reason string   `json:"reason"`
	// Interval is the judged interval (1-based) of Intervals planned.
	Interval  int `json:"interval"`
	Intervals int `json:"intervals"`
	// Window is the treatment's window; BaselineWindow the reference's
	// when it differs (baseline_offset).
	Window         TimeRange  `json:"window"`
	BaselineWindow *TimeRange `json:"baseline_window,omitempty"`
	// Stopped says why a run ended before its last interval.
	Stopped     string           `json:"stopped,omitempty"`
	Variants    []VariantVerdict `json:"variants,omitempty"`
	SRM         *SRMResult       `json:"srm,omitempty"`
	Metrics     []MetricResult   `json:"metrics"`
	CompletedAt time.Time        `json:"completed_at"`
}

// VariantVerdict is one comparison's outcome (abn: one per variant).
type VariantVerdict struct {
	Variant string         `json:"variant"`
	Verdict judges.Outcome `json:"verdict"`
	Score   *float64       `json:"score"`
	Reason  string         `json:"reason"`
}

// SRMResult is the sample-ratio-mismatch check of an abn interval.
type SRMResult struct {
	Observed map[string]int64   `json:"observed"`
	Expected map[string]float64 `json:"expected"`
	PValue   *float64           `json:"p_value"`
	Mismatch bool               `json:"mismatch"`
	Error    string             `json:"error,omitempty"`
}

// TimeRange is an absolute time range.
type TimeRange struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// MetricResult is the judgement of one metric in one comparison.
// Statistics that do not exist are null in JSON, never a made-up number.
type MetricResult struct {
	Name string `json:"name"`
	// Variant is the judged cohort: canary, a variant's name, or target.
	Variant        string                `json:"variant,omitempty"`
	Judge          string                `json:"judge"`
	Kind           string                `json:"kind,omitempty"`
	Classification judges.Classification `json:"classification"`
	Reason         string                `json:"reason"`
	Weight         float64               `json:"weight"`
	Critical       bool                  `json:"critical"`
	CriticalBreach bool                  `json:"critical_breach"`
	DryRun         bool                  `json:"dry_run,omitempty"`
	Primary        bool                  `json:"primary,omitempty"`
	Group          string                `json:"group,omitempty"`
	// MustHaveDataBreach: a cohort had no data and the metric must have it.
	MustHaveDataBreach bool          `json:"must_have_data_breach,omitempty"`
	Baseline           CohortSummary `json:"baseline"`
	Canary             CohortSummary `json:"canary"`
	// Mann–Whitney: Hodges–Lehmann shift (canary − baseline) and its CI;
	// sequential: difference of means and the always-valid CI.
	Shift      *float64 `json:"shift,omitempty"`
	CILow      *float64 `json:"ci_low,omitempty"`
	CIHigh     *float64 `json:"ci_high,omitempty"`
	Confidence *float64 `json:"confidence,omitempty"`
	PValue     *float64 `json:"p_value,omitempty"`
	// AdjustedPValue is PValue after the spec's multiple-comparison
	// correction across the interval's metrics.
	AdjustedPValue *float64 `json:"adjusted_p_value,omitempty"`
	MeanRatio      *float64 `json:"mean_ratio,omitempty"`
	// Threshold: the aggregate of the canary compared with the bounds.
	Aggregate *float64 `json:"aggregate,omitempty"`
	// Cluster says how the pods were found and judged (points,
	// histograms, proportions).
	Cluster *ClusterInfo `json:"cluster,omitempty"`
	// Proportion: failure rates; logpatterns: every pattern's events per
	// unit of exposure.
	CanaryRate   *float64 `json:"canary_rate,omitempty"`
	BaselineRate *float64 `json:"baseline_rate,omitempty"`
	// Patterns (logpatterns): the failing patterns, most significant first.
	Patterns []PatternResult `json:"patterns,omitempty"`
	Error    string          `json:"error,omitempty"`
}

// CohortSummary describes what a cohort's query returned.
type CohortSummary struct {
	Query  string   `json:"query"`
	N      int      `json:"n"`
	Median *float64 `json:"median"`
	Mean   *float64 `json:"mean"`
	// Count and Total: counts data (failures and trials).
	Count *float64 `json:"count,omitempty"`
	Total *float64 `json:"total,omitempty"`
}

// scoreOf is a run score, nil when the outcome is inconclusive.
func scoreOf(o judges.Outcome, score float64) *float64 {
	if o == judges.OutcomeInconclusive {
		return nil
	}
	return num(score)
}

// ScoreText writes a score for humans: "97.5", or "n/a" when null.
func ScoreText(s *float64) string {
	if s == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.1f", *s)
}

// num returns nil for values that do not exist (NaN, ±Inf).
func num(f float64) *float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}
