package judges

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// hodgesLehmann returns the exact median of the differences of the ascending
// samples x and y and the normal-approximation confidence interval by order
// statistics. tiesX and tiesY are Σ(t³−t) within x and within y.
func hodgesLehmann(x, y []float64, tiesX, tiesY, confidence float64) (est, lo, hi float64) {
	return hodgesLehmannOn(&diffMatrix{x: x, y: y}, tiesX, tiesY, confidence)
}

// hodgesLehmannOn works on a prepared matrix (tests set its limit and read
// its pass count).
func hodgesLehmannOn(d *diffMatrix, tiesX, tiesY, confidence float64) (est, lo, hi float64) {
	x, y := d.x, d.y
	size := d.size()
	minD := diff(x[0], y[len(y)-1])
	maxD := diff(x[len(x)-1], y[0])

	k1 := (size + 1) / 2 // the middle element, or the lower middle one
	med1 := d.kth(k1, bracket{lo: minD, hi: maxD, nLess: 0, nLE: size})
	cnt1, _, above1 := d.countLE(med1) // cnt1 ≥ k1; above1 is D_(cnt1+1)
	med2 := med1
	if size%2 == 0 && cnt1 < k1+1 {
		med2 = above1
	}
	est = midpoint(med1, med2)

	kL, kU := ciRanks(len(x), len(y), tiesX, tiesY, confidence)
	lo, hi = med1, med1
	if kL < k1 { // kL ≤ k1 always
		lo = d.kth(kL, bracket{lo: minD, hi: med1, nLess: 0, nLE: cnt1})
	}
	if kU > cnt1 {
		hi = d.kth(kU, bracket{lo: above1, hi: maxD, nLess: cnt1, nLE: size})
	}
	return est, lo, hi
}

// ciRanks returns the 1-based ranks (k_L, k_U) of the differences bounding
// the normal-approximation confidence interval, ties counted within each
// sample only, continuity correction h = ½, clamped to [1, nm]. Since c ≥ 0,
// k_L ≤ ⌈nm/2⌉ < k_U unless nm = 1.
func ciRanks(n, m int, tiesX, tiesY, confidence float64) (kL, kU int64) {
	fn, fm := float64(n), float64(m)
	size := fn * fm
	s := fn + fm
	sigma := math.Sqrt(size / 12 * ((s + 1) - (tiesX+tiesY)/(s*(s-1))))
	z := -mathext.NormalQuantile((1 - confidence) / 2) // z_{1−α/2}, accurate in the tail
	c := z * sigma
	const h = 0.5
	clamp := func(k float64) int64 { return int64(min(max(k, 1), size)) }
	return clamp(math.Floor(size/2-c-h) + 1), clamp(math.Floor(size/2+c+h) + 1)
}
