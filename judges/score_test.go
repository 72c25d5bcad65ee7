package judges

import (
	"math"
	"strings"
	"testing"
)

func TestScoreRun(t *testing.T) {
	th := Thresholds{Pass: 75, Marginal: 50}
	m := func(name string, c Classification, w float64) Scored {
		return Scored{Name: name, Classification: c, Weight: w}
	}
	crit := func(s Scored) Scored { s.Critical = true; return s }
	breach := func(s Scored) Scored { s.CriticalBreach = true; return s }

	for _, tc := range []struct {
		name    string
		metrics []Scored
		th      Thresholds
		want    Outcome
		score   float64
		reason  string
	}{
		{"all pass", []Scored{m("a", Pass, 1), m("b", Pass, 2)}, th, OutcomePass, 100, "score 100.0 ≥ pass 75"},
		{"weighted pass", []Scored{m("a", Pass, 3), m("b", High, 1)}, th, OutcomePass, 75, "score 75.0 ≥ pass 75: b high"},
		{"marginal", []Scored{m("a", Pass, 2), m("b", Low, 1)}, th, OutcomeMarginal, 200.0 / 3, "score 66.7 < pass 75: b low"},
		{"fail", []Scored{m("cpu", Pass, 1), m("p99_latency", High, 1), m("error_rate", High, 1)}, th, OutcomeFail, 100.0 / 3,
			"score 33.3 < marginal 50: p99_latency high, error_rate high"},
		{"no metrics", nil, th, OutcomeInconclusive, 0, "no metrics"},
		{"critical breach fails", []Scored{m("a", Pass, 10), breach(m("b", High, 1))}, th, OutcomeFail, 0,
			"critical failure: b high beyond its critical bound"},
		{"critical metric high fails", []Scored{m("a", Pass, 10), crit(m("b", Low, 1))}, th, OutcomeFail, 0,
			"critical failure: b low (critical metric)"},
		{"critical metric passing is fine", []Scored{m("a", Pass, 1), crit(m("b", Pass, 1))}, th, OutcomePass, 100, ""},
		{"critical breach beats missing data", []Scored{m("a", NoData, 1), breach(m("b", High, 1))}, th, OutcomeFail, 0, "critical"},
		{"nodata is not a pass", []Scored{m("a", Pass, 1), m("b", NoData, 1)}, th, OutcomeInconclusive, 100,
			"no data for b; score 50.0..100.0"},
		{"all nodata", []Scored{m("a", NoData, 1), m("b", NoData, 1)}, th, OutcomeInconclusive, 0, "no data for a, b"},
		{"error is not a pass", []Scored{m("a", Pass, 1), m("b", Error, 1)}, th, OutcomeError, 100, "error in b"},
		{"error wins over nodata", []Scored{m("a", Pass, 1), m("b", Error, 1), m("c", NoData, 1)}, th, OutcomeError, 100, "error in b"},
		{"critical metric without data is never a pass", []Scored{m("a", Pass, 5), crit(m("b", NoData, 1))}, th,
			OutcomeInconclusive, 100, "no data for b"},
		{"critical metric in error", []Scored{m("a", Pass, 5), crit(m("b", Error, 1))}, th, OutcomeError, 100, "error in b"},
		{"missing metrics cannot save a failing run", []Scored{m("a", High, 3), m("b", Low, 3), m("c", NoData, 1), m("d", Error, 1)}, th,
			OutcomeFail, 0, "best-case score 25.0 < marginal 50 even if c, d passed: a high, b low"},
		{"best case exactly marginal is inconclusive", []Scored{m("a", High, 1), m("b", NoData, 1)}, th, OutcomeInconclusive, 0, "no data for b"},
		{"zero weight", []Scored{m("a", Pass, 0)}, th, OutcomeError, 0, "a: weight 0 must be > 0"},
		{"negative weight", []Scored{m("a", Pass, 1), m("b", Pass, -1)}, th, OutcomeError, 0, "b: weight -1"},
		{"NaN weight", []Scored{m("", Pass, math.NaN())}, th, OutcomeError, 0, "metric #0: weight NaN"},
		{"infinite weight", []Scored{m("a", Pass, math.Inf(1))}, th, OutcomeError, 0, "weight +Inf"},
		{"unknown classification", []Scored{m("a", "meh", 1)}, th, OutcomeError, 0, `unknown classification "meh"`},
		{"marginal above pass", []Scored{m("a", Pass, 1)}, Thresholds{Pass: 50, Marginal: 75}, OutcomeError, 0, "invalid Marginal 75: above Pass 50"},
		{"pass above 100", []Scored{m("a", Pass, 1)}, Thresholds{Pass: 101}, OutcomeError, 0, "invalid Pass 101: outside [0, 100]"},
		{"NaN threshold", []Scored{m("a", Pass, 1)}, Thresholds{Pass: math.NaN()}, OutcomeError, 0, "invalid Pass NaN"},
		{"several problems on one line", []Scored{m("a", Pass, 0), m("b", "meh", -1)}, Thresholds{Pass: 50, Marginal: 75}, OutcomeError, 0,
			"invalid Marginal 75: above Pass 50"},
		{"several metric problems on one line", []Scored{m("a", Pass, 0), m("b", "meh", -1)}, th, OutcomeError, 0,
			`a: weight 0 must be > 0 and finite; b: weight -1 must be > 0 and finite; b: unknown classification "meh"`},
		{"thresholds at zero pass everything with data", []Scored{m("a", High, 1)}, Thresholds{}, OutcomePass, 0, "score 0.0 ≥ pass 0: a high"},
		{"long list is truncated", []Scored{m("a", High, 1), m("b", High, 1), m("c", High, 1), m("d", High, 1),
			m("e", High, 1), m("f", High, 1), m("g", High, 1)}, th, OutcomeFail, 0, "e high and 2 more"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ScoreRun(tc.metrics, tc.th)
			if got.Outcome != tc.want || math.Abs(got.Score-tc.score) > 1e-9 {
				t.Errorf("got %s %.4g (%s), want %s %.4g", got.Outcome, got.Score, got.Reason, tc.want, tc.score)
			}
			if !strings.Contains(got.Reason, tc.reason) || got.Reason == "" || strings.Contains(got.Reason, "\n") {
				t.Errorf("reason %q, want one line containing %q", got.Reason, tc.reason)
			}
			if math.IsNaN(got.Score) || math.IsInf(got.Score, 0) {
				t.Errorf("score %v is not finite", got.Score)
			}
		})
	}
}

// A failing metric never raises the score, and adding a passing one never
// lowers it.
func TestScoreRunMonotone(t *testing.T) {
	th := Thresholds{Pass: 90, Marginal: 60}
	base := []Scored{{Name: "a", Classification: Pass, Weight: 2}, {Name: "b", Classification: High, Weight: 1}}
	s0 := ScoreRun(base, th).Score
	if s := ScoreRun(append(base[:2:2], Scored{Name: "c", Classification: Low, Weight: 1}), th).Score; s > s0 {
		t.Errorf("adding a failing metric raised the score %v → %v", s0, s)
	}
	if s := ScoreRun(append(base[:2:2], Scored{Name: "c", Classification: Pass, Weight: 1}), th).Score; s < s0 {
		t.Errorf("adding a passing metric lowered the score %v → %v", s0, s)
	}
}
