package judges

import (
	"math"
	"slices"
)

// NaNStrategy says what the Mann–Whitney judge does with NaN observations
// (Kayenta's nanStrategy).
type NaNStrategy string

// NaN strategies.
const (
	// NaNRemove drops NaN observations (the default).
	NaNRemove NaNStrategy = "remove"
	// NaNReplace replaces every NaN observation by 0, as Kayenta does: a
	// missing sample of a counter rate usually means "nothing happened".
	NaNReplace NaNStrategy = "replace"
)

// OutlierStrategy says whether outliers are removed before the test
// (Kayenta's outliers.strategy).
type OutlierStrategy string

// Outlier strategies.
const (
	OutliersKeep   OutlierStrategy = "keep" // the default
	OutliersRemove OutlierStrategy = "remove"
)

// DefaultOutlierFactor is the IQR multiple k of the outlier fences
// (Kayenta's outlierFactor default).
const DefaultOutlierFactor = 3.0

// Removed counts the observations taken out of each cohort before a judge
// computed anything.
type Removed struct {
	// NaNCanary and NaNBaseline count NaN observations dropped
	// (NaNStrategy remove, and always for the threshold judge).
	NaNCanary, NaNBaseline int
	// OutliersCanary and OutliersBaseline count observations outside the
	// outlier fences (Outliers remove).
	OutliersCanary, OutliersBaseline int
}

// Replaced counts the NaN observations replaced by 0 (NaNStrategy replace).
type Replaced struct {
	NaNCanary, NaNBaseline int
}

// cleanCohort applies the NaN strategy and then, with OutliersRemove, the
// outlier fences to one cohort. It returns s itself when nothing needs to
// change (remove with keep: MannWhitney drops NaN on its own copy), else a
// new slice; s is never modified. nan counts the NaN observations (dropped
// or replaced, per strategy), outliers the values removed by the fences.
func cleanCohort(s []float64, nanStrategy NaNStrategy, outliers OutlierStrategy, k float64) (out []float64, nan, removed int) {
	for _, v := range s {
		if math.IsNaN(v) {
			nan++
		}
	}
	if outliers != OutliersRemove && (nan == 0 || nanStrategy != NaNReplace) {
		return s, nan, 0
	}
	out = make([]float64, 0, len(s))
	for _, v := range s {
		switch {
		case !math.IsNaN(v):
			out = append(out, v)
		case nanStrategy == NaNReplace:
			out = append(out, 0)
		}
	}
	if outliers != OutliersRemove || len(out) == 0 {
		return out, nan, 0
	}
	lo, hi := outlierFences(out, k)
	kept := out[:0]
	for _, v := range out {
		if v >= lo && v <= hi {
			kept = append(kept, v)
		}
	}
	return kept, nan, len(out) - len(kept)
}

// outlierFences returns Kayenta's fences for a non-empty, NaN-free sample:
//
//	lower = min(P1, Q1 − k·IQR), upper = max(P99, Q3 + k·IQR), IQR = Q3 − Q1,
//
// with percentiles of type 7 (linear interpolation, numpy's default). Values
// outside [lower, upper] are outliers. Because the fences never lie inside
// [P1, P99], at most about 1% of the sample is removed at each end, and a
// sample is never emptied. When Q1 − k·IQR or Q3 + k·IQR is NaN (an infinite
// quartile makes IQR NaN or k·IQR ∞ − ∞), the percentile alone is the fence.
func outlierFences(sample []float64, k float64) (lower, upper float64) {
	s := slices.Clone(sample)
	slices.Sort(s)
	p1, q1 := quantile7(s, 0.01), quantile7(s, 0.25)
	q3, p99 := quantile7(s, 0.75), quantile7(s, 0.99)
	iqr := q3 - q1
	lower, upper = p1, p99
	if f := q1 - k*iqr; f < lower { // false for NaN
		lower = f
	}
	if f := q3 + k*iqr; f > upper {
		upper = f
	}
	return lower, upper
}
