package judges

import "errors"

// QuantileBand is a time-uniform confidence band on one quantile of one
// cohort.
type QuantileBand struct {
	Q      float64 // the quantile level, e.g. 0.99
	Lo, Hi float64 // the band (Hi may be +Inf: not yet bounded)
	N      float64 // observations so far
}

// QuantileBounds is a confidence sequence for the q-quantile of a cohort's
// distribution from its cumulative histogram: with probability at least
// 1−alpha the band holds the true quantile at every time it is computed,
// however often (Howard & Ramdas 2022). Bounds snap outwards to the bucket
// edges.
func QuantileBounds(h Histogram, q, alpha float64) (QuantileBand, error) {
	return QuantileBand{}, errors.New("quantile bounds: not implemented")
}

// QuantileBoundsSamples is QuantileBounds from raw observations (sorted
// ascending), with bounds at order statistics.
func QuantileBoundsSamples(sorted []float64, q, alpha float64) (QuantileBand, error) {
	return QuantileBand{}, errors.New("quantile bounds: not implemented")
}

// QuantileComparison compares one quantile of two cohorts.
type QuantileComparison struct {
	Q                float64
	Canary, Baseline QuantileBand
	// RatioLo and RatioHi bound canary/baseline: Canary.Lo/Baseline.Hi and
	// Canary.Hi/Baseline.Lo.
	RatioLo, RatioHi float64
	// Worse: RatioLo > 1+margin (a regression beyond the margin is
	// established); NonInferior: RatioHi < 1+margin.
	Worse, NonInferior bool
}

// CompareQuantiles bounds each of qs (e.g. 0.5, 0.9, 0.99) in both cohorts
// with the level split so that every band of both cohorts holds at once with
// probability at least 1−alpha, and compares them against the relative
// margin (an increase is harmful).
func CompareQuantiles(canary, baseline Histogram, qs []float64, alpha, margin float64) ([]QuantileComparison, error) {
	return nil, errors.New("quantile comparison: not implemented")
}
