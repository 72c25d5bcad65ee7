package judges

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Aggregates accepted by ThresholdConfig.Aggregate. Besides these, any
// percentile written pNN or pNN.N… (1 or 2 integer digits, any number of
// decimals) strictly inside (0, 100) is accepted, e.g. p75, p99.9, p0.5.
const (
	AggMean   = "mean"
	AggMedian = "median"
	AggMin    = "min"
	AggMax    = "max"
	AggLast   = "last"
	AggP50    = "p50"
	AggP90    = "p90"
	AggP95    = "p95"
	AggP99    = "p99"
)

// ThresholdConfig classifies a single aggregate of the canary's values
// against bounds: absolute bounds (ClassifyThreshold) or bounds relative to
// the same aggregate of the baseline (Relative, ClassifyThresholdRelative).
type ThresholdConfig struct {
	// Aggregate is one of mean (default), median, min, max, last, or a
	// percentile pNN / pNN.N in (0, 100) such as p50, p90, p95, p99, p99.9.
	// Percentiles interpolate linearly (type 7, numpy's default).
	Aggregate string
	// Lower and Upper are the bounds; either or both. A value equal to a
	// bound is within it.
	Lower, Upper *float64
	// Relative makes the bounds ratios to the baseline's aggregate b: the
	// canary's aggregate c is compared as the ratio r = c/b (b > 0), so
	// Upper 1.1 means at most +10% and Lower 0.9 at least −10%. For b < 0
	// the ratio is r = 1 + (c − b)/|b| = 2 − c/b, which keeps "above 1 =
	// higher than the baseline by that fraction of |b|". b = 0, ±Inf or NaN
	// makes the ratio not computable: the result is Error, never Pass.
	// Relative bounds need ClassifyThresholdRelative.
	Relative bool
	// MustHaveData makes an empty cohort a failure of the metric (NoData
	// with MetricResult.MustHaveDataBreach set).
	MustHaveData bool
}

// ThresholdResult is the aggregate and the bounds it was compared with.
type ThresholdResult struct {
	Aggregate    string
	Value        float64 // the canary's aggregate
	Lower, Upper *float64
	N            int // canary values used, after dropping NaN
	DroppedNaN   int

	// Relative is set when the bounds are ratios to the baseline; then
	// Ratio (as defined on ThresholdConfig.Relative) was compared with them,
	// and Baseline is the baseline's aggregate over BaselineN values. Ratio
	// is NaN when the baseline's aggregate admits no ratio (the result is
	// then Error).
	Relative                      bool
	Baseline, Ratio               float64
	BaselineN, BaselineDroppedNaN int
}

// Validate rejects an unknown aggregate, a percentile outside (0, 100),
// missing or NaN bounds and Lower > Upper, naming the field.
func (c ThresholdConfig) Validate() error {
	var errs []error
	switch c.Aggregate {
	case "", AggMean, AggMedian, AggMin, AggMax, AggLast:
	default:
		if p, ok := parsePercentile(c.Aggregate); !ok {
			errs = append(errs, fmt.Errorf("invalid Aggregate %q: want mean, median, min, max, last or a percentile pNN or pNN.N (p50, p90, p95, p99, p99.9, ...)", c.Aggregate))
		} else if !(p > 0 && p < 100) {
			errs = append(errs, fmt.Errorf("invalid Aggregate %q: percentile outside (0, 100)", c.Aggregate))
		}
	}
	if c.Lower == nil && c.Upper == nil {
		errs = append(errs, errors.New("missing Lower and Upper: at least one bound is required"))
	}
	if c.Lower != nil && math.IsNaN(*c.Lower) {
		errs = append(errs, errors.New("invalid Lower: NaN"))
	}
	if c.Upper != nil && math.IsNaN(*c.Upper) {
		errs = append(errs, errors.New("invalid Upper: NaN"))
	}
	if c.Lower != nil && c.Upper != nil && *c.Lower > *c.Upper {
		errs = append(errs, fmt.Errorf("invalid Lower %v: greater than Upper %v", *c.Lower, *c.Upper))
	}
	return errors.Join(errs...)
}

