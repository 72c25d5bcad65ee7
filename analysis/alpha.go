package analysis

import "math"

// The false-fail budget. A run's Confidence c gives it α = 1 − c: the
// probability that a canary no worse than its baseline fails the run. It is
// shared out so that every decisive metric of every comparison together,
// over every interval of the run, spends at most α:
//
//   - across metrics by Bonferroni: each decisive statistical metric (not
//     dry-run, not a threshold) of each comparison gets α/k, k their
//     number; a metric that sets its own judge.confidence c_m takes
//     1 − c_m instead and is left out of k. Bonferroni holds whatever the
//     dependence between metrics (latency and errors are correlated);
//   - within a metric, a judge that runs several tests (quantiles, the
//     worst pod) splits its share again;
//   - across intervals: a sequential judge is always valid and uses its
//     whole share at every look; a fixed-sample judge spends its share
//     with the power function α_m·(k/K)³ (Kim & DeMets' ρ = 3, close to
//     O'Brien–Fleming): look k of K tests at α_m·((k/K)³ − ((k−1)/K)³),
//     so early, thin looks spend little and the last, longest window keeps
//     about a quarter of it. The looks' levels sum to α_m (a union bound,
//     valid for growing and sliding windows alike).

// DefaultRunConfidence is a run's default Confidence: 1 % false fails.
const DefaultRunConfidence = 0.99

// spendingRho is the exponent of the power spending function.
const spendingRho = 3

// decisive reports whether m's judge spends false-fail budget (an
// imported Kayenta judge keeps its own level outside the budget).
func decisive(m MetricSpec) bool {
	return !m.DryRun && m.Judge.Type != JudgeThreshold && !m.Judge.Kayenta
}

// runAlpha is the run's false-fail rate.
func (s Spec) runAlpha() float64 {
	c := s.Confidence
	if c == 0 {
		c = DefaultRunConfidence
	}
	return 1 - c
}

// MetricAlpha is m's share of the run's false-fail budget over the whole
// run, per comparison (0 for metrics that spend none).
func (s Spec) MetricAlpha(m MetricSpec) float64 {
	if !decisive(m) {
		return 0
	}
	if m.Judge.Confidence > 0 {
		return 1 - m.Judge.Confidence
	}
	k := 0
	budget := s.runAlpha()
	for _, o := range s.Metrics {
		switch {
		case !decisive(o):
		case o.Judge.Confidence > 0:
			budget -= 1 - o.Judge.Confidence
		default:
			k++
		}
	}
	comps := len(s.Comparisons())
	if k == 0 || comps == 0 || budget <= 0 {
		return 0
	}
	return budget / float64(k*comps)
}

// LookAlpha is the level a fixed-sample test of m uses at look (1-based) of
// looks: its share of MetricAlpha by the spending function.
func (s Spec) LookAlpha(m MetricSpec, look, looks int) float64 {
	a := s.MetricAlpha(m)
	if looks <= 1 || a == 0 {
		return a
	}
	look = min(max(look, 1), looks)
	f := func(k int) float64 { return math.Pow(float64(k)/float64(looks), spendingRho) }
	return a * (f(look) - f(look-1))
}
