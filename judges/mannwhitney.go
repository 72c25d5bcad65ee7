package judges

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// ErrNoData is returned, wrapped with the name of the cohort, when a sample
// is empty after dropping NaN values. Test for it with errors.Is.
var ErrNoData = errors.New("no data")

// MannWhitneyResult is the outcome of a Mann–Whitney U test of canary x
// against baseline y, with the Hodges–Lehmann shift and its interval.
//
// When MannWhitney returns an error only the counts (NCanary, NBaseline,
// DroppedNaNCanary, DroppedNaNBaseline), Confidence and Method are set.
type MannWhitneyResult struct {
	NCanary, NBaseline int // observations used, after dropping NaN
	// DroppedNaNCanary and DroppedNaNBaseline count the NaN values removed.
	DroppedNaNCanary, DroppedNaNBaseline int

	// U is the canary's statistic #{x>y} + ½·#{x=y} (scipy statistic, R W).
	// It is exact while 2nm < 2^53.
	U float64
	// Z is the continuity-corrected normal deviate,
	// sign(U − nm/2)·(|U − nm/2| − ½)/σ: positive when the canary is larger,
	// 0 when U = nm/2 or σ = 0.
	Z float64
	// PValue is two-sided, asymptotic, tie- and continuity-corrected.
	PValue float64
	Method Method

	// Estimate is the Hodges–Lehmann shift: the exact median of all x_i − y_j.
	Estimate float64
	// CILow and CIHigh bound the shift at level Confidence (normal
	// approximation, by order statistics of the differences).
	CILow, CIHigh float64
	Confidence    float64

	// CLES is U/(nm): P(canary > baseline) + ½·P(tie) for random draws.
	CLES float64
	// MeanRatio is CanaryMean/BaselineMean, NaN when undefined; MeanRatioNote
	// says why it is undefined or why it should not be read as an effect size.
	MeanRatio     float64
	MeanRatioNote string

	CanaryMean, BaselineMean     float64
	CanaryMedian, BaselineMedian float64

	// Note explains degenerate cases (σ = 0, undefined estimate, ...).
	Note string
}

// MannWhitney runs the two-sided Mann–Whitney U test of canary against
// baseline and computes the Hodges–Lehmann shift with a confidence interval
// at level confidence, which must lie in (0, 1). NaN values are dropped; if a
// side is then empty the error wraps ErrNoData and names the side. The input
// slices are not modified.
func MannWhitney(canary, baseline []float64, confidence float64) (MannWhitneyResult, error) {
	x, nanX := sortedClean(canary)
	y, nanY := sortedClean(baseline)
	r := MannWhitneyResult{
		NCanary: len(x), NBaseline: len(y),
		DroppedNaNCanary: nanX, DroppedNaNBaseline: nanY,
		Method: MethodAsymptotic, Confidence: confidence,
	}
	if !(confidence > 0 && confidence < 1) {
		return r, fmt.Errorf("judges: confidence %v is outside (0, 1)", confidence)
	}
	switch {
	case len(x) == 0 && len(y) == 0:
		return r, fmt.Errorf("judges: canary and baseline: %w", ErrNoData)
	case len(x) == 0:
		return r, fmt.Errorf("judges: canary: %w", ErrNoData)
	case len(y) == 0:
		return r, fmt.Errorf("judges: baseline: %w", ErrNoData)
	}
	var notes []string

	rk := mergeRanks(x, y)
	n, m := int64(len(x)), int64(len(y))
	nm := n * m
	r.U = float64(rk.twoU) / 2
	r.CLES = r.U / float64(nm)
	r.Z, r.PValue = asymptoticP(len(x), len(y), rk)
	if rk.groups == 1 {
		notes = append(notes, "all values are equal (σ = 0): p = 1")
	}

	r.Estimate, r.CILow, r.CIHigh = hodgesLehmann(x, y, rk.tiesX, rk.tiesY, confidence)
	if math.IsNaN(r.Estimate) {
		notes = append(notes, "Hodges–Lehmann estimate undefined: the middle differences are −Inf and +Inf")
	}

	r.CanaryMedian, r.BaselineMedian = sortedMedian(x), sortedMedian(y)
	r.CanaryMean, r.BaselineMean = mean(x), mean(y)
	r.MeanRatio, r.MeanRatioNote = meanRatio(x, y, r.CanaryMean, r.BaselineMean)
	r.Note = strings.Join(notes, "; ")
	return r, nil
}

