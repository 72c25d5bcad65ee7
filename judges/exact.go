package judges

import "math"

// maxExactMannWhitneyPairs bounds n·m for the exact null distribution of U.
// The table costs about (nm)²/8 additions: 1.25e7 at the limit, a few
// milliseconds. R computes any size it is asked for; auto never asks above
// 49·49 = 2401.
const maxExactMannWhitneyPairs = 10_000

// wilcoxDist is the exact null distribution of the Mann–Whitney U of
// samples of sizes n and m without ties: counts[k] is the number of the
// C(n+m, n) equally likely arrangements with U = k, for k ≤ ⌊nm/2⌋ (the
// distribution is symmetric about nm/2, so the upper half is not stored).
type wilcoxDist struct {
	n, m   int
	counts []float64
	total  float64 // C(n+m, n)
}

// newWilcoxDist tabulates the distribution by the recurrence
// c(n', m', k) = c(n'−1, m', k−m') + c(n', m'−1, k) (the largest pooled
// value is either an x, beating all m' y's, or a y). Only additions of
// non-negative numbers are involved, so every count carries a relative
// rounding error of at most a few hundred ulps, whatever its size; R's
// cwilcox uses the same recurrence in double precision.
func newWilcoxDist(n, m int) *wilcoxDist {
	if n > m { // the distribution is symmetric in (n, m); keep rows few
		n, m = m, n
	}
	half := n * m / 2
	// row[i][k] = c(i, m', k) for the current m', k ≤ min(i·m', half).
	row := make([][]float64, n+1)
	for i := range row {
		row[i] = make([]float64, min(i*m, half)+1)
	}
	row[0][0] = 1
	for i := 1; i <= n; i++ {
		row[i][0] = 1 // m' = 0: U = 0 in one arrangement
	}
	for mp := 1; mp <= m; mp++ {
		for i := 1; i <= n; i++ {
			cur, prev := row[i], row[i-1]
			top := min(i*mp, half)
			// c(i, m', k) = c(i, m'−1, k) + c(i−1, m', k−m'); c(i, m'−1, k)
			// is 0 above i(m'−1), which the zero-initialised row gives.
			for k := mp; k <= top; k++ {
				if j := k - mp; j < len(prev) && j <= (i-1)*mp {
					cur[k] += prev[j]
				}
			}
		}
	}
	total := 1.0
	for j := 1; j <= n; j++ { // C(n+m, n) = Π (m+j)/j
		total *= float64(m+j) / float64(j)
	}
	total = math.Round(total)
	return &wilcoxDist{n: n, m: m, counts: row[n], total: total}
}

// sumTo returns Σ_{k ≤ q} counts[k] / total for q ≤ ⌊nm/2⌋, summed in the
// order R's pwilcox sums.
func (w *wilcoxDist) sumTo(q int) float64 {
	var p float64
	for k := 0; k <= q; k++ {
		p += w.counts[k] / w.total
	}
	return p
}

// cdf is R's pwilcox(q, n, m, lower.tail): P(U ≤ q) when lower, else
// P(U > q). Like R it sums the shorter tail and complements the other.
func (w *wilcoxDist) cdf(q int, lower bool) float64 {
	nm := w.n * w.m
	switch {
	case q < 0:
		if lower {
			return 0
		}
		return 1
	case q >= nm:
		if lower {
			return 1
		}
		return 0
	}
	var p float64
	if 2*q <= nm {
		p = w.sumTo(q)
	} else {
		p = w.sumTo(nm - q - 1)
		lower = !lower
	}
	if lower {
		return p
	}
	return 0.5 - p + 0.5
}

// quantile is R's qwilcox(x, n, m) for x in [0, 1]: the smallest q with
// P(U ≤ q) ≥ x, with R's allowance of 10 ulps(1) for rounding.
func (w *wilcoxDist) quantile(x float64) int {
	nm := w.n * w.m
	switch {
	case x <= 0:
		return 0
	case x >= 1:
		return nm
	}
	const eps = 10 * 0x1p-52
	var p float64
	if x <= 0.5 {
		x -= eps
		for q := 0; ; q++ {
			p += w.counts[q] / w.total
			if p >= x {
				return q
			}
		}
	}
	x = 1 - x + eps
	for q := 0; ; q++ {
		p += w.counts[q] / w.total
		if p > x {
			return nm - q
		}
	}
}

// pvalue is the exact p-value of U1 = u (an integer, no ties) as R's
// wilcox.test computes it: greater P(U ≥ u), less P(U ≤ u), two-sided
// min(1, 2·P(U ≥ max(u, nm−u))).
func (w *wilcoxDist) pvalue(u int, alt Alternative) float64 {
	nm := w.n * w.m
	switch alt {
	case Greater:
		return w.cdf(u-1, false)
	case Less:
		return w.cdf(u, true)
	}
	var p float64
	if 2*u > nm {
		p = w.cdf(u-1, false)
	} else {
		p = w.cdf(u, true)
	}
	return min(1, 2*p)
}

// exactCIRanks returns the 1-based ranks of the differences bounding R's
// exact confidence interval (wilcox.test(exact=TRUE, conf.int=TRUE)):
// two-sided k = qwilcox(α/2) (0 → 1), [D_(k), D_(nm−k+1)]; greater
// [D_(k'), +Inf) and less (−Inf, D_(nm−k'+1)] with k' = qwilcox(α). A rank
// of 0 stands for the infinite end of a one-sided interval. achieved is
// the interval's exact coverage, 1 − 2·P(U ≤ k−1) two-sided and
// 1 − P(U ≤ k'−1) one-sided (R's attr(conf.int, "conf.level") before its
// rounding): below confidence exactly when qwilcox gave 0 and the widest
// interval still misses the requested level.
func (w *wilcoxDist) exactCIRanks(confidence float64, alt Alternative) (kL, kU int64, achieved float64) {
	alpha := 1 - confidence
	nm := int64(w.n) * int64(w.m)
	tail, sides := alpha, 1.0
	if alt == TwoSided {
		tail, sides = alpha/2, 2
	}
	k := int64(max(w.quantile(tail), 1))
	achieved = 1 - sides*w.cdf(int(k-1), true)
	switch alt {
	case Greater:
		return k, 0, achieved
	case Less:
		return 0, nm - k + 1, achieved
	}
	return k, nm - k + 1, achieved
}