// parsePercentile parses "pNN" or "pNN.D…" (1–2 integer digits, at least
// one decimal digit after a dot) into NN.D…; ok is false for any other form.
// The range (0, 100) is checked by the caller.
func parsePercentile(s string) (p float64, ok bool) {
	digits := func(s string) bool {
		for _, r := range s {
			if r < '0' || r > '9' {
				return false
			}
		}
		return s != ""
	}
	num, found := strings.CutPrefix(s, "p")
	if !found {
		return 0, false
	}
	whole, frac, dot := strings.Cut(num, ".")
	if !digits(whole) || len(whole) > 2 || (dot && !digits(frac)) {
		return 0, false
	}
	p, err := strconv.ParseFloat(num, 64)
	return p, err == nil
}

// ClassifyThreshold computes the configured aggregate over the canary's
// non-NaN values: High above Upper, Low below Lower, Pass within, NoData when
// there are no values (with MustHaveDataBreach when cfg.MustHaveData), Error
// for an invalid config, relative bounds (they need the baseline: use
// ClassifyThresholdRelative) or a NaN aggregate (a mean of +Inf and −Inf).
func ClassifyThreshold(canary []float64, cfg ThresholdConfig) MetricResult {
	if cfg.Relative {
		return MetricResult{Classification: Error, Reason: "threshold config: relative bounds need the baseline (ClassifyThresholdRelative)"}
	}
	return classifyThreshold(canary, nil, cfg)
}

// ClassifyThresholdRelative compares the canary's aggregate with the
// baseline's: the ratio defined on ThresholdConfig.Relative is High above
// Upper, Low below Lower, Pass within. cfg.Relative must be set (absolute
// bounds are classified by ClassifyThreshold). NoData when either cohort has
// no non-NaN values; Error when either aggregate is NaN or the baseline's is
// 0 or infinite, since no ratio exists then.
func ClassifyThresholdRelative(canary, baseline []float64, cfg ThresholdConfig) MetricResult {
	if !cfg.Relative {
		return MetricResult{Classification: Error, Reason: "threshold config: absolute bounds are judged without the baseline (ClassifyThreshold)"}
	}
	if baseline == nil {
		baseline = []float64{} // non-nil marks the relative path
	}
	return classifyThreshold(canary, baseline, cfg)
}

// classifyThreshold is ClassifyThreshold when baseline is nil, and
// ClassifyThresholdRelative otherwise.
func classifyThreshold(canary, baseline []float64, cfg ThresholdConfig) MetricResult {
	if err := cfg.Validate(); err != nil {
		return MetricResult{Classification: Error, Reason: "threshold config: " + oneLine(err)}
	}
	relative := baseline != nil
	tr := ThresholdResult{Aggregate: cfg.Aggregate, Lower: copyPtr(cfg.Lower), Upper: copyPtr(cfg.Upper), Relative: relative}
	if tr.Aggregate == "" {
		tr.Aggregate = AggMean
	}
	res := MetricResult{Threshold: &tr}

	vals, nan := withoutNaN(canary)
	tr.N, tr.DroppedNaN = len(vals), nan
	res.Removed.NaNCanary = nan
	var bvals []float64
	if relative {
		bvals, nan = withoutNaN(baseline)
		tr.BaselineN, tr.BaselineDroppedNaN = len(bvals), nan
		res.Removed.NaNBaseline = nan
	}
	if len(vals) == 0 || (relative && len(bvals) == 0) {
		res.Classification = NoData
		var parts []string
		if len(vals) == 0 {
			parts = append(parts, noDataSide("canary", tr.DroppedNaN))
		}
		if relative && len(bvals) == 0 {
			parts = append(parts, noDataSide("baseline", tr.BaselineDroppedNaN))
		}
		res.Reason = strings.Join(parts, ", ")
		if cfg.MustHaveData {
			res.MustHaveDataBreach = true
			res.Reason += "; the metric must have data: fails the run"
		}
		return res
	}
	tr.Value = aggregate(tr.Aggregate, vals)
	if math.IsNaN(tr.Value) {
		res.Classification, res.Reason = Error, tr.Aggregate+" is NaN (the values contain both +Inf and −Inf)"
		return res
	}

	v, compared := tr.Aggregate+" "+fmtNum(tr.Value), tr.Value
	if relative {
		tr.Baseline = aggregate(tr.Aggregate, bvals)
		b := tr.Baseline
		switch {
		case math.IsNaN(b):
			res.Classification, res.Reason = Error, "baseline "+tr.Aggregate+" is NaN (the values contain both +Inf and −Inf)"
		case b == 0 || math.IsInf(b, 0):
			res.Classification = Error
			res.Reason = "baseline " + tr.Aggregate + " is " + fmtNum(b) + ": the ratio to it is not computable"
		}
		if res.Classification == Error {
			tr.Ratio = math.NaN()
			return res
		}
		if b > 0 {
			tr.Ratio = tr.Value / b
		} else {
			tr.Ratio = 2 - tr.Value/b
		}
		v = v + " vs baseline " + fmtNum(b) + ": ratio " + fmtNum(tr.Ratio)
		compared = tr.Ratio
	}
	switch {
	case tr.Upper != nil && compared > *tr.Upper:
		res.Classification, res.Reason = High, v+" above the upper bound "+fmtNum(*tr.Upper)
	case tr.Lower != nil && compared < *tr.Lower:
		res.Classification, res.Reason = Low, v+" below the lower bound "+fmtNum(*tr.Lower)
	default:
		res.Classification, res.Reason = Pass, v+" within "+boundsText(tr.Lower, tr.Upper)
	}
	return res
}

