package judges

import (
	"errors"
	"fmt"
	"math"
)

// Histogram is a binned sample: Counts[i] observations fell in bucket i,
// whose upper bound is Bounds[i]; the last bucket, Counts[len(Bounds)], is
// (Bounds[len(Bounds)−1], +Inf]. Counts are per bucket (not cumulative)
// and may be non-integer (Prometheus rate() and increase() extrapolate),
// but must be finite and ≥ 0. Bounds must be strictly ascending and not NaN.
type Histogram struct {
	Bounds []float64
	Counts []float64
}

// validate checks the layout and the counts; name is the cohort.
func (h Histogram) validate(name string) error {
	if len(h.Counts) != len(h.Bounds)+1 {
		return fmt.Errorf("judges: %s histogram has %d bounds and %d counts, want %d counts", name, len(h.Bounds), len(h.Counts), len(h.Bounds)+1)
	}
	for i, b := range h.Bounds {
		if math.IsNaN(b) || (i > 0 && !(b > h.Bounds[i-1])) {
			return fmt.Errorf("judges: %s histogram bounds are not strictly ascending at index %d (%v)", name, i, b)
		}
	}
	for i, c := range h.Counts {
		if !(c >= 0) || math.IsInf(c, 1) {
			return fmt.Errorf("judges: %s histogram count %v at bucket %d is negative or not finite", name, c, i)
		}
	}
	return nil
}

// sameLayout reports why two histograms' buckets differ, or nil.
func sameLayout(x, y Histogram) error {
	if len(x.Bounds) != len(y.Bounds) {
		return fmt.Errorf("judges: bucket layouts differ: canary has %d bounds, baseline %d", len(x.Bounds), len(y.Bounds))
	}
	for i := range x.Bounds {
		if x.Bounds[i] != y.Bounds[i] {
			return fmt.Errorf("judges: bucket layouts differ: bound %d is %v for the canary, %v for the baseline", i, x.Bounds[i], y.Bounds[i])
		}
	}
	return nil
}

// MannWhitneyBinned runs the Mann–Whitney U test on two histograms with
// the same bucket layout. All observations in one bucket tie, so U and the
// tie term come straight from the counts in O(buckets):
// U = Σ_b cx_b·(Σ_{b'<b} cy_b' + ½·cy_b), T = Σ_b (t_b³ − t_b) with
// t_b = cx_b + cy_b. This equals the test on raw samples in which every
// observation is replaced by a value inside its bucket (say its upper
// bound). The p-value is asymptotic (tie- and continuity-corrected) whatever
// opts.Method says unless it asks for MethodExact, which is an error: binned
// data are all ties.
//
// The Hodges–Lehmann shift is not defined on binned data (the differences
// within and across buckets are unknown), so Estimate, CILow, CIHigh,
// RelativeShift, the means, the mean ratio and the medians are NaN, with
// Note saying so. NCanary and NBaseline are the total counts rounded to
// integers; U, CLES and p use the exact (possibly fractional) totals.
// A histogram whose total count is 0 gives an error wrapping ErrNoData.
func MannWhitneyBinned(canary, baseline Histogram, opts MannWhitneyOptions) (MannWhitneyResult, error) {
	if opts.Alternative == "" {
		opts.Alternative = TwoSided
	}
	if opts.Method == "" {
		opts.Method = MethodAuto
	}
	if opts.Confidence == 0 {
		opts.Confidence = DefaultConfidence
	}
	nan := math.NaN()
	r := MannWhitneyResult{
		Alternative: opts.Alternative, Method: opts.Method, Confidence: opts.Confidence,
		U: nan, Z: nan, PValue: nan, Estimate: nan, CILow: nan, CIHigh: nan, AchievedConfidence: nan, CLES: nan,
		MeanRatio: nan, RelativeShift: nan, CanaryMean: nan, BaselineMean: nan, CanaryMedian: nan, BaselineMedian: nan,
	}
	if err := opts.validate(); err != nil {
		return r, err
	}
	if err := errors.Join(canary.validate("canary"), baseline.validate("baseline")); err != nil {
		return r, err
	}
	if err := sameLayout(canary, baseline); err != nil {
		return r, err
	}
	var n, m float64
	for i := range canary.Counts {
		n += canary.Counts[i]
		m += baseline.Counts[i]
	}
	r.NCanary, r.NBaseline = int(math.Round(n)), int(math.Round(m))
	if err := noDataError(n == 0, m == 0); err != nil {
		return r, err
	}
	if opts.Method == MethodExact {
		return r, errors.New("judges: the exact Mann–Whitney test needs samples without ties; binned observations tie within each bucket")
	}
	r.Method = MethodAsymptotic

	var u, yBelow, ties float64
	groups := 0
	for i, cx := range canary.Counts {
		cy := baseline.Counts[i]
		u += cx * (yBelow + cy/2)
		yBelow += cy
		if t := cx + cy; t > 0 {
			ties += t*t*t - t
			groups++
		}
	}
	r.U = u
	r.CLES = u / (n * m)
	r.Z, r.PValue = asymptoticP(n, m, 2*u-n*m, ties, groups, opts.Alternative)
	notes := []string{"binned data: Hodges–Lehmann shift, means and medians are not defined"}
	if groups <= 1 {
		notes = append(notes, "all observations fall in one bucket (σ = 0): p = 1")
	}
	r.MeanRatioNote = "mean ratio undefined for binned data"
	r.RelativeShiftNote = "relative shift undefined for binned data"
	r.Note = joinNotes(notes)
	return r, nil
}

