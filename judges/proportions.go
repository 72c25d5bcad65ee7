package judges

import (
	"fmt"
	"math"
	"strings"
)

// maxProportionTotal bounds each cohort's total so that every count and
// their sums are exact in float64.
const maxProportionTotal = 1 << 50

// ProportionsResult compares the canary's error rate with the baseline's
// on the 2×2 table (rows canary, baseline; columns errors, non-errors).
//
// Every p-value is NaN when the table has a zero margin (a cohort with no
// requests, no errors anywhere, or only errors): the tests are not
// computable and Note says so. Nothing here ever defaults to a passing
// value.
type ProportionsResult struct {
	CanaryErrors, CanaryTotal, BaselineErrors, BaselineTotal int64

	// CanaryRate and BaselineRate are errors/total (NaN for a total of 0);
	// Diff is CanaryRate − BaselineRate.
	CanaryRate, BaselineRate, Diff float64

	// Z is the pooled two-proportion statistic
	// (r_c − r_b)/sqrt(p̂(1−p̂)(1/n_c + 1/n_b)), positive when the canary
	// fails more often. ChiSquare = Z² is Pearson's χ² without Yates'
	// correction; PValueZ is its two-sided p (identical for Z and χ²).
	Z, ChiSquare, PValueZ float64
	// PValueZGreater is the one-sided p for "the canary's rate is higher".
	PValueZGreater float64

	// ChiSquareYates and PValueYates are Pearson's χ² with Yates'
	// continuity correction (R prop.test(correct=TRUE), chisq.test, scipy
	// chi2_contingency(correction=True)).
	ChiSquareYates, PValueYates float64

	// PValueFisher is Fisher's exact two-sided p: the probability of all
	// tables with the observed margins whose probability is at most
	// P_obs·(1+1e-7), as R fisher.test. PValueFisherGreater is the
	// one-sided p for "the canary's rate is higher" (odds ratio > 1).
	PValueFisher, PValueFisherGreater float64

	Note string
}

// Proportions compares error counts of the canary and the baseline with the
// pooled two-proportion z test (Pearson χ² without correction), Yates'
// corrected χ², and Fisher's exact test, two-sided and one-sided for
// "canary worse". Counts must satisfy 0 ≤ errors ≤ total ≤ 2^50.
//
// scipy and R agree on z, χ² and Yates (scipy chi2_contingency with
// correction=False/True, R prop.test with correct=FALSE/TRUE). For Fisher's
// two-sided test we follow R fisher.test (the 1+1e-7 relative tolerance on
// P_obs is R's); scipy.stats.fisher_exact was not used as a reference. Where both return p = 1 for a table with a zero
// margin we return NaN with a Note instead (see ProportionsResult).
//
// Fisher's sums run in log space from the hypergeometric log-probability of
// one anchor table (log-binomials from the Stirling-corrected lbeta), then
// by the exact ratio P(k+1)/P(k) outward from the anchor, stopping when a
// term is below 1e-17 of the running sum (terms decrease monotonically away
// from the mode, so what is left is below 1e-16 relative). Only the
// support is visited and the boundaries of the two-sided rejection region
// are found by bisection, so the cost is O(√N) steps, even for totals of
// 1e8 and more.
func Proportions(canaryErrors, canaryTotal, baselineErrors, baselineTotal int64) (ProportionsResult, error) {
	nan := math.NaN()
	r := ProportionsResult{
		CanaryErrors: canaryErrors, CanaryTotal: canaryTotal,
		BaselineErrors: baselineErrors, BaselineTotal: baselineTotal,
		CanaryRate: nan, BaselineRate: nan, Diff: nan,
		Z: nan, ChiSquare: nan, PValueZ: nan, PValueZGreater: nan,
		ChiSquareYates: nan, PValueYates: nan,
		PValueFisher: nan, PValueFisherGreater: nan,
	}
	for _, c := range []struct {
		name          string
		errors, total int64
	}{{"canary", canaryErrors, canaryTotal}, {"baseline", baselineErrors, baselineTotal}} {
		switch {
		case c.total < 0 || c.total > maxProportionTotal:
			return r, fmt.Errorf("judges: %s total %d is outside [0, 2^50]", c.name, c.total)
		case c.errors < 0 || c.errors > c.total:
			return r, fmt.Errorf("judges: %s errors %d are outside [0, total=%d]", c.name, c.errors, c.total)
		}
	}
	nc, nb := float64(canaryTotal), float64(baselineTotal)
	if canaryTotal > 0 {
		r.CanaryRate = float64(canaryErrors) / nc
	}
	if baselineTotal > 0 {
		r.BaselineRate = float64(baselineErrors) / nb
	}
	r.Diff = r.CanaryRate - r.BaselineRate

	k := canaryErrors + baselineErrors
	total := canaryTotal + baselineTotal
	var why []string
	if canaryTotal == 0 {
		why = append(why, "the canary has no requests")
	}
	if baselineTotal == 0 {
		why = append(why, "the baseline has no requests")
	}
	if len(why) == 0 && k == 0 {
		why = append(why, "neither cohort has errors")
	}
	if len(why) == 0 && k == total {
		why = append(why, "every request in both cohorts is an error")
	}
	if len(why) > 0 {
		r.Note = "not computable: " + strings.Join(why, " and ")
		return r, nil
	}

	// Pooled z and Pearson χ².
	n := float64(total)
	pooled := float64(k) / n
	se := math.Sqrt(pooled * (1 - pooled) * (1/nc + 1/nb))
	r.Z = r.Diff / se
	r.ChiSquare = r.Z * r.Z
	r.PValueZ = math.Erfc(math.Abs(r.Z) / math.Sqrt2)
	r.PValueZGreater = 0.5 * math.Erfc(r.Z/math.Sqrt2)

	// Yates: (|O − E| − min(½, |O − E|))²·Σ 1/E over the four cells.
	ke, kn := float64(k), float64(total-k)
	e11 := nc * ke / n
	dev := math.Abs(float64(canaryErrors) - e11)
	y := max(dev-0.5, 0)
	inv := 1/e11 + 1/(nc*kn/n) + 1/(nb*ke/n) + 1/(nb*kn/n)
	r.ChiSquareYates = y * y * inv
	r.PValueYates = math.Erfc(math.Sqrt(r.ChiSquareYates / 2))

	h := hypergeom{k: k, nDraw: canaryTotal, total: total}
	r.PValueFisher = h.twoSided(canaryErrors)
	r.PValueFisherGreater = h.upper(canaryErrors)
	return r, nil
}

