package collector

import (
	"math"
	"sort"

	"github.com/prometheus/prometheus/model/histogram"
)

// Native (exponential) histogram bucketing, as Prometheus' Go client does
// it (client_golang/prometheus/histogram.go): for schema s the bucket with
// index i holds (2^((i-1)/2^s), 2^(i/2^s)], and a value's index comes from
// math.Frexp and a table of the bounds within one power of two, so that a
// value exactly on a bound lands in the bucket it bounds whatever the
// rounding of log2.

const (
	// MinNativeSchema and MaxNativeSchema bound the exponential schemas
	// Prometheus stores.
	MinNativeSchema = -4
	MaxNativeSchema = 8
)

// nativeBounds[s] are the bucket bounds of schema s > 0 within [0.5, 1),
// computed as the client computes its table: a bound of schema s that is
// also a bound of schema s-1 is taken from there for precision.
var nativeBounds = func() [][]float64 {
	out := make([][]float64, MaxNativeSchema+1)
	numBuckets := 1
	for i := range out {
		bounds := []float64{0.5}
		factor := math.Exp2(math.Exp2(float64(-i)))
		for j := 0; j < numBuckets-1; j++ {
			var bound float64
			if (j+1)%2 == 0 {
				bound = out[i-1][j/2+1]
			} else {
				bound = bounds[j] * factor
			}
			bounds = append(bounds, bound)
		}
		numBuckets *= 2
		out[i] = bounds
	}
	return out
}()

// nativeBucketIndex returns the index of the positive bucket of schema
// holding v > 0 (finite).
func nativeBucketIndex(v float64, schema int32) int32 {
	frac, exp := math.Frexp(v)
	if schema > 0 {
		bounds := nativeBounds[schema]
		return int32(sort.SearchFloat64s(bounds, frac) + (exp-1)*len(bounds))
	}
	key := exp
	if frac == 0.5 {
		key--
	}
	offset := (1 << -schema) - 1
	return int32((key + offset) >> -schema)
}

// nativeCounts is the cumulative state of one native histogram with only
// non-negative observations: the zero bucket and dense positive bucket
// counts starting at index offset.
type nativeCounts struct {
	zero   uint64
	offset int32
	counts []uint64
}

func (n *nativeCounts) observe(v float64, schema int32, zeroThreshold float64) {
	if v <= zeroThreshold {
		n.zero++
		return
	}
	if math.IsInf(v, +1) {
		v = math.MaxFloat64
	}
	k := nativeBucketIndex(v, schema)
	switch {
	case len(n.counts) == 0:
		n.offset, n.counts = k, append(n.counts[:0], 1)
	case k < n.offset:
		grown := make([]uint64, int(n.offset-k)+len(n.counts))
		copy(grown[n.offset-k:], n.counts)
		grown[0] = 1
		n.offset, n.counts = k, grown
	case int(k-n.offset) >= len(n.counts):
		for int(k-n.offset) >= len(n.counts) {
			n.counts = append(n.counts, 0)
		}
		n.counts[k-n.offset]++
	default:
		n.counts[k-n.offset]++
	}
}

func (n nativeCounts) clone() nativeCounts {
	n.counts = append([]uint64(nil), n.counts...)
	return n
}

// histogram renders the state as an integer native histogram: spans over
// the populated buckets (runs of up to two empty buckets are kept inside a
// span, as the client does) and delta-encoded counts.
func (n nativeCounts) histogram(schema int32, zeroThreshold float64, count uint64, sum float64, hint histogram.CounterResetHint) *histogram.Histogram {
	h := &histogram.Histogram{
		CounterResetHint: hint,
		Schema:           schema,
		ZeroThreshold:    zeroThreshold,
		ZeroCount:        n.zero,
		Count:            count,
		Sum:              sum,
	}
	var prev int64
	next := int32(0) // index after the last bucket emitted
	open := false
	for i := 0; i < len(n.counts); i++ {
		c := n.counts[i]
		if c == 0 {
			continue
		}
		idx := n.offset + int32(i)
		gap := idx - next
		switch {
		case open && gap <= 2:
			// Keep the short gap inside the span as empty buckets.
			for g := int32(0); g < gap; g++ {
				h.PositiveBuckets = append(h.PositiveBuckets, -prev)
				prev = 0
			}
			h.PositiveSpans[len(h.PositiveSpans)-1].Length += uint32(gap)
		case !open:
			h.PositiveSpans = append(h.PositiveSpans, histogram.Span{Offset: idx})
			open = true
		default:
			h.PositiveSpans = append(h.PositiveSpans, histogram.Span{Offset: gap})
		}
		h.PositiveSpans[len(h.PositiveSpans)-1].Length++
		h.PositiveBuckets = append(h.PositiveBuckets, int64(c)-prev)
		prev = int64(c)
		next = idx + 1
	}
	return h
}