func joinNotes(notes []string) string {
	s := ""
	for i, n := range notes {
		if i > 0 {
			s += "; "
		}
		s += n
	}
	return s
}

// HistogramFromCumulative builds a Histogram from Prometheus classic
// histogram buckets: bounds are the finite `le` values, ascending, and
// cumulative the counts of observations ≤ each bound, with the +Inf
// bucket's count (the total) last, so len(cumulative) = len(bounds)+1. If
// bounds ends with +Inf and len(cumulative) = len(bounds), that bound is
// taken as the +Inf bucket. A decrease of the cumulative counts beyond
// rounding (a counter reset between rate windows) is an error; decreases
// below 1e-9 relative are clamped to 0.
func HistogramFromCumulative(bounds, cumulative []float64) (Histogram, error) {
	if len(bounds) > 0 && math.IsInf(bounds[len(bounds)-1], 1) && len(cumulative) == len(bounds) {
		bounds = bounds[:len(bounds)-1]
	}
	if len(cumulative) != len(bounds)+1 {
		return Histogram{}, fmt.Errorf("judges: %d cumulative counts for %d finite bounds, want %d (the last for +Inf)", len(cumulative), len(bounds), len(bounds)+1)
	}
	h := Histogram{Bounds: append([]float64(nil), bounds...), Counts: make([]float64, len(cumulative))}
	prev := 0.0
	for i, c := range cumulative {
		d := c - prev
		if d < 0 {
			if -d > 1e-9*math.Abs(c) {
				return Histogram{}, fmt.Errorf("judges: cumulative counts decrease at bucket %d (%v after %v)", i, c, prev)
			}
			d = 0
		}
		h.Counts[i] = d
		prev = max(prev, c)
	}
	return h, h.validate("cumulative")
}

// HistogramFromExponential builds a Histogram from the zero bucket and the
// positive buckets of a Prometheus native (exponential) histogram of the
// given schema: bucket index i covers (2^((i−1)·2^−schema), 2^(i·2^−schema)].
// The zero bucket comes first, with upper bound 0 (its observations lie in
// [−zero_threshold, zero_threshold]; they tie with each other and rank below
// every positive bucket). The layout spans the lowest to the highest index
// present in positive, so two histograms built with different index ranges
// have different layouts: build both from the union of indices (missing
// indices may be given with count 0). Negative buckets are not supported
// (latencies and sizes have none): callers must drop them or refuse the
// data. The +Inf bucket is empty.
func HistogramFromExponential(schema int32, zeroCount float64, positive map[int32]float64) (Histogram, error) {
	if schema < -4 || schema > 8 {
		return Histogram{}, fmt.Errorf("judges: native histogram schema %d outside [-4, 8]", schema)
	}
	h := Histogram{Bounds: []float64{0}, Counts: []float64{zeroCount}}
	if len(positive) > 0 {
		lo, hi := int32(math.MaxInt32), int32(math.MinInt32)
		for i := range positive {
			lo, hi = min(lo, i), max(hi, i)
		}
		for i := lo; ; i++ {
			h.Bounds = append(h.Bounds, math.Exp2(float64(i)*math.Exp2(-float64(schema))))
			h.Counts = append(h.Counts, positive[i])
			if i == hi {
				break
			}
		}
	}
	h.Counts = append(h.Counts, 0) // (last bound, +Inf]
	return h, h.validate("exponential")
}