// ranks summarises the merge of the two sorted samples.
type ranks struct {
	twoU         int64   // 2U, exact
	tiesPooled   float64 // Σ(t³−t) over tie groups of the pooled sample
	tiesX, tiesY float64 // the same within x and within y
	groups       int     // distinct values in the pooled sample
}

// mergeRanks walks the sorted samples once, group by group of equal values.
func mergeRanks(x, y []float64) ranks {
	var r ranks
	var yBelow int64
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		var v float64
		switch {
		case j == len(y):
			v = x[i]
		case i == len(x):
			v = y[j]
		default:
			v = min(x[i], y[j])
		}
		i0 := i
		for i < len(x) && x[i] == v {
			i++
		}
		j0 := j
		for j < len(y) && y[j] == v {
			j++
		}
		cx, cy := int64(i-i0), int64(j-j0)
		r.twoU += cx * (2*yBelow + cy)
		yBelow += cy
		r.tiesPooled += tieTerm(cx + cy)
		r.tiesX += tieTerm(cx)
		r.tiesY += tieTerm(cy)
		r.groups++
	}
	return r
}

// tieTerm is t³ − t in float64 (int64 overflows for t above ~2.1e6).
func tieTerm(t int64) float64 {
	f := float64(t)
	return f*f*f - f
}

// asymptoticP returns the signed continuity-corrected deviate and the
// two-sided p-value. σ = 0 gives Z = 0, p = 1.
func asymptoticP(n, m int, rk ranks) (z, p float64) {
	if rk.groups == 1 {
		return 0, 1
	}
	fn, fm := float64(n), float64(m)
	s := fn + fm
	// Same operation order as scipy's _get_mwu_z.
	v := fn * fm / 12 * ((s + 1) - rk.tiesPooled/(s*(s-1)))
	if !(v > 0) {
		return 0, 1
	}
	sigma := math.Sqrt(v)
	twoD := rk.twoU - int64(n)*int64(m) // 2(U − nm/2), an integer
	switch {
	case twoD > 0:
		z = float64(twoD-1) / 2 / sigma
	case twoD < 0:
		z = -float64(-twoD-1) / 2 / sigma
	}
	return z, min(1, math.Erfc(math.Abs(z)/math.Sqrt2))
}

// sortedClean copies s without NaN, with −0 turned into +0, sorted ascending.
func sortedClean(s []float64) (out []float64, dropped int) {
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

// sortedMedian is the median of a non-empty ascending sample.
func sortedMedian(s []float64) float64 {
	k := len(s) / 2
	if len(s)%2 == 1 {
		return s[k]
	}
	return midpoint(s[k-1], s[k])
}

// midpoint is (a+b)/2 without spurious overflow; NaN for −Inf and +Inf.
func midpoint(a, b float64) float64 {
	if a == b {
		return a
	}
	s := a + b
	if math.IsInf(s, 0) && !math.IsInf(a, 0) && !math.IsInf(b, 0) {
		return a/2 + b/2
	}
	return s / 2
}

func mean(s []float64) float64 {
	var sum float64
	for _, v := range s {
		sum += v
	}
	return sum / float64(len(s))
}

// meanRatio is mean(x)/mean(y) with the reason when it is undefined or
// misleading. x and y are sorted, so infinities sit at the ends.
func meanRatio(x, y []float64, mx, my float64) (float64, string) {
	hasInf := func(s []float64) bool { return math.IsInf(s[0], 0) || math.IsInf(s[len(s)-1], 0) }
	switch {
	case hasInf(x) || hasInf(y):
		return math.NaN(), "mean ratio undefined: a sample contains ±Inf"
	case math.IsInf(mx, 0) || math.IsInf(my, 0):
		return math.NaN(), "mean ratio undefined: a mean overflows float64"
	case my == 0:
		return math.NaN(), "mean ratio undefined: the baseline mean is 0"
	case my < 0:
		return mx / my, "baseline mean is negative: the mean ratio is not a multiplicative effect size"
	}
	return mx / my, ""
}
