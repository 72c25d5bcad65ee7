package analysis

import (
	"math"
	"time"

	"github.com/augurhq/augur/judges"
)

// Verdict is the outcome of one experiment run. Its JSON is what rollout
// controllers read: {"verdict":"pass|marginal|fail|inconclusive|error",
// "score":..,"metrics":[...]} (Argo Rollouts' web provider uses
// result.verdict).
type Verdict struct {
	ExperimentID string         `json:"experiment_id"`
	Experiment   string         `json:"experiment"`
	Verdict      judges.Outcome `json:"verdict"`
	Score        float64        `json:"score"`
	Reason       string         `json:"reason"`
	Window       TimeRange      `json:"window"`
	Metrics      []MetricResult `json:"metrics"`
	CompletedAt  time.Time      `json:"completed_at"`
}

// TimeRange is an absolute time range.
type TimeRange struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// MetricResult is the judgement of one metric. Statistics that do not exist
// are null in JSON, never a made-up number.
type MetricResult struct {
	Name           string                `json:"name"`
	Judge          string                `json:"judge"`
	Classification judges.Classification `json:"classification"`
	Reason         string                `json:"reason"`
	Weight         float64               `json:"weight"`
	Critical       bool                  `json:"critical"`
	CriticalBreach bool                  `json:"critical_breach"`
	Group          string                `json:"group,omitempty"`
	// MustHaveDataBreach: a cohort had no data and the metric must have it.
	MustHaveDataBreach bool          `json:"must_have_data_breach,omitempty"`
	Baseline           CohortSummary `json:"baseline"`
	Canary             CohortSummary `json:"canary"`
	// Mann–Whitney: Hodges–Lehmann shift (canary − baseline) and its CI.
	Shift      *float64 `json:"shift,omitempty"`
	CILow      *float64 `json:"ci_low,omitempty"`
	CIHigh     *float64 `json:"ci_high,omitempty"`
	Confidence *float64 `json:"confidence,omitempty"`
	PValue     *float64 `json:"p_value,omitempty"`
	MeanRatio  *float64 `json:"mean_ratio,omitempty"`
	// Threshold: the aggregate of the canary compared with the bounds.
	Aggregate *float64 `json:"aggregate,omitempty"`
	Error     string   `json:"error,omitempty"`
}

// CohortSummary describes what a cohort's query returned.
type CohortSummary struct {
	Query  string   `json:"query"`
	N      int      `json:"n"`
	Median *float64 `json:"median"`
	Mean   *float64 `json:"mean"`
}

// num returns nil for values that do not exist (NaN, ±Inf).
func num(f float64) *float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}
