package state

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

// t0 is a fixed instant with nanoseconds, which the store truncates to
// microseconds in its columns but keeps inside JSON.
var t0 = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC)

func ptr[T any](v T) *T { return &v }

// testSpec is a spec using every kind of field: pointers, durations,
// timestamps, maps, slices.
func testSpec(name string) analysis.Spec {
	start := t0.Add(-time.Hour)
	retries := 2
	return analysis.Spec{
		APIVersion: analysis.APIVersion,
		Kind:       analysis.KindCanary,
		Name:       name,
		Cohorts: analysis.Cohorts{
			Baseline: &analysis.Cohort{Selector: `service_version="v1"`},
			Canary:   &analysis.Cohort{Selector: `service_version="v2"`, Selectors: map[string]string{"logs": `app="x"`}},
		},
		Sources: map[string]analysis.SourceSpec{"logs": {Type: analysis.SourceLoki, URL: "http://127.0.0.1:3100", Retries: &retries,
			Headers: map[string]string{"X-A": "b"}}},
		Timing: analysis.Timing{Start: &analysis.StartTime{At: &start}, Lifetime: analysis.Duration(time.Hour),
			Interval: analysis.Duration(10 * time.Minute), Lookback: analysis.Duration(20 * time.Minute)},
		Limits:     analysis.Limits{FailureLimit: 1, InconclusiveLimit: ptr(2), ConsecutiveErrorLimit: ptr(4)},
		Step:       analysis.Duration(15 * time.Second),
		Thresholds: analysis.ScoreThreshold{Pass: 95, Marginal: 75},
		Metrics: []analysis.MetricSpec{
			{
				Name:  "latency",
				Query: `histogram_quantile(0.99, sum by (le) (rate(x_bucket{${cohort}}[1m])))`,
				Judge: analysis.JudgeSpec{Type: analysis.JudgeMannWhitney, Direction: judges.Increase,
					Confidence: 0.98, AllowedIncrease: 1.1, CriticalIncrease: 2},
				Weight: 2, Critical: true, Group: "latency", MustHaveData: true,
			},
			{
				Name:  "errors",
				Query: `sum(rate(errors_total{${cohort}}[1m]))`,
				Judge: analysis.JudgeSpec{Type: analysis.JudgeThreshold, Aggregate: "mean",
					Lower: ptr(0.0), Upper: ptr(0.1 + 0.2), Relative: true},
				NoData: judges.NoDataFail,
			},
		},
		GroupWeights: map[string]float64{"latency": 60, "": 40},
		Webhooks:     []string{"http://127.0.0.1:9/hook"},
	}
}

// testVerdict has floats that text encodings like to change and strings
// that need escaping.
func testVerdict(expID string, outcome judges.Outcome) analysis.Verdict {
	return analysis.Verdict{
		ExperimentID: expID,
		Experiment:   "checkout",
		Verdict:      outcome,
		Score:        new(0.1 + 0.2),
		Reason:       "nul\x00 <tag> & \"quote\" ü 🙂",
		Window:       analysis.TimeRange{Start: t0.Add(-time.Hour), End: t0},
		Metrics: []analysis.MetricResult{{
			Name: "latency", Judge: analysis.JudgeMannWhitney, Classification: judges.High,
			Weight: 2, Critical: true, CriticalBreach: true, Group: "latency",
			Baseline: analysis.CohortSummary{Query: "q1", N: 240, Median: ptr(0.012), Mean: nil},
			Canary:   analysis.CohortSummary{Query: "q2", N: 0},
			Shift:    ptr(-1e-300), CILow: ptr(5e-324), CIHigh: ptr(math.MaxFloat64),
			PValue: ptr(1.2345678901234567e-05), MeanRatio: ptr(123456789.123456789),
		}},
		CompletedAt: t0,
	}
}

// testRun is a running run of expID due at due.
func testRun(expID, id string, due time.Time) analysis.Run {
	return analysis.Run{
		ID:           id,
		ExperimentID: expID,
		Spec:         testSpec(expID),
		Status:       analysis.RunRunning,
		StartedAt:    t0,
		NextIndex:    0,
		NextDue:      due,
		State:        json.RawMessage(`{"z":1,  "a":[1.50,"x"], "n":null}`),
		CreatedAt:    t0,
		UpdatedAt:    t0,
	}
}

// testExperiment is a stored-ready experiment created at created.
func testExperiment(id string, created time.Time) analysis.ExperimentRecord {
	return analysis.ExperimentRecord{ID: id, Spec: testSpec(id), CreatedAt: created, UpdatedAt: created, Version: 1}
}

// stored is what the store returns for a time: UTC, microseconds.
func stored(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// storedRun is r as the store returns it.
func storedRun(r analysis.Run) analysis.Run {
	r.StartedAt, r.NextDue, r.CreatedAt, r.UpdatedAt = stored(r.StartedAt), stored(r.NextDue), stored(r.CreatedAt), stored(r.UpdatedAt)
	if !r.LeaseUntil.IsZero() {
		r.LeaseUntil = stored(r.LeaseUntil)
	}
	if r.EndedAt != nil {
		r.EndedAt = ptr(stored(*r.EndedAt))
	}
	return r
}

// mustEqual fails unless got and want are deeply equal; it prints both as
// JSON.
func mustEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s differs:\n got: %s\nwant: %s", what, asJSON(got), asJSON(want))
	}
}

func asJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}

// createExperiments stores n experiments e0…e(n-1), one second apart.
func createExperiments(t *testing.T, s *Store, n int) []analysis.ExperimentRecord {
	t.Helper()
	out := make([]analysis.ExperimentRecord, n)
	for i := range n {
		out[i] = testExperiment(fmt.Sprintf("e%d", i), t0.Add(time.Duration(i)*time.Second))
		if err := s.CreateExperiment(testCtx(t), out[i]); err != nil {
			t.Fatalf("create experiment %d: %v", i, err)
		}
	}
	return out
}
