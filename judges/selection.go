package judges

import (
	"math"
	"math/bits"
	"slices"
)

// diffMatrix is the implicit n×m matrix D_ij = x_i − y_j of two ascending,
// NaN-free samples. D is nondecreasing in i and nonincreasing in j, so
// {j : D_ij ≤ t} is a suffix of row i whose start moves right as i grows:
// counting the differences ≤ t is one O(n+m) staircase walk. The differences
// themselves are never materialised (except a band of at most
// max(n+m, 4096) of them at the very end of a selection).
type diffMatrix struct {
	x, y []float64
	// inf is set when a sample holds ±Inf (NaN-producing subtractions are
	// possible); 0 means not yet checked, 1 finite, 2 infinite.
	inf    int8
	limit  int64 // collect the bracket once it holds ≤ limit differences; 0: max(n+m, 4096)
	passes int   // staircase walks so far, for tests
	// known records every count: #{D ≤ below} = #{D < above} = cnt. Later
	// selections start from the tightest bracket these give.
	known []knownCount
}

// knownCount is the outcome of one countLE.
type knownCount struct {
	cnt          int64
	below, above float64
}

// diff is a − b with the tie rule for equal infinities: Inf − Inf is NaN in
// IEEE arithmetic, but those observations tie in the rank test, so their
// difference is 0. The rule keeps D monotone in both indices.
func diff(a, b float64) float64 {
	d := a - b
	if d != d {
		return 0
	}
	return d
}

func (d *diffMatrix) size() int64 { return int64(len(d.x)) * int64(len(d.y)) }

// countLE returns the number of differences ≤ t, the largest difference ≤ t
// (meaningful when cnt > 0) and the smallest difference > t (meaningful when
// cnt < size).
func (d *diffMatrix) countLE(t float64) (cnt int64, below, above float64) {
	d.passes++
	if d.inf == 0 {
		d.inf = 1
		x, y := d.x, d.y
		if math.IsInf(x[0], 0) || math.IsInf(x[len(x)-1], 0) || math.IsInf(y[0], 0) || math.IsInf(y[len(y)-1], 0) {
			d.inf = 2
		}
	}
	if d.inf == 1 && !math.IsNaN(t) {
		cnt, below, above = countLEFinite(d.x, d.y, t)
	} else {
		cnt, below, above = d.countLESlow(t)
	}
	d.known = append(d.known, knownCount{cnt, below, above})
	return cnt, below, above
}

// countLESlow is countLE with the infinity rule of diff.
func (d *diffMatrix) countLESlow(t float64) (cnt int64, below, above float64) {
	x, y := d.x, d.y
	m := len(y)
	below, above = math.Inf(-1), math.Inf(1)
	p := 0 // first column of the current row with D ≤ t
	for _, xi := range x {
		for p < m && diff(xi, y[p]) > t {
			p++
		}
		if p > 0 {
			if v := diff(xi, y[p-1]); v < above {
				above = v
			}
		}
		if p == m {
			// This row is entirely > t and later rows are larger elementwise.
			break
		}
		cnt += int64(m - p)
		if v := diff(xi, y[p]); v > below {
			below = v
		}
	}
	return cnt, below, above
}

// countLEFinite is countLE for samples without infinities (so no
// subtraction is NaN), written as one merge-like walk whose steps either
// finish row i (D_ip ≤ t: the rest of the row is ≤ t too) or move to the
// next column (D_ip > t). The step is chosen without a branch, which
// avoids the mispredictions that dominate a branchy staircase walk. Every
// largest-≤-t and smallest->-t difference of a row is visited: below is
// the largest difference seen on a row-finishing step, above the smallest
// seen on a column step.
func countLEFinite(x, y []float64, t float64) (cnt int64, below, above float64) {
	below, above = math.Inf(-1), math.Inf(1)
	n, m := len(x), len(y)
	i, p := 0, 0
	const posInf, negInf = 0x7FF0000000000000, 0xFFF0000000000000
	for i < n && p < m {
		v := x[i] - y[p]
		var right int // 1: D_ip > t, move right; 0: finish row i
		if v > t {
			right = 1
		}
		// v or ±Inf by masks, so that the bounds update without a branch.
		mask := -uint64(right)
		vb := math.Float64bits(v)
		above = min(above, math.Float64frombits(vb&mask|posInf&^mask))
		below = max(below, math.Float64frombits(vb&^mask|negInf&mask))
		cnt += int64((m - p) * (1 - right))
		p += right
		i += 1 - right
	}
	return cnt, below, above
}

// collect appends the differences in [lo, hi] to buf.
func (d *diffMatrix) collect(lo, hi float64, buf []float64) []float64 {
	d.passes++
	x, y := d.x, d.y
	m := len(y)
	pHi, pLo := 0, 0 // first column with D ≤ hi, first column with D < lo
	for _, xi := range x {
		for pHi < m && diff(xi, y[pHi]) > hi {
			pHi++
		}
		if pHi == m {
			break
		}
		pLo = max(pLo, pHi)
		for pLo < m && diff(xi, y[pLo]) >= lo {
			pLo++
		}
		for _, yj := range y[pHi:pLo] {
			buf = append(buf, diff(xi, yj))
		}
	}
	return buf
}

// bracket holds the k-th smallest difference between two differences.
type bracket struct {
	lo, hi     float64 // lo ≤ D_(k) ≤ hi, both elements of the matrix
	nLess, nLE int64   // #{D < lo} < k ≤ #{D ≤ hi}
}

