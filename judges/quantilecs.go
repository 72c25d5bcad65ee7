package judges

import (
	"errors"
	"fmt"
	"math"
)

// Quantile confidence sequences (doc.go, "Sequential judges"): Howard &
// Ramdas, "Sequential estimation of quantiles with applications to
// A/B-testing and best-arm identification" (Bernoulli 28(3), 2022, arXiv
// 1906.09712), Theorem 1, with the two-sided beta-binomial mixture boundary
// of Howard, Ramdas, McAuliffe & Sekhon, "Time-uniform, nonparametric,
// nonasymptotic confidence sequences" (Ann. Statist. 49(2), 2021),
// Proposition 6, tuned as in its Section 3.5.
//
// For the q-quantile of i.i.d. observations, S_t = Σ_{i≤t} (1{Y_i ≤ q*} − q)
// (Y_i a uniform tie-broken transform, so the increments are exactly
// centred Bernoulli in [−g, h] with g = q, h = 1 − q) has the mixture
// supermartingale, at intrinsic time v = g·h·t,
//
//	m(s, v) = (g+h)^{v/(gh)} · g^{−(v+hs)/(h(g+h))} · h^{−(v−gs)/(g(g+h))}
//	          · B((r+v−gs)/(g(g+h)), (r+v+hs)/(h(g+h))) / B(r/(g(g+h)), r/(h(g+h))),
//
// the likelihood ratio of a beta-binomial mixture (prior Beta(r/h, r/g) on
// the Bernoulli mean, whose mean is g/(g+h) = q) against Bernoulli(q). It is
// convex in s and m(0, 0) = 1, so by Ville's inequality S_t stays below the
// boundary u(v) solving log m(u, v) = log(1/α), and −S_t below the boundary
// with g and h swapped (the same supermartingale: m(s; g, h) =
// m(−s; h, g)), for all t at once with probability at least 1−α. With
// f_t = u(v)/t this gives Theorem 1's band
// [X_(⌊t(q−f_lo)⌋+1), X_(⌈t(q+f_hi)⌉)] (−∞ or +∞ when the index leaves
// 1..t). The tuning r = max(ρ − gh, 10⁻³·gh),
// ρ = v_opt/(2 log(1/α) + log(1 + 2 log(1/α))), v_opt = gh·t_opt, makes the
// boundary tightest near t_opt observations (Section 3.5 of the 2021 paper,
// the normal-mixture optimum); it holds at every t whatever t_opt is.

// QuantileCSTOpt is the number of observations per cohort at which the
// quantile confidence sequences are tightest (the order of a canary's
// requests in its first quarter hour at 10 requests per second). The
// boundary is valid at every sample size; the choice only moves where it is
// tightest.
const QuantileCSTOpt = 10000

// betaBinomialLogMixture is log m(s, v) above; r is the tuning parameter.
func betaBinomialLogMixture(s, v, g, h, r float64) float64 {
	gh := g + h
	return v/(g*h)*math.Log(gh) -
		(v+h*s)/(h*gh)*math.Log(g) -
		(v-g*s)/(g*gh)*math.Log(h) +
		lbeta((r+v-g*s)/(g*gh), (r+v+h*s)/(h*gh)) -
		lbeta(r/(g*gh), r/(h*gh))
}

// betaBinomialR is the tuning parameter r for a boundary tightest at v_opt
// for crossing probability alpha.
func betaBinomialR(vOpt, alpha, g, h float64) float64 {
	l := math.Log(1 / alpha)
	rho := vOpt / (2*l + math.Log1p(2*l))
	return max(rho-g*h, 1e-3*g*h)
}

