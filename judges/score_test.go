package judges

import (
	"math"
	"slices"
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

func TestScoreGroups(t *testing.T) {
	th := Thresholds{Pass: 90, Marginal: 75}
	m := func(group, name string, c Classification) Scored {
		return Scored{Name: name, Group: group, Classification: c, Weight: 1}
	}
	policy := func(s Scored, p NoDataPolicy) Scored { s.NoDataPolicy = p; return s }
	crit := func(s Scored) Scored { s.Critical = true; return s }
	mustHave := func(s Scored) Scored { s.MustHaveDataBreach = true; return s }
	// Kayenta's shape: two groups, one failing metric in each.
	kayenta := []Scored{
		m("latency", "p50", Pass), m("latency", "p99", High),
		policy(m("errors", "error_rate", NoData), NoDataFail), m("errors", "5xx", Pass), m("errors", "4xx", Pass), m("errors", "timeouts", Pass),
	}
	for _, tc := range []struct {
		name    string
		metrics []Scored
		weights map[string]float64
		want    Outcome
		score   float64
		reason  string // exact
	}{
		{"kayenta example", kayenta, map[string]float64{"latency": 50, "errors": 50}, OutcomeFail, 62.5,
			"score 62.5 < marginal 75: latency group 50 (p99 high), errors group 75 (error_rate nodata → fail)"},
		{"equal weights when none are given", kayenta, nil, OutcomeFail, 62.5,
			"score 62.5 < marginal 75: latency group 50 (p99 high), errors group 75 (error_rate nodata → fail)"},
		{"unequal weights", kayenta, map[string]float64{"latency": 1, "errors": 3}, OutcomeFail, 68.75,
			"score 68.8 < marginal 75: latency group 50 (p99 high), errors group 75 (error_rate nodata → fail)"},
		{"weights need not sum to 100", []Scored{m("a", "x", Pass), m("b", "y", High)}, map[string]float64{"a": 0.3, "b": 0.1},
			OutcomeMarginal, 75, "score 75.0 < pass 90: b group 0 (y high)"},
		{"no-data group does not score 100", []Scored{m("a", "x", Pass), m("b", "y", NoData)}, nil, OutcomeInconclusive, 100,
			"no data for y; score 50.0..100.0 depending on them"},
		{"no-data group with policy fail scores 0", []Scored{m("a", "x", Pass), policy(m("b", "y", NoData), NoDataFail)}, nil,
			OutcomeFail, 50, "score 50.0 < marginal 75: b group 0 (y nodata → fail)"},
		{"ignored metric is dropped", []Scored{m("a", "x", Pass), policy(m("b", "y", NoData), NoDataIgnore), m("b", "z", Pass)}, nil,
			OutcomePass, 100, "score 100.0 ≥ pass 90"},
		{"ignored group is dropped with its weight", []Scored{m("a", "x", Pass), policy(m("b", "y", NoData), NoDataIgnore)},
			map[string]float64{"a": 1, "b": 100}, OutcomePass, 100, "score 100.0 ≥ pass 90"},
		{"everything ignored is inconclusive", []Scored{policy(m("a", "x", NoData), NoDataIgnore), policy(m("b", "y", NoData), NoDataIgnore)}, nil,
			OutcomeInconclusive, 0, "every metric is ignored for lack of data: nothing to score"},
		{"ignored and inconclusive no data", []Scored{policy(m("a", "x", NoData), NoDataIgnore), m("b", "y", NoData)}, nil,
			OutcomeInconclusive, 0, "no data for y; score 0.0..100.0 depending on them"},
		{"all no data with policy fail fails", []Scored{policy(m("a", "x", NoData), NoDataFail), policy(m("", "y", NoData), NoDataIgnore)}, nil,
			OutcomeFail, 0, "score 0.0 < marginal 75: a group 0 (x nodata → fail)"},
		{"ignore does not hide an error", []Scored{m("a", "x", Pass), policy(m("a", "y", Error), NoDataIgnore)}, nil,
			OutcomeError, 100, "error in y; score 50.0..100.0 depending on the metrics without a verdict"},
		{"best case across groups still fails", []Scored{m("a", "x", High), m("a", "y", NoData), m("b", "z", Low)}, nil,
			OutcomeFail, 0, "best-case score 25.0 < marginal 75 even if y passed: a group 0 (x high), b group 0 (z low)"},
		{"critical metric is never ignored", []Scored{m("a", "x", Pass), crit(policy(m("b", "y", NoData), NoDataIgnore))}, nil,
			OutcomeInconclusive, 100, "no data for y; score 50.0..100.0 depending on them"},
		{"critical metric with no data under policy fail", []Scored{m("a", "x", Pass), crit(policy(m("b", "y", NoData), NoDataFail))}, nil,
			OutcomeFail, 0, "critical failure: y nodata → fail (critical metric)"},
		{"critical metric in error is an error, not a pass", []Scored{m("a", "x", Pass), m("a", "w", Pass), crit(m("b", "y", Error))}, nil,
			OutcomeError, 100, "error in y; score 50.0..100.0 depending on the metrics without a verdict"},
		{"critical error does not fail a run alone, but a breach elsewhere does",
			[]Scored{crit(m("a", "x", Error)), crit(m("b", "y", High))}, nil, OutcomeFail, 0, "critical failure: y high (critical metric)"},
		{"must-have-data breach fails a passing run", []Scored{m("a", "x", Pass), m("a", "w", Pass), m("a", "v", Pass), mustHave(m("b", "y", NoData))}, nil,
			OutcomeFail, 50, "no data for must-have metric y; score 50.0: b group 0 (y nodata, must have data)"},
		{"must-have-data breach beats an error", []Scored{m("", "x", Error), mustHave(m("", "y", NoData)), m("", "z", Pass)}, nil,
			OutcomeFail, 50, "no data for must-have metric y; score 50.0: y nodata, must have data"},
		{"must-have-data breach overrides ignore", []Scored{m("", "x", Pass), policy(mustHave(m("", "y", NoData)), NoDataIgnore)}, nil,
			OutcomeFail, 50, "no data for must-have metric y; score 50.0: y nodata, must have data"},
		{"critical must-have-data breach scores 0", []Scored{m("", "x", Pass), crit(mustHave(m("", "y", NoData)))}, nil,
			OutcomeFail, 0, "critical failure: y nodata, must have data (critical metric)"},
		{"unnamed group among named ones", []Scored{m("", "x", High), m("a", "y", Pass)}, map[string]float64{"": 1, "a": 3},
			OutcomeMarginal, 75, "score 75.0 < pass 90: (no group) group 0 (x high)"},
		{"group weight for an absent group", []Scored{m("a", "x", Pass)}, map[string]float64{"a": 1, "b": 1}, OutcomeError, 0,
			"invalid metrics: group b has a weight but no metric"},
		{"metric in a group without weight", []Scored{m("a", "x", Pass), m("c", "y", Pass), m("c", "z", Pass)}, map[string]float64{"a": 1}, OutcomeError, 0,
			"invalid metrics: y: group c has no weight"},
		{"ungrouped metric when weights are given", []Scored{m("a", "x", Pass), m("", "y", Pass)}, map[string]float64{"a": 1}, OutcomeError, 0,
			"invalid metrics: y: group (no group) has no weight"},
		{"bad group weights", []Scored{m("a", "x", Pass), m("b", "y", Pass), m("c", "z", Pass), m("d", "w", Pass)},
			map[string]float64{"a": 0, "b": -1, "c": math.NaN(), "d": math.Inf(1)}, OutcomeError, 0,
			"invalid metrics: group a: weight 0 must be > 0 and finite; group b: weight -1 must be > 0 and finite; group c: weight NaN must be > 0 and finite; group d: weight +Inf must be > 0 and finite"},
		{"unknown policy", []Scored{policy(m("", "x", NoData), "skip")}, nil, OutcomeError, 0,
			`invalid metrics: x: unknown no-data policy "skip": want fail, inconclusive or ignore`},
		{"breach on a passing metric", []Scored{mustHave(m("", "x", Pass))}, nil, OutcomeError, 0,
			`invalid metrics: x: must-have-data breach on a "pass" metric: only NoData breaches`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ScoreGroups(tc.metrics, th, tc.weights)
			if got.Outcome != tc.want || math.Abs(got.Score-tc.score) > 1e-9 || got.Reason != tc.reason {
				t.Errorf("got %s %.6g %q\nwant %s %.6g %q", got.Outcome, got.Score, got.Reason, tc.want, tc.score, tc.reason)
			}
			if tc.want != OutcomeError || len(got.Groups) > 0 {
				var n int
				for _, g := range got.Groups {
					n += g.Pass + g.Fail + g.NoVerdict + g.Ignored
					if !g.Scored && g.Score != 0 {
						t.Errorf("group %q without verdict scores %v", g.Name, g.Score)
					}
				}
				if n != len(tc.metrics) {
					t.Errorf("groups count %d metrics, want %d: %+v", n, len(tc.metrics), got.Groups)
				}
			}
			if nanPass(tc.metrics) && got.Outcome == OutcomePass {
				t.Error("pass with a metric without a verdict")
			}
		})
	}
}

