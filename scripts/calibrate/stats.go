package main

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// The statistics of the reference methods, written here from their
// definitions so that the references do not share code with the judges
// they are compared with.

// wilson is the Wilson score interval of k successes in n trials at 95 %.
func wilson(k, n int) (lo, hi float64) {
	if n == 0 {
		return 0, 1
	}
	const z = 1.959963984540054
	p, nf := float64(k)/float64(n), float64(n)
	den := 1 + z*z/nf
	centre := (p + z*z/(2*nf)) / den
	half := z / den * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf))
	return math.Max(0, centre-half), math.Min(1, centre+half)
}

// hodgesLehmann is the Hodges–Lehmann shift x − y (the median of all
// pairwise differences) and its two-sided normal-approximation interval at
// level conf, as order statistics of the differences with the continuity
// correction and the ties of each sample (Kayenta's MannWhitney). The nm
// differences are never materialised: each order statistic is found by
// bisection over the float64 order with a staircase count.
func hodgesLehmann(x, y []float64, conf float64) (est, lo, hi float64) {
	x, y = slices.Clone(x), slices.Clone(y)
	slices.Sort(x)
	slices.Sort(y)
	n, m := len(x), len(y)
	nn := n * m
	if nn%2 == 1 {
		est = kthDiff(x, y, nn/2+1)
	} else {
		est = (kthDiff(x, y, nn/2) + kthDiff(x, y, nn/2+1)) / 2
	}
	ties := tieTerm(x) + tieTerm(y)
	nf, mf := float64(n), float64(m)
	sigma := math.Sqrt(nf * mf / 12 * ((nf + mf + 1) - ties/((nf+mf)*(nf+mf-1))))
	c := distuv.UnitNormal.Quantile(1-(1-conf)/2) * sigma
	kl := int(math.Floor(float64(nn)/2-c-0.5)) + 1
	ku := int(math.Floor(float64(nn)/2+c+0.5)) + 1
	kl = min(max(kl, 1), nn)
	ku = min(max(ku, 1), nn)
	return est, kthDiff(x, y, kl), kthDiff(x, y, ku)
}

// kthDiff is the k-th smallest (1-based) of the differences x_i − y_j of
// sorted x and y: the smallest float64 t with #{x_i − y_j ≤ t} ≥ k.
func kthDiff(x, y []float64, k int) float64 {
	lo, hi := orderKey(x[0]-y[len(y)-1]), orderKey(x[len(x)-1]-y[0])
	for lo < hi {
		mid := lo + (hi-lo)/2
		if countAtMost(x, y, fromOrderKey(mid)) >= k {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return fromOrderKey(lo)
}

// countAtMost is #{x_i − y_j ≤ t} for sorted x and y, in O(n + m).
func countAtMost(x, y []float64, t float64) int {
	count, j := 0, 0
	for _, xi := range x {
		for j < len(y) && xi-y[j] > t {
			j++
		}
		count += len(y) - j
	}
	return count
}

// orderKey maps a float64 (not NaN) to a uint64 of the same order.
func orderKey(f float64) uint64 {
	b := math.Float64bits(f)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

func fromOrderKey(k uint64) float64 {
	if k>>63 == 1 {
		return math.Float64frombits(k &^ (1 << 63))
	}
	return math.Float64frombits(^k)
}

// tieTerm is Σ(t³ − t) over the tie groups of sorted s.
func tieTerm(s []float64) float64 {
	sum := 0.0
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] == s[i] {
			j++
		}
		t := float64(j - i)
		sum += t*t*t - t
		i = j
	}
	return sum
}

// kayentaHigh is Kayenta's MannWhitney classification of an increase: the
// lower bound of the 98 % interval of the shift lies above the tolerance
// band ¼·|estimate| (allowed increase 1, Kayenta's default).
func kayentaHigh(canary, baseline []float64) bool {
	if len(canary) == 0 || len(baseline) == 0 {
		return false
	}
	est, lo, _ := hodgesLehmann(canary, baseline, 0.98)
	return lo > 0.25*math.Abs(est)
}

// tTest compares the means of x (canary) and y (baseline): Welch's t, or
// the pooled t with the other sample's variance when one sample has a
// single value. It returns the one-sided p-value of x > y; ok is false
// when no test exists (one value each, or no variance).
func tTest(x, y []float64) (p float64, ok bool) {
	n, m := float64(len(x)), float64(len(y))
	if n+m < 3 || n == 0 || m == 0 {
		return 1, false
	}
	mx, vx := meanVar(x)
	my, vy := meanVar(y)
	var t, df float64
	switch {
	case n == 1 || m == 1:
		v := vx
		if n == 1 {
			v = vy
		}
		se := math.Sqrt(v * (1/n + 1/m))
		t, df = (mx-my)/se, n+m-2
	default:
		a, b := vx/n, vy/m
		t = (mx - my) / math.Sqrt(a+b)
		df = (a + b) * (a + b) / (a*a/(n-1) + b*b/(m-1))
	}
	if math.IsNaN(t) || math.IsInf(t, 0) || !(df > 0) {
		return 1, false
	}
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Survival(t), true
}

// meanVar returns the mean and the unbiased variance (0 for one value).
func meanVar(v []float64) (mean, variance float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	if len(v) < 2 {
		return mean, 0
	}
	for _, x := range v {
		variance += (x - mean) * (x - mean)
	}
	return mean, variance / float64(len(v)-1)
}

// bucketQuantile is Prometheus' histogram_quantile over non-cumulative
// bucket counts (the last is +Inf): linear interpolation within the
// bucket holding rank q·total, 0 as the first bucket's lower bound, the
// highest finite bound when the rank falls in +Inf. NaN without counts.
func bucketQuantile(q float64, bounds []float64, counts []int32) float64 {
	total := 0.0
	for _, c := range counts {
		total += float64(c)
	}
	if total == 0 {
		return math.NaN()
	}
	rank := q * total
	cum := 0.0
	for i, c := range counts {
		prev := cum
		cum += float64(c)
		if cum < rank || c == 0 {
			continue
		}
		if i == len(bounds) {
			return bounds[len(bounds)-1]
		}
		lower := 0.0
		if i > 0 {
			lower = bounds[i-1]
		}
		return lower + (bounds[i]-lower)*(rank-prev)/float64(c)
	}
	return bounds[len(bounds)-1]
}
