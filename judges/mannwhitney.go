package judges

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/mathext"
)

// ErrNoData is returned, wrapped with the name of the cohort, when a sample
// is empty after dropping NaN values. Test for it with errors.Is.
var ErrNoData = errors.New("no data")

// MannWhitneyOptions configures MannWhitneyTest. Zero values take the
// defaults: two-sided, MethodAuto, confidence 0.98.
type MannWhitneyOptions struct {
	// Alternative is in the canary's terms: Greater tests whether the canary
	// is stochastically larger than the baseline.
	Alternative Alternative
	// Method is MethodAuto (exact when n < 50, m < 50 and there are no ties,
	// as R; else asymptotic), MethodExact (an error with ties or when
	// n·m > 10 000) or MethodAsymptotic.
	Method Method
	// Confidence is the level of the Hodges–Lehmann interval, in (0, 1).
	Confidence float64
	// SkipShift leaves out the Hodges–Lehmann estimate and interval (and
	// RelativeShift), which are then NaN: the test costs one sort and one
	// merge.
	SkipShift bool
}

// MannWhitneyResult is the outcome of a Mann–Whitney U test of canary x
// against baseline y, with the Hodges–Lehmann shift and its interval.
//
// When MannWhitneyTest returns an error only the counts (NCanary, NBaseline,
// DroppedNaNCanary, DroppedNaNBaseline), Confidence, Alternative and Method
// (the requested one) are set.
type MannWhitneyResult struct {
	NCanary, NBaseline int // observations used, after dropping NaN
	// DroppedNaNCanary and DroppedNaNBaseline count the NaN values removed.
	DroppedNaNCanary, DroppedNaNBaseline int

	// U is the canary's statistic #{x>y} + ½·#{x=y} (scipy statistic, R W).
	// It is exact while 2U < 2^53; TwoU is always exact.
	U float64
	// TwoU is 2U as an exact integer (0 for binned results, whose counts
	// need not be integers).
	TwoU int64
	// Z is the continuity-corrected normal deviate,
	// sign(U − nm/2)·(|U − nm/2| − ½)/σ: positive when the canary is larger,
	// 0 when U = nm/2 or σ = 0. It does not depend on Alternative or Method.
	Z float64
	// PValue is for Alternative, computed by Method (tie- and
	// continuity-corrected when asymptotic).
	PValue      float64
	Alternative Alternative
	// Method is the method actually used: MethodExact or MethodAsymptotic.
	Method Method

	// Estimate is the Hodges–Lehmann shift: the exact median of all x_i − y_j.
	Estimate float64
	// CILow and CIHigh bound the shift at level Confidence: by order
	// statistics of the differences, exact or normal-approximation as
	// Method. One-sided alternatives give one-sided intervals: Greater has
	// CIHigh = +Inf, Less has CILow = −Inf (callers encoding JSON must map
	// the infinities, e.g. to null).
	CILow, CIHigh float64
	Confidence    float64
	// AchievedConfidence is the level the interval really has. With few
	// values the exact interval cannot reach Confidence: even the widest
	// order statistics [D_(1), D_(nm)] cover less (1 vs 3 values: 50 %,
	// 3 vs 3: 90 %), and AchievedConfidence < Confidence with Note saying
	// so; callers must not read such an interval at the requested level.
	// Otherwise it is the exact coverage (≥ Confidence) of the exact
	// interval, or Confidence for the normal approximation. NaN when no
	// interval was computed (SkipShift, binned data).
	AchievedConfidence float64

	// CLES is U/(nm): P(canary > baseline) + ½·P(tie) for random draws.
	CLES float64
	// MeanRatio is CanaryMean/BaselineMean, NaN when undefined; MeanRatioNote
	// says why it is undefined or why it should not be read as an effect size.
	MeanRatio     float64
	MeanRatioNote string
	// RelativeShift is Estimate/|BaselineMedian|, NaN when that median is 0
	// or not finite (RelativeShiftNote says why).
	RelativeShift     float64
	RelativeShiftNote string

	CanaryMean, BaselineMean     float64
	CanaryMedian, BaselineMedian float64

	// Note explains degenerate cases (σ = 0, undefined estimate, ...).
	Note string
}

// MannWhitney runs the two-sided Mann–Whitney U test of canary against
// baseline (MethodAuto) and computes the Hodges–Lehmann shift with a
// confidence interval at level confidence, which must lie in (0, 1). NaN
// values are dropped; if a side is then empty the error wraps ErrNoData and
// names the side. The input slices are not modified.
func MannWhitney(canary, baseline []float64, confidence float64) (MannWhitneyResult, error) {
	return mannWhitney(canary, baseline, MannWhitneyOptions{Alternative: TwoSided, Method: MethodAuto, Confidence: confidence})
}

