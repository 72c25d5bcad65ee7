package judges

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// hodgesLehmann returns the exact median of the differences of the ascending
// samples x and y and the order statistics D_(kL) and D_(kU) as the
// interval. A rank of 0 stands for an infinite end: kL = 0 gives −Inf,
// kU = 0 gives +Inf (one-sided intervals).
func hodgesLehmann(x, y []float64, kL, kU int64) (est, lo, hi float64) {
	return hodgesLehmannOn(&diffMatrix{x: x, y: y}, kL, kU)
}

// hodgesLehmannOn works on a prepared matrix (tests set its limit and read
// its pass count).
func hodgesLehmannOn(d *diffMatrix, kL, kU int64) (est, lo, hi float64) {
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

	// D_(k) from the brackets on either side of the median.
	at := func(k int64) float64 {
		switch {
		case k < k1:
			return d.kth(k, bracket{lo: minD, hi: med1, nLess: 0, nLE: cnt1})
		case k <= cnt1:
			return med1
		}
		return d.kth(k, bracket{lo: above1, hi: maxD, nLess: cnt1, nLE: size})
	}
	lo, hi = math.Inf(-1), math.Inf(1)
	if kL > 0 {
		lo = at(kL)
	}
	if kU > 0 {
		hi = at(kU)
	}
	return est, lo, hi
}

// ciRanks returns the 1-based ranks (k_L, k_U) of the differences bounding
// the normal-approximation confidence interval, ties counted within each
// sample only, continuity correction h = ½, clamped to [1, nm]:
// k_L = ⌊nm/2 − c − ½⌋ + 1, k_U = ⌊nm/2 + c + ½⌋ + 1 with c = z·σ_ci, where
// z = z_{1−α/2} for a two-sided interval. A one-sided interval uses
// z_{1−α} for its finite end (R's root(qnorm(alpha)) with correction ±½)
// and returns 0 for the infinite one: Greater gives (k_L, 0), Less (0, k_U).
func ciRanks(n, m int, tiesX, tiesY, confidence float64, alt Alternative) (kL, kU int64) {
	fn, fm := float64(n), float64(m)
	size := fn * fm
	s := fn + fm
	sigma := math.Sqrt(size / 12 * ((s + 1) - (tiesX+tiesY)/(s*(s-1))))
	tail := 1 - confidence
	if alt == TwoSided {
		tail /= 2
	}
	z := -mathext.NormalQuantile(tail) // z_{1−tail}, accurate in the tail
	c := z * sigma
	const h = 0.5
	clamp := func(k float64) int64 { return int64(min(max(k, 1), size)) }
	kL, kU = clamp(math.Floor(size/2-c-h)+1), clamp(math.Floor(size/2+c+h)+1)
	switch alt {
	case Greater:
		return kL, 0
	case Less:
		return 0, kU
	}
	return kL, kU
}
