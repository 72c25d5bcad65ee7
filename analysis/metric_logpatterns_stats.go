package analysis

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/mathext"

	"github.com/augurhq/augur/judges"
)

// Bounds of a logpatterns judgement.
const (
	// MaxJudgedPatterns bounds the patterns tested in one judgement: the
	// testable patterns with the most events. Testable patterns beyond it
	// still count in the correction, and when none of the judged fails the
	// metric is inconclusive, never a pass.
	MaxJudgedPatterns = 1000
	// MaxReportedPatterns bounds the failing patterns a result lists, with
	// their examples, most significant first; the reason counts the rest.
	MaxReportedPatterns = 20
)

// patternCount is one pattern's events in each cohort.
type patternCount struct {
	ID               string
	Canary, Baseline int64
}

// patternTest is one pattern's test. P and Adjusted are NaN for a pattern
// that was not tested.
type patternTest struct {
	patternCount
	MinP, P, Adjusted float64
}

// patternsJudgement is the per-pattern judgement of one comparison.
type patternsJudgement struct {
	// Tests holds every pattern with events, by MinP ascending (then ID):
	// the first Testable are the testable ones, of which the first Judged
	// were tested.
	Tests            []patternTest
	Testable, Judged int
	// Failing indexes Tests: the patterns significant after the
	// correction, smallest adjusted p first.
	Failing []int
	// P0 is the canary's share of an event under the null hypothesis.
	P0 float64
}

// judgePatterns tests every pattern at once: is it more frequent in the
// canary, per unit of exposure, than in the baseline by more than the
// relative margin?
//
// Given a pattern's n events in both cohorts, under the null (the canary's
// rate is at most (1+margin) times the baseline's) its canary count is at
// most Binomial(n, p0), p0 = (1+margin)·E_c / ((1+margin)·E_c + E_b) with
// E the exposures: the exact conditional test for two Poisson rates, whose
// one-sided p-value is P(X ≥ x). When the exposure is the cohort's log
// records, which include the pattern's own, the exact law is
// hypergeometric, narrower than the binomial: the test is conservative
// then. A pattern absent from the baseline is tested the same way (its
// p-value is p0^x), so a handful of new lines among many is not
// significant.
//
// Patterns are corrected together by Holm's step-down at alpha (the
// family-wise error rate: the chance that any listed pattern is a false
// alarm), over the testable patterns only (Tarone 1990): a pattern with n
// events cannot reach a p-value below p0^n, so rare patterns that could
// never be significant do not dilute the others. K is the least k with at
// most k patterns whose p0^n ≤ alpha/k, and those are the family. The
// family depends on the patterns' totals n only, on which each test
// conditions, so Holm's union bound over it holds at alpha whatever the
// dependence between patterns. Holm rather than Benjamini–Hochberg: a
// listed pattern fails the run, so each must be trustworthy on its own,
// and the run's budget is a family-wise rate (alpha.go). At most maxJudged
// are tested, those with the most events; the rest of the testable ones
// enter the correction with p = 1.
func judgePatterns(counts []patternCount, canaryExposure, baselineExposure, alpha, margin float64, maxJudged int) patternsJudgement {
	rc := (1 + margin) * canaryExposure
	p0 := rc / (rc + baselineExposure)
	j := patternsJudgement{P0: p0}
	logP0 := math.Log(p0)
	for _, c := range counts {
		n := c.Canary + c.Baseline
		if n <= 0 {
			continue
		}
		j.Tests = append(j.Tests, patternTest{patternCount: c, MinP: math.Exp(float64(n) * logP0), P: math.NaN(), Adjusted: math.NaN()})
	}
	sort.Slice(j.Tests, func(a, b int) bool {
		ta, tb := j.Tests[a], j.Tests[b]
		if ta.MinP != tb.MinP {
			return ta.MinP < tb.MinP
		}
		return ta.ID < tb.ID
	})
	j.Testable = taroneCount(j.Tests, alpha)
	j.Judged = min(j.Testable, maxJudged)
	if j.Testable == 0 {
		return j
	}
	ps := make([]float64, j.Testable)
	for i := range ps {
		ps[i] = 1
		if i < j.Judged {
			t := &j.Tests[i]
			t.P = binomUpper(t.Canary, t.Canary+t.Baseline, p0)
			ps[i] = t.P
		}
	}
	adj, err := judges.Adjust(judges.AdjustHolm, ps)
	if err != nil { // p-values are in [0, 1] by construction
		return j
	}
	for i := range j.Judged {
		j.Tests[i].Adjusted = adj[i]
		if adj[i] <= alpha {
			j.Failing = append(j.Failing, i)
		}
	}
	sort.SliceStable(j.Failing, func(a, b int) bool { return j.Tests[j.Failing[a]].Adjusted < j.Tests[j.Failing[b]].Adjusted })
	return j
}

// taroneCount is how many of tests (sorted by MinP) are testable at
// family-wise level alpha: m(K) for the least K with m(K) ≤ K, m(k) the
// number whose MinP ≤ alpha/k.
func taroneCount(tests []patternTest, alpha float64) int {
	if !(alpha > 0) {
		return 0
	}
	for k := 1; ; k++ {
		thr := alpha / float64(k)
		m := sort.Search(len(tests), func(i int) bool { return tests[i].MinP > thr })
		if m <= k {
			return m
		}
	}
}

// binomUpper is P(X ≥ x) for X ~ Binomial(n, p).
func binomUpper(x, n int64, p float64) float64 {
	switch {
	case x <= 0 || p >= 1:
		return 1
	case x > n || p <= 0:
		return 0
	}
	return mathext.RegIncBeta(float64(x), float64(n-x+1), p)
}