// MannWhitneyTest is MannWhitney with a choice of alternative and method.
// Zero fields of opts take their defaults (two-sided, auto, 0.98).
func MannWhitneyTest(canary, baseline []float64, opts MannWhitneyOptions) (MannWhitneyResult, error) {
	if opts.Alternative == "" {
		opts.Alternative = TwoSided
	}
	if opts.Method == "" {
		opts.Method = MethodAuto
	}
	if opts.Confidence == 0 {
		opts.Confidence = DefaultConfidence
	}
	return mannWhitney(canary, baseline, opts)
}

// validate checks a defaulted option set.
func (o MannWhitneyOptions) validate() error {
	switch {
	case !o.Alternative.Valid():
		return fmt.Errorf("judges: unknown alternative %q (want %q, %q or %q)", o.Alternative, TwoSided, Greater, Less)
	case o.Method != MethodAuto && o.Method != MethodExact && o.Method != MethodAsymptotic:
		return fmt.Errorf("judges: unknown method %q (want %q, %q or %q)", o.Method, MethodAuto, MethodExact, MethodAsymptotic)
	case !(o.Confidence > 0 && o.Confidence < 1):
		return fmt.Errorf("judges: confidence %v is outside (0, 1)", o.Confidence)
	}
	return nil
}

// chooseMethod resolves MethodAuto and refuses an exact test it cannot do.
func chooseMethod(requested Method, n, m int, ties bool) (Method, error) {
	switch requested {
	case MethodAsymptotic:
		return MethodAsymptotic, nil
	case MethodExact:
		if ties {
			return "", errors.New("judges: the exact Mann–Whitney test needs samples without ties; use the asymptotic method")
		}
		if int64(n)*int64(m) > maxExactMannWhitneyPairs {
			return "", fmt.Errorf("judges: the exact Mann–Whitney test is limited to n·m ≤ %d (have %d·%d); use the asymptotic method",
				maxExactMannWhitneyPairs, n, m)
		}
		return MethodExact, nil
	}
	if n < 50 && m < 50 && !ties {
		return MethodExact, nil
	}
	return MethodAsymptotic, nil
}

func mannWhitney(canary, baseline []float64, opts MannWhitneyOptions) (MannWhitneyResult, error) {
	x, y, nanX, nanY := sortedCleanPair(canary, baseline)
	r := MannWhitneyResult{
		NCanary: len(x), NBaseline: len(y),
		DroppedNaNCanary: nanX, DroppedNaNBaseline: nanY,
		Alternative: opts.Alternative, Method: opts.Method, Confidence: opts.Confidence,
	}
	if err := opts.validate(); err != nil {
		return r, err
	}
	if err := noDataError(len(x) == 0, len(y) == 0); err != nil {
		return r, err
	}
	var notes []string

	rk := mergeRanks(x, y)
	n, m := int64(len(x)), int64(len(y))
	nm := n * m
	ties := rk.groups < len(x)+len(y)
	method, err := chooseMethod(opts.Method, len(x), len(y), ties)
	if err != nil {
		return r, err
	}
	r.Method = method
	r.TwoU = rk.twoU
	r.U = float64(rk.twoU) / 2
	r.CLES = r.U / float64(nm)
	var dist *wilcoxDist
	if method == MethodExact {
		dist = newWilcoxDist(len(x), len(y))
		r.Z, _ = asymptoticP(float64(n), float64(m), float64(rk.twoU-nm), rk.tiesPooled, rk.groups, opts.Alternative)
		r.PValue = dist.pvalue(int(rk.twoU/2), opts.Alternative)
	} else {
		r.Z, r.PValue = asymptoticP(float64(n), float64(m), float64(rk.twoU-nm), rk.tiesPooled, rk.groups, opts.Alternative)
	}
	if rk.groups == 1 {
		notes = append(notes, "all values are equal (σ = 0): p = 1")
	}

	var kL, kU int64
	switch {
	case opts.SkipShift:
		r.Estimate, r.CILow, r.CIHigh = math.NaN(), math.NaN(), math.NaN()
		r.AchievedConfidence = math.NaN()
		notes = append(notes, "Hodges–Lehmann shift not computed (SkipShift)")
	case dist != nil:
		kL, kU, r.AchievedConfidence = dist.exactCIRanks(opts.Confidence, opts.Alternative)
	default:
		kL, kU = ciRanks(len(x), len(y), rk.tiesX, rk.tiesY, opts.Confidence, opts.Alternative)
		r.AchievedConfidence = asymptoticCILevel(len(x), len(y), rk.tiesX, rk.tiesY, opts.Confidence, opts.Alternative)
	}
	if !opts.SkipShift {
		r.Estimate, r.CILow, r.CIHigh = hodgesLehmann(x, y, kL, kU)
		if r.levelNotAchieved() {
			notes = append(notes, fmt.Sprintf("requested %s%% interval not achievable with %d canary and %d baseline values: the widest interval has level %s%%",
				fmtNum(100*opts.Confidence), len(x), len(y), fmtNum(100*r.AchievedConfidence)))
		}
	}
	if math.IsNaN(r.Estimate) && !opts.SkipShift {
		notes = append(notes, "Hodges–Lehmann estimate undefined: the middle differences are −Inf and +Inf")
	}

	r.CanaryMedian, r.BaselineMedian = sortedMedian(x), sortedMedian(y)
	r.CanaryMean, r.BaselineMean = mean(x), mean(y)
	r.MeanRatio, r.MeanRatioNote = meanRatio(x, y, r.CanaryMean, r.BaselineMean)
	r.RelativeShift, r.RelativeShiftNote = relativeShift(r.Estimate, r.BaselineMedian)
	r.Note = strings.Join(notes, "; ")
	return r, nil
}

