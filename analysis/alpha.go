package analysis

import (
	"math"
	"sync"

	"github.com/augurhq/augur/judges"
)

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
//     O'Brien–Fleming), so early, thin looks spend little. With windows
//     that grow from the start (no lookback) and at most 100 looks, each
//     look's level comes from the group-sequential bounds of that spending
//     (judges.GroupSequentialBounds: the looks overlap, so the last look
//     tests at about three times the level a union bound would leave it;
//     the bounds assume the looks are as correlated as nested windows of
//     independent data, and more correlation, as pods' persistent offsets
//     give, only makes them conservative). Otherwise (sliding windows,
//     more looks) look k of K tests at α_m·((k/K)³ − ((k−1)/K)³): a union
//     bound, valid whatever the windows.
//   - a metric with several tests splits its share before the looks: each
//     test gets α_m/n and its own group-sequential levels.

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
// looks when it is the metric's only test.
func (s Spec) LookAlpha(m MetricSpec, look, looks int) float64 {
	return s.LookLevel(m, look, looks, 1)
}

// MaxGroupSequentialLooks bounds the looks whose levels come from
// group-sequential bounds (computing them costs about 5 ms per look, once
// per level and count); longer runs use the union bound.
const MaxGroupSequentialLooks = 100

// LookLevel is the one-sided level of one of tests tests that share m's
// budget, at look (1-based) of looks.
func (s Spec) LookLevel(m MetricSpec, look, looks, tests int) float64 {
	a := s.MetricAlpha(m) / float64(max(tests, 1))
	if looks <= 1 || a == 0 {
		return a
	}
	look = min(max(look, 1), looks)
	if s.Timing.Lookback == 0 && looks <= MaxGroupSequentialLooks {
		if b, err := groupSequential(a, looks); err == nil {
			return 0.5 * math.Erfc(b[look-1]/math.Sqrt2)
		}
	}
	f := func(k int) float64 { return math.Pow(float64(k)/float64(looks), spendingRho) }
	return a * (f(look) - f(look-1))
}

type gsKey struct {
	alpha float64
	looks int
}

// gsCache holds computed bounds by level and count of looks (few distinct
// keys: one per metric budget and interval count in use).
var gsCache sync.Map

// groupSequential returns the bounds for equally spaced looks spending
// alpha by the power function.
func groupSequential(alpha float64, looks int) ([]float64, error) {
	k := gsKey{alpha, looks}
	if b, ok := gsCache.Load(k); ok {
		return b.([]float64), nil
	}
	t := make([]float64, looks)
	for i := range t {
		t[i] = float64(i+1) / float64(looks)
	}
	b, err := judges.GroupSequentialBounds(alpha, t, judges.PowerSpending(spendingRho))
	if err != nil {
		return nil, err
	}
	gsCache.Store(k, b)
	return b, nil
}
