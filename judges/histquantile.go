package judges

import (
	"math"
	"sort"
)

// promSmallDeltaTolerance is Prometheus' smallDeltaTolerance: relative
// differences between successive cumulative bucket counts below it are
// treated as floating-point noise and ignored by histogram_quantile.
const promSmallDeltaTolerance = 1e-12

// HistogramQuantile is the q-quantile (0 ≤ q ≤ 1) of a histogram by linear
// interpolation within the bucket that holds it, as Prometheus'
// histogram_quantile does (the first bucket's lower bound is 0 when its
// upper bound is positive; a quantile in the +Inf bucket is the last finite
// bound). NaN for an empty histogram.
//
// It follows Prometheus' BucketQuantile (promql/quantile.go) step by step
// on the cumulative counts: q NaN → NaN, q < 0 → −Inf, q > 1 → +Inf; NaN
// with fewer than two buckets (no finite bound) or no observations; equal
// bounds coalesced; successive cumulative counts within a relative 1e-12
// of each other made equal; the bucket is the first whose cumulative count
// reaches q·total; a quantile in the first bucket is its upper bound when
// that is ≤ 0. Like Prometheus it gives NaN for q = 0 when the first
// bucket is empty (0/0 in the interpolation). An invalid histogram (see
// Histogram) gives NaN.
func HistogramQuantile(h Histogram, q float64) float64 {
	switch {
	case math.IsNaN(q):
		return math.NaN()
	case q < 0:
		return math.Inf(-1)
	case q > 1:
		return math.Inf(1)
	}
	if h.validate("") != nil {
		return math.NaN()
	}
	type bucket struct{ upper, count float64 }
	buckets := make([]bucket, 0, len(h.Counts))
	var cum float64
	for i, c := range h.Counts {
		cum += c
		upper := math.Inf(1)
		if i < len(h.Bounds) {
			upper = h.Bounds[i]
		}
		if n := len(buckets); n > 0 && buckets[n-1].upper == upper {
			buckets[n-1].count = cum // coalesce (only +Inf can repeat)
			continue
		}
		buckets = append(buckets, bucket{upper, cum})
	}
	// ensureMonotonicAndIgnoreSmallDeltas: the counts are monotone by
	// construction; only the small-delta correction can apply.
	prev := buckets[0].count
	for i := 1; i < len(buckets); i++ {
		curr := buckets[i].count
		if curr == prev {
			continue
		}
		if almostEqual(prev, curr, promSmallDeltaTolerance) {
			buckets[i].count = prev
			continue
		}
		prev = curr
	}
	if len(buckets) < 2 {
		return math.NaN()
	}
	total := buckets[len(buckets)-1].count
	if total == 0 {
		return math.NaN()
	}
	rank := q * total
	b := sort.Search(len(buckets)-1, func(i int) bool { return buckets[i].count >= rank })
	switch {
	case b == len(buckets)-1:
		return buckets[len(buckets)-2].upper
	case b == 0 && buckets[0].upper <= 0:
		return buckets[0].upper
	}
	var start float64
	end, count := buckets[b].upper, buckets[b].count
	if b > 0 {
		start = buckets[b-1].upper
		count -= buckets[b-1].count
		rank -= buckets[b-1].count
	}
	return start + (end-start)*(rank/count)
}

// almostEqual is Prometheus' util/almost.Equal for non-NaN a and b.
func almostEqual(a, b, epsilon float64) bool {
	const minNormal = 0x1p-1022 // the smallest positive normal float64
	if a == b {
		return true
	}
	absSum := math.Abs(a) + math.Abs(b)
	diff := math.Abs(a - b)
	if a == 0 || b == 0 || absSum < minNormal {
		return diff < epsilon*minNormal
	}
	return diff/math.Min(absSum, math.MaxFloat64) < epsilon
}

// QuantileSE is the standard error of HistogramQuantile(h, q) from the
// histogram's own observations: half the width of the quantile's
// one-sigma rank interval, (Q(q+δ) − Q(q−δ))/2 with δ = √(q(1−q)/n) and Q
// the histogram's interpolated quantile function. The number of
// observations below the true q-quantile is binomial(n, q), so the
// estimate's standard deviation is δ/f(x_q); Q(q±δ) ≈ x_q ± δ/f(x_q) with
// f the bucket's density, which is the interval's half-width (Wilks,
// Mathematical Statistics, 1962, §11.4; the rank form needs no density
// estimate). 0 (unknown) when the interval reaches an infinite bound or
// the histogram is empty or invalid.
func QuantileSE(h Histogram, q float64) float64 {
	if !(q >= 0 && q <= 1) || h.validate("") != nil {
		return 0
	}
	n := 0.0
	for _, c := range h.Counts {
		n += c
	}
	if !(n > 0) {
		return 0
	}
	d := math.Sqrt(q * (1 - q) / n)
	lo, hi := HistogramQuantile(h, max(q-d, 0)), HistogramQuantile(h, min(q+d, 1))
	se := (hi - lo) / 2
	if !(se >= 0) || math.IsInf(se, 0) {
		return 0
	}
	return se
}