// hypergeom is the distribution of the canary's error count given the
// margins: total requests, k errors among them, nDraw canary requests.
type hypergeom struct {
	k, nDraw, total int64
}

func (h hypergeom) support() (lo, hi int64) {
	return max(0, h.nDraw-(h.total-h.k)), min(h.k, h.nDraw)
}

// logPMF is log P(X = x).
func (h hypergeom) logPMF(x int64) float64 {
	return lchoose(h.k, x) + lchoose(h.total-h.k, h.nDraw-x) - lchoose(h.total, h.nDraw)
}

// ratio is P(X = x+1)/P(X = x).
func (h hypergeom) ratio(x int64) float64 {
	return float64(h.k-x) * float64(h.nDraw-x) / (float64(x+1) * float64(h.total-h.k-h.nDraw+x+1))
}

// mode returns a point of maximal probability.
func (h hypergeom) mode() int64 {
	lo, hi := h.support()
	m := int64(math.Floor(float64(h.nDraw+1) * float64(h.k+1) / float64(h.total+2)))
	m = min(max(m, lo), hi)
	for m < hi && h.ratio(m) > 1 {
		m++
	}
	for m > lo && h.ratio(m-1) < 1 {
		m--
	}
	return m
}

// tail sums P(X = a) + P(X = a+dir) + ... to the end of the support; a must
// lie on the side of the mode where terms decrease in direction dir.
func (h hypergeom) tail(a int64, dir int64) float64 {
	lo, hi := h.support()
	if a < lo || a > hi {
		return 0
	}
	s, t := 1.0, 1.0
	for x := a; ; {
		if dir > 0 {
			if x >= hi {
				break
			}
			t *= h.ratio(x)
			x++
		} else {
			if x <= lo {
				break
			}
			t /= h.ratio(x - 1)
			x--
		}
		s += t
		if t < 1e-17*s {
			break
		}
	}
	return s * math.Exp(h.logPMF(a))
}

// upper is P(X ≥ x).
func (h hypergeom) upper(x int64) float64 {
	lo, _ := h.support()
	if x <= lo {
		return 1
	}
	if x > h.mode() {
		return min(1, h.tail(x, +1))
	}
	return max(0, 1-h.tail(x-1, -1))
}

// twoSided sums P(X = j) over all j with P(X = j) ≤ P(X = x)·(1+1e-7).
func (h hypergeom) twoSided(x int64) float64 {
	lo, hi := h.support()
	m := h.mode()
	thr := h.logPMF(x) + math.Log1p(1e-7)
	if h.logPMF(m) <= thr {
		return 1
	}
	var p float64
	// Left of the mode log P increases: find the largest j < m with
	// log P(j) ≤ thr.
	if lo < m && h.logPMF(lo) <= thr {
		a, b := lo, m // log P(a) ≤ thr < log P(b)
		for b-a > 1 {
			c := a + (b-a)/2
			if h.logPMF(c) <= thr {
				a = c
			} else {
				b = c
			}
		}
		p += h.tail(a, -1)
	}
	// Right of the mode log P decreases: find the smallest j > m with
	// log P(j) ≤ thr.
	if hi > m && h.logPMF(hi) <= thr {
		a, b := m, hi // log P(a) > thr ≥ log P(b)
		for b-a > 1 {
			c := a + (b-a)/2
			if h.logPMF(c) <= thr {
				b = c
			} else {
				a = c
			}
		}
		p += h.tail(b, +1)
	}
	return min(1, p)
}