// nanPass reports whether a metric has no verdict and is not ignored.
func nanPass(ms []Scored) bool {
	for _, m := range ms {
		if m.Classification == Error || m.Classification == NoData && policyOf(m) == NoDataInconclusive {
			return true
		}
	}
	return false
}

func TestScoreGroupsDetail(t *testing.T) {
	got := ScoreGroups([]Scored{
		{Name: "p50", Group: "latency", Classification: Pass, Weight: 3},
		{Name: "p99", Group: "latency", Classification: High, Weight: 1},
		{Name: "errors", Group: "errors", Classification: NoData, Weight: 1, NoDataPolicy: NoDataIgnore},
		{Name: "5xx", Group: "errors", Classification: NoData, Weight: 1},
	}, Thresholds{Pass: 70, Marginal: 50}, map[string]float64{"latency": 2, "errors": 1})
	want := []GroupScore{
		{Name: "latency", Weight: 2, Score: 75, Scored: true, Pass: 1, Fail: 1},
		{Name: "errors", Weight: 1, NoVerdict: 1, Ignored: 1},
	}
	if !slices.Equal(got.Groups, want) || got.Outcome != OutcomeInconclusive || got.Score != 75 {
		t.Errorf("got %s %v %+v\nwant groups %+v", got.Outcome, got.Score, got.Groups, want)
	}
	// Best case: (2·75 + 1·100)/3; worst: (2·75 + 1·0)/3.
	if got.Reason != "no data for 5xx; score 50.0..83.3 depending on them" {
		t.Errorf("reason %q", got.Reason)
	}
}

// ScoreRun is ScoreGroups with equal group weights, and without groups a
// group weight changes nothing.
func TestScoreRunIsScoreGroups(t *testing.T) {
	th := Thresholds{Pass: 80, Marginal: 60}
	ms := []Scored{{Name: "a", Classification: Pass, Weight: 2}, {Name: "b", Classification: High, Weight: 1},
		{Name: "c", Classification: NoData, Weight: 1, NoDataPolicy: NoDataFail}}
	a, b, c := ScoreRun(ms, th), ScoreGroups(ms, th, nil), ScoreGroups(ms, th, map[string]float64{"": 7})
	c.Groups[0].Weight = 1
	if a.Reason != b.Reason || a.Score != b.Score || a.Outcome != b.Outcome || a.Reason != c.Reason || a.Score != c.Score ||
		!slices.Equal(a.Groups, c.Groups) {
		t.Errorf("ScoreRun %+v\nScoreGroups %+v\nweighted %+v", a, b, c)
	}
	if a.Outcome != OutcomeFail || a.Score != 50 || a.Reason != "score 50.0 < marginal 60: b high, c nodata → fail" {
		t.Errorf("got %+v", a)
	}
}