// betaBinomialBoundary is the smallest s in (0, v/g] with
// log m(s, v) ≥ logThreshold, rounded up; +Inf when there is none (the
// increments cannot take S_t that far yet).
func betaBinomialBoundary(v, g, h, r, logThreshold float64) float64 {
	if v <= 0 {
		return math.Inf(1)
	}
	hi := v / g
	if !(betaBinomialLogMixture(hi, v, g, h, r) >= logThreshold) {
		return math.Inf(1)
	}
	lo := 0.0
	for i := 0; i < 200 && hi-lo > 1e-13*hi; i++ {
		mid := lo + (hi-lo)/2
		if betaBinomialLogMixture(mid, v, g, h, r) >= logThreshold {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// quantileRadii are f_lo and f_hi of the band on the q-quantile after t
// observations at level 1−alpha (+Inf where the band is not yet bounded).
func quantileRadii(q, t, alpha float64) (fLo, fHi float64) {
	if t <= 0 {
		return math.Inf(1), math.Inf(1)
	}
	gh := q * (1 - q)
	r := betaBinomialR(gh*QuantileCSTOpt, alpha, q, 1-q)
	l := math.Log(1 / alpha)
	fLo = betaBinomialBoundary(gh*t, 1-q, q, r, l) / t
	fHi = betaBinomialBoundary(gh*t, q, 1-q, r, l) / t
	return fLo, fHi
}

// quantileRanks are the 1-based ranks of the band's order statistics after
// t observations: kLo < 1 means the lower bound is −Inf, kHi > t that the
// upper bound is +Inf.
func quantileRanks(q, t, alpha float64) (kLo, kHi float64) {
	fLo, fHi := quantileRadii(q, t, alpha)
	kLo = math.Floor(t*(q-fLo)) + 1
	kHi = math.Ceil(t * (q + fHi))
	if math.IsInf(fLo, 1) {
		kLo = math.Inf(-1)
	}
	if math.IsInf(fHi, 1) {
		kHi = math.Inf(1)
	}
	return kLo, kHi
}

func checkQuantileArgs(q, alpha float64) error {
	var errs []error
	if !(q > 0 && q < 1) {
		errs = append(errs, fmt.Errorf("judges: quantile %v is not in (0, 1)", q))
	}
	if !(alpha > 0 && alpha < 1) {
		errs = append(errs, fmt.Errorf("judges: quantile bounds alpha %v is not in (0, 1)", alpha))
	}
	return errors.Join(errs...)
}

// QuantileBand is a time-uniform confidence band on one quantile of one
// cohort.
type QuantileBand struct {
	Q      float64 // the quantile level, e.g. 0.99
	Lo, Hi float64 // the band (Hi may be +Inf: not yet bounded)
	N      float64 // observations so far
}

// QuantileBounds is a confidence sequence for the q-quantile of a cohort's
// distribution from its cumulative histogram: with probability at least
// 1−alpha the band holds the true quantile at every time it is computed,
// however often (Howard & Ramdas 2022). Bounds snap outwards to the bucket
// edges.
//
// The ranks are those of QuantileBoundsSamples with N = the total count;
// Lo is the lower edge of the bucket holding the lower rank (−Inf for the
// first bucket), Hi the upper edge of the bucket holding the upper rank
// (+Inf for the last). Every observation lies in its bucket, so the band
// contains the band the raw observations would give. An empty histogram
// gives the unbounded band.
func QuantileBounds(h Histogram, q, alpha float64) (QuantileBand, error) {
	band := QuantileBand{Q: q, Lo: math.Inf(-1), Hi: math.Inf(1)}
	if err := errors.Join(checkQuantileArgs(q, alpha), h.validate("quantile")); err != nil {
		return band, err
	}
	n := 0.0
	for _, c := range h.Counts {
		n += c
	}
	band.N = n
	if n == 0 {
		return band, nil
	}
	kLo, kHi := quantileRanks(q, n, alpha)
	// bucket is the first bucket whose cumulative count reaches k, or the
	// last non-empty one when rounding of fractional counts leaves the
	// total just short of k.
	bucket := func(k float64) int {
		cum, last := 0.0, 0
		for i, c := range h.Counts {
			cum += c
			if cum >= k {
				return i
			}
			if c > 0 {
				last = i
			}
		}
		return last
	}
	// With a fractional total the lower rank may exceed it; the last
	// observation bounds it from below.
	kLo = min(kLo, n)
	if kLo >= 1 {
		if b := bucket(kLo); b > 0 {
			band.Lo = h.Bounds[b-1]
		}
	}
	if kHi <= n {
		if b := bucket(kHi); b < len(h.Bounds) {
			band.Hi = h.Bounds[b]
		}
	}
	return band, nil
}

// QuantileBoundsSamples is QuantileBounds from raw observations (sorted
// ascending), with bounds at order statistics.
func QuantileBoundsSamples(sorted []float64, q, alpha float64) (QuantileBand, error) {
	band := QuantileBand{Q: q, Lo: math.Inf(-1), Hi: math.Inf(1), N: float64(len(sorted))}
	if err := checkQuantileArgs(q, alpha); err != nil {
		return band, err
	}
	for i, x := range sorted {
		if math.IsNaN(x) || (i > 0 && x < sorted[i-1]) {
			return band, fmt.Errorf("judges: quantile bounds samples are not sorted ascending (or NaN) at index %d (%v)", i, x)
		}
	}
	t := float64(len(sorted))
	if t == 0 {
		return band, nil
	}
	kLo, kHi := quantileRanks(q, t, alpha)
	if kLo >= 1 {
		band.Lo = sorted[int(kLo)-1]
	}
	if kHi <= t {
		band.Hi = sorted[int(kHi)-1]
	}
	return band, nil
}

// QuantileComparison compares one quantile of two cohorts.
type QuantileComparison struct {
	Q                float64
	Canary, Baseline QuantileBand
	// RatioLo and RatioHi bound canary/baseline: Canary.Lo/Baseline.Hi and
	// Canary.Hi/Baseline.Lo.
	RatioLo, RatioHi float64
	// Worse: RatioLo > 1+margin (a regression beyond the margin is
	// established); NonInferior: RatioHi < 1+margin.
	Worse, NonInferior bool
}

// CompareQuantiles bounds each of qs (e.g. 0.5, 0.9, 0.99) in both cohorts
// with the level split so that every band of both cohorts holds at once with
// probability at least 1−alpha, and compares them against the relative
// margin (an increase is harmful).
//
// Each band has level 1 − alpha/(2·len(qs)) (Bonferroni). The quantities
// are non-negative (latencies, sizes): a histogram with a negative bound is
// an error, and a band's −Inf lower edge counts as 0, so a ratio whose
// denominator is 0 or whose numerator is +Inf is +Inf, and one whose
// denominator is +Inf is 0.
func CompareQuantiles(canary, baseline Histogram, qs []float64, alpha, margin float64) ([]QuantileComparison, error) {
	var errs []error
	if len(qs) == 0 {
		errs = append(errs, errors.New("judges: quantile comparison needs at least one quantile"))
	}
	for _, q := range qs {
		if !(q > 0 && q < 1) {
			errs = append(errs, fmt.Errorf("judges: quantile %v is not in (0, 1)", q))
		}
	}
	if !(alpha > 0 && alpha < 1) {
		errs = append(errs, fmt.Errorf("judges: quantile comparison alpha %v is not in (0, 1)", alpha))
	}
	if !(margin >= 0) || math.IsInf(margin, 1) {
		errs = append(errs, fmt.Errorf("judges: quantile comparison margin %v is not a finite number ≥ 0", margin))
	}
	for _, c := range []struct {
		name string
		h    Histogram
	}{{"canary", canary}, {"baseline", baseline}} {
		if err := c.h.validate(c.name); err != nil {
			errs = append(errs, err)
		} else if len(c.h.Bounds) > 0 && c.h.Bounds[0] < 0 {
			errs = append(errs, fmt.Errorf("judges: %s histogram has a negative bound %v; quantile ratios need non-negative values", c.name, c.h.Bounds[0]))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	a := alpha / float64(2*len(qs))
	out := make([]QuantileComparison, 0, len(qs))
	for _, q := range qs {
		cb, err := QuantileBounds(canary, q, a)
		if err != nil {
			return nil, err
		}
		bb, err := QuantileBounds(baseline, q, a)
		if err != nil {
			return nil, err
		}
		r := QuantileComparison{Q: q, Canary: cb, Baseline: bb,
			RatioLo: quantileRatio(max(cb.Lo, 0), bb.Hi, 0),
			RatioHi: quantileRatio(cb.Hi, max(bb.Lo, 0), math.Inf(1)),
		}
		r.Worse = r.RatioLo > 1+margin
		r.NonInferior = r.RatioHi < 1+margin
		out = append(out, r)
	}
	return out, nil
}

// quantileRatio is num/den for num, den ≥ 0 (possibly +Inf), with
// undefined (0/0, Inf/Inf) the conservative value given.
func quantileRatio(num, den, undefined float64) float64 {
	r := num / den
	if math.IsNaN(r) {
		return undefined
	}
	return r
}
