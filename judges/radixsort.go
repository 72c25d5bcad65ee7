package judges

import (
	"math"
	"slices"
)

// radixMin is the length below which sorting falls back to slices.Sort.
const radixMin = 256

const (
	radixBits   = 11
	radixPasses = (64 + radixBits - 1) / radixBits // 6; the last digit has 9 bits
	radixSize   = 1 << radixBits
	radixMask   = radixSize - 1
)

// radixSortUint64 sorts a ascending with an LSD radix sort over 11-bit
// digits, using buf (len(buf) ≥ len(a)) as scratch. One pass histograms
// every digit; a digit that all keys share is skipped, so narrow key ranges
// cost fewer passes. The sort is stable and allocates only its counters.
func radixSortUint64(a, buf []uint64) {
	n := len(a)
	if n < radixMin || n > math.MaxUint32 { // counters are uint32
		slices.Sort(a)
		return
	}
	var counts [radixPasses][radixSize]uint32
	for _, k := range a {
		for p := range radixPasses {
			counts[p][(k>>(p*radixBits))&radixMask]++
		}
	}
	src, dst := a, buf[:n]
	for p := range radixPasses {
		c := &counts[p]
		shift := uint(p * radixBits)
		if c[(src[0]>>shift)&radixMask] == uint32(n) {
			continue // every key has this digit
		}
		var sum uint32
		for i, v := range c {
			c[i] = sum
			sum += v
		}
		for _, k := range src {
			d := (k >> shift) & radixMask
			dst[c[d]] = k
			c[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &a[0] {
		copy(a, src)
	}
}

// sortedClean copies s without NaN, with −0 turned into +0, sorted ascending.
func sortedClean(s []float64) (out []float64, dropped int) {
	out, _, dropped, _ = sortedCleanPair(s, nil)
	return out, dropped
}

// sortedCleanPair is sortedClean for both samples, sharing the radix sort's
// scratch space between them: the peak is the two outputs plus two uint64
// slices of the larger sample, 8(n+m) + 16·max(n, m) bytes.
func sortedCleanPair(xs, ys []float64) (x, y []float64, nanX, nanY int) {
	size := max(len(xs), len(ys))
	var keys, buf []uint64
	if size >= radixMin {
		keys, buf = make([]uint64, size), make([]uint64, size)
	}
	x, nanX = sortCleanInto(xs, keys, buf)
	y, nanY = sortCleanInto(ys, keys, buf)
	return x, y, nanX, nanY
}

// sortCleanInto returns a sorted, NaN-free copy of s with −0 as +0, by
// radix sort of order-preserving keys when s is long enough (keys and buf
// then have at least len(s) elements).
func sortCleanInto(s []float64, keys, buf []uint64) (out []float64, dropped int) {
	if len(s) < radixMin {
		out = make([]float64, 0, len(s))
		for _, v := range s {
			switch {
			case math.IsNaN(v):
				dropped++
				continue
			case v == 0:
				v = 0 // −0 and +0 tie; keep a single bit pattern
			}
			out = append(out, v)
		}
		slices.Sort(out)
		return out, dropped
	}
	keys = keys[:0]
	for _, v := range s {
		switch {
		case v != v:
			dropped++
			continue
		case v == 0:
			v = 0
		}
		keys = append(keys, orderKey(v))
	}
	radixSortUint64(keys, buf)
	out = make([]float64, len(keys))
	for i, k := range keys {
		out[i] = fromOrderKey(k)
	}
	return out, dropped
}