// levelNotAchieved reports whether the interval's level is below the
// requested one (beyond rounding).
func (r MannWhitneyResult) levelNotAchieved() bool {
	return r.AchievedConfidence < r.Confidence-1e-9
}

// asymptoticCILevel is the level of the normal-approximation interval of
// ciRanks: Confidence, unless the requested half-width c = z·σ_ci is so
// large that the ranks clamp to [1, nm]; then the widest interval
// [D_(1), D_(nm)] has the level whose half-width is nm/2 − ½ (the largest c
// with k_L = ⌊nm/2 − c − ½⌋ + 1 ≥ 1), in the same approximation.
func asymptoticCILevel(n, m int, tiesX, tiesY, confidence float64, alt Alternative) float64 {
	fn, fm := float64(n), float64(m)
	size, s := fn*fm, fn+fm
	v := size / 12 * ((s + 1) - (tiesX+tiesY)/(s*(s-1)))
	tail := 1 - confidence
	if alt == TwoSided {
		tail /= 2
	}
	if !(v > 0) {
		return confidence
	}
	sigma := math.Sqrt(v)
	if c := -mathext.NormalQuantile(tail) * sigma; size/2-c-0.5 >= 0 {
		return confidence
	}
	zMax := (size/2 - 0.5) / sigma
	if alt == TwoSided {
		return 1 - math.Erfc(zMax/math.Sqrt2)
	}
	return 1 - math.Erfc(zMax/math.Sqrt2)/2
}

// noDataError names the empty side(s), or is nil.
func noDataError(noX, noY bool) error {
	switch {
	case noX && noY:
		return fmt.Errorf("judges: canary and baseline: %w", ErrNoData)
	case noX:
		return fmt.Errorf("judges: canary: %w", ErrNoData)
	case noY:
		return fmt.Errorf("judges: baseline: %w", ErrNoData)
	}
	return nil
}

// relativeShift is est/|median| with the reason when it is undefined.
func relativeShift(est, median float64) (float64, string) {
	switch {
	case math.IsNaN(median) || math.IsInf(median, 0):
		return math.NaN(), "relative shift undefined: the baseline median is not finite"
	case median == 0:
		return math.NaN(), "relative shift undefined: the baseline median is 0"
	case math.IsNaN(est):
		return math.NaN(), "relative shift undefined: no Hodges–Lehmann estimate"
	}
	return est / math.Abs(median), ""
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

// asymptoticP returns the signed continuity-corrected deviate (two-sided
// convention, see MannWhitneyResult.Z) and the p-value for alt, from sample
// sizes, 2(U − nm/2) and the pooled tie term (counts may be non-integer for binned
// data). σ = 0 gives Z = 0, p = 1.
func asymptoticP(n, m, twoD, tiesPooled float64, groups int, alt Alternative) (z, p float64) {
	if groups <= 1 {
		return 0, 1
	}
	s := n + m
	// Same operation order as scipy's _get_mwu_z.
	v := n * m / 12 * ((s + 1) - tiesPooled/(s*(s-1)))
	if !(v > 0) {
		return 0, 1
	}
	sigma := math.Sqrt(v)
	switch {
	case twoD > 0:
		z = (twoD - 1) / 2 / sigma
	case twoD < 0:
		z = -(-twoD - 1) / 2 / sigma
	}
	switch alt {
	case Greater: // z = (U1 − μ − ½)/σ, p = 1 − Φ(z)
		return z, math.Erfc((twoD-1)/2/sigma/math.Sqrt2) / 2
	case Less: // z = (U2 − μ − ½)/σ with U2 = nm − U1
		return z, math.Erfc((-twoD-1)/2/sigma/math.Sqrt2) / 2
	}
	return z, min(1, math.Erfc(math.Abs(z)/math.Sqrt2))
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
