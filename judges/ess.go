package judges

import "math"

// EffectiveSampleSize is n/(1 + 2·Σ_k w_k·ρ_k) for a series of
// autocorrelated points, with the autocorrelations ρ_k summed with Bartlett
// weights up to a lag that grows with n; it is at most n and at least 1.
//
// ρ_k is the sample autocorrelation as statsmodels' acf (adjusted=False,
// demean=True): Σ_{t<n−k}(x_t − x̄)(x_{t+k} − x̄) / Σ_t(x_t − x̄)². The
// weights are Bartlett's, w_k = 1 − k/(L+1), and the lag is the
// Newey–West rule L = ⌊4·(n/100)^(2/9)⌋ (at most n − 1): 2 for 10 points,
// 3 for 60, 4 for 100, 5 for 1000. The Bartlett-weighted sum is the
// Newey–West long-run variance, which is never negative, so n/(1+2Σ) is
// well defined; negative autocorrelation would make it exceed n and it is
// capped at n (never more evidence than the points). NaN points are left
// out (the series is taken in order without them); a constant series has
// no estimable autocorrelation and gives n. Fewer than 2 points give their
// number (0 or 1).
//
// The Bartlett weights sum to L/2, so the estimate is never below
// n/(1+L): a short, strongly autocorrelated series (60 points of AR(1)
// with ρ = 0.95, true ESS ≈ 1.5) still counts as about a quarter of its
// points. Per-cluster summaries, not ESS, are the remedy for drift.
func EffectiveSampleSize(xs []float64) float64 {
	x, _ := nanFreeCopy(xs)
	n := len(x)
	if n < 2 {
		return float64(n)
	}
	mu := mean(x)
	var c0 float64
	for _, v := range x {
		c0 += (v - mu) * (v - mu)
	}
	if !(c0 > 0) || math.IsInf(c0, 0) {
		return float64(n)
	}
	lag := min(int(math.Floor(4*math.Pow(float64(n)/100, 2.0/9))), n-1)
	var sum float64
	for k := 1; k <= lag; k++ {
		var ck float64
		for t := 0; t+k < n; t++ {
			ck += (x[t] - mu) * (x[t+k] - mu)
		}
		sum += (1 - float64(k)/float64(lag+1)) * ck / c0
	}
	ess := float64(n) / (1 + 2*sum)
	if math.IsNaN(ess) {
		return float64(n)
	}
	return min(max(ess, 1), float64(n))
}