// interpolate guesses the value of rank k by linear interpolation inside the
// bracket; ok is false when that is impossible or falls outside [lo, hi).
func (b bracket) interpolate(k int64) (t float64, ok bool) {
	span := b.hi - b.lo
	if math.IsInf(span, 0) || math.IsNaN(span) {
		return 0, false
	}
	f := (float64(k-b.nLess) - 0.5) / float64(b.nLE-b.nLess)
	t = b.lo + span*f
	return t, t >= b.lo && t < b.hi
}

// orderKey maps a non-NaN float64 to a uint64 with the same order
// (−Inf smallest, +Inf largest; −0 just below +0).
func orderKey(f float64) uint64 {
	b := math.Float64bits(f)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

// fromOrderKey inverts orderKey.
func fromOrderKey(k uint64) float64 {
	if k>>63 == 1 {
		return math.Float64frombits(k &^ (1 << 63))
	}
	return math.Float64frombits(^k)
}

// kth returns D_(k), the k-th smallest difference, exactly.
//
// Each pass picks a pivot t in [lo, hi), counts the differences ≤ t and
// snaps the bracket onto the nearest actual differences on either side of t.
// The pivot is a linear interpolation of rank against value (few passes on
// smooth data) unless the last two passes failed to halve the number of
// differences in the bracket, in which case it is the midpoint of the bracket
// in orderKey space: bisection over the float64 bit patterns. A bisection
// halves the key range and an interpolation never widens it, so there are at
// most 64 bisections; a run of interpolations must halve the bracket every
// two passes. Every pass shrinks the bracket strictly, so the loop ends
// whatever the data (a few hundred passes in the worst case, about 8 on
// smooth data). Once the bracket holds at most max(n+m, 4096) differences
// they are collected and the answer is selected among them.
func (d *diffMatrix) kth(k int64, b bracket) float64 {
	limit := d.limit
	if limit == 0 {
		limit = int64(max(len(d.x)+len(d.y), 4096))
	}
	size := d.size()
	for _, c := range d.known { // start from the tightest known bracket
		switch {
		case c.cnt >= k && c.cnt < b.nLE:
			b.hi, b.nLE = c.below, c.cnt
		case c.cnt < k && c.cnt > b.nLess:
			b.lo, b.nLess = c.above, c.cnt
		}
		if c.cnt == k && k > 0 {
			return c.below
		}
		if c.cnt == k-1 && k-1 < size {
			return c.above
		}
	}
	bisect := false
	// prevWidth is the bracket's width one pass ago; miss is how far (in
	// ranks) the last interpolated pass landed from its aim.
	prevWidth, miss := b.nLE-b.nLess+1, int64(0)
	for b.lo != b.hi {
		width := b.nLE - b.nLess
		if width <= limit {
			band := d.collect(b.lo, b.hi, make([]float64, 0, width))
			return nthSmallest(band, int(k-b.nLess-1))
		}
		// Aim past k, towards the bound that is farther from k, by twice the
		// last miss (at most half-way to that bound): the pass then probably
		// moves that bound close to k instead of nudging the near one again
		// (the trap of regula falsi).
		aim := k + min(2*miss, (b.nLE-k)/2)
		if far := k - b.nLess; far > b.nLE-k {
			aim = k - min(2*miss, far/2)
		}
		t, ok := b.interpolate(aim)
		interpolated := ok && !bisect
		if !interpolated {
			kl, kh := orderKey(b.lo), orderKey(b.hi)
			t = fromOrderKey(kl + (kh-kl)/2) // lo ≤ t < hi
		}
		cnt, below, above := d.countLE(t)
		if interpolated {
			miss = max(cnt-aim, aim-cnt)
		}
		switch {
		case cnt == k:
			return below
		case cnt == k-1:
			return above
		case cnt > k:
			b.hi, b.nLE = below, cnt // D_(k) ≤ below ≤ t < hi
		default:
			b.lo, b.nLess = above, cnt // lo ≤ t < above ≤ D_(k)
		}
		// Interpolation must halve the bracket every two passes, or the next
		// pivot bisects.
		bisect = b.nLE-b.nLess > prevWidth/2
		prevWidth = width
	}
	return b.lo
}

// nthSmallest returns the k-th smallest (0-based) element of the NaN-free s,
// reordering s: quickselect with three-way partitions, falling back to a sort
// after 2·log2(len)+8 rounds so the worst case stays O(len·log len).
func nthSmallest(s []float64, k int) float64 {
	lo, hi := 0, len(s)-1
	budget := 2*bits.Len(uint(len(s))) + 8
	for lo < hi {
		if budget == 0 {
			slices.Sort(s[lo : hi+1])
			return s[k]
		}
		budget--
		a, b, c := s[lo], s[lo+(hi-lo)/2], s[hi]
		pivot := max(min(a, b), min(max(a, b), c)) // median of three
		lt, i, gt := lo, lo, hi
		for i <= gt {
			switch v := s[i]; {
			case v < pivot:
				s[lt], s[i] = v, s[lt]
				lt++
				i++
			case v > pivot:
				s[i], s[gt] = s[gt], v
				gt--
			default:
				i++
			}
		}
		switch {
		case k < lt:
			hi = lt - 1
		case k > gt:
			lo = gt + 1
		default:
			return pivot
		}
	}
	return s[k]
}