// withoutNaN copies s without NaN values and counts them.
func withoutNaN(s []float64) (vals []float64, nan int) {
	vals = make([]float64, 0, len(s))
	for _, v := range s {
		if math.IsNaN(v) {
			nan++
			continue
		}
		vals = append(vals, v)
	}
	return vals, nan
}

func noDataSide(name string, nan int) string {
	if nan > 0 {
		return fmt.Sprintf("no %s data (all %d values NaN)", name, nan)
	}
	return "no " + name + " data"
}

// aggregate computes a valid aggregate of non-empty, NaN-free values.
// vals may be reordered.
func aggregate(name string, vals []float64) float64 {
	switch name {
	case AggLast:
		return vals[len(vals)-1]
	case AggMean:
		return mean(vals)
	case AggMin:
		return slices.Min(vals)
	case AggMax:
		return slices.Max(vals)
	}
	slices.Sort(vals)
	if name == AggMedian {
		return quantile7(vals, 0.5)
	}
	p, _ := parsePercentile(name) // valid after Validate
	return quantile7(vals, p/100)
}

// quantile7 is the type-7 quantile of ascending, non-empty s: linear
// interpolation between s[⌊h⌋] and s[⌊h⌋+1] at h = (len−1)·p, with numpy's
// two-sided lerp (exact at both ends). An infinite neighbour wins: between
// −Inf and anything the quantile is −Inf, between a finite value and +Inf it
// is +Inf.
func quantile7(s []float64, p float64) float64 {
	h := float64(len(s)-1) * p
	i := int(math.Floor(h))
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	a, b, t := s[i], s[i+1], h-float64(i)
	switch {
	case t == 0 || a == b:
		return a
	case math.IsInf(a, 0):
		return a
	case math.IsInf(b, 0):
		return b
	}
	d := b - a
	switch {
	case math.IsInf(d, 0): // finite a and b, but b − a overflows
		return a*(1-t) + b*t
	case t < 0.5:
		return a + d*t
	default:
		return b - d*(1-t)
	}
}

func boundsText(lo, hi *float64) string {
	switch {
	case lo != nil && hi != nil:
		return "[" + fmtNum(*lo) + ", " + fmtNum(*hi) + "]"
	case lo != nil:
		return "the lower bound " + fmtNum(*lo)
	default:
		return "the upper bound " + fmtNum(*hi)
	}
}

func copyPtr(p *float64) *float64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
