package judges

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Aggregates accepted by ThresholdConfig.Aggregate.
const (
	AggMean   = "mean"
	AggMedian = "median"
	AggMin    = "min"
	AggMax    = "max"
	AggLast   = "last"
	AggP90    = "p90"
	AggP95    = "p95"
	AggP99    = "p99"
)

// ThresholdConfig classifies a single aggregate of the canary's values
// against fixed bounds, without a baseline.
type ThresholdConfig struct {
	// Aggregate is one of mean (default), median, min, max, last, p90, p95,
	// p99. Percentiles interpolate linearly (type 7, numpy's default).
	Aggregate string
	// Lower and Upper are the bounds; either or both. A value equal to a
	// bound is within it.
	Lower, Upper *float64
}

// ThresholdResult is the aggregate and the bounds it was compared with.
type ThresholdResult struct {
	Aggregate    string
	Value        float64
	Lower, Upper *float64
	N            int // values used, after dropping NaN
	DroppedNaN   int
}

// Validate rejects an unknown aggregate, missing or NaN bounds and
// Lower > Upper, naming the field.
func (c ThresholdConfig) Validate() error {
	var errs []error
	switch c.Aggregate {
	case "", AggMean, AggMedian, AggMin, AggMax, AggLast, AggP90, AggP95, AggP99:
	default:
		errs = append(errs, fmt.Errorf("invalid Aggregate %q: want mean, median, min, max, last, p90, p95 or p99", c.Aggregate))
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

// ClassifyThreshold computes the configured aggregate over the canary's
// non-NaN values: High above Upper, Low below Lower, Pass within, NoData when
// there are no values, Error for an invalid config or a NaN aggregate (a mean
// of +Inf and −Inf).
func ClassifyThreshold(canary []float64, cfg ThresholdConfig) MetricResult {
	if err := cfg.Validate(); err != nil {
		return MetricResult{Classification: Error, Reason: "threshold config: " + oneLine(err)}
	}
	tr := ThresholdResult{Aggregate: cfg.Aggregate, Lower: copyPtr(cfg.Lower), Upper: copyPtr(cfg.Upper)}
	if tr.Aggregate == "" {
		tr.Aggregate = AggMean
	}
	res := MetricResult{Threshold: &tr}

	vals := make([]float64, 0, len(canary))
	for _, v := range canary {
		if math.IsNaN(v) {
			tr.DroppedNaN++
			continue
		}
		vals = append(vals, v)
	}
	tr.N = len(vals)
	if len(vals) == 0 {
		res.Classification = NoData
		res.Reason = "no canary data"
		if tr.DroppedNaN > 0 {
			res.Reason += fmt.Sprintf(" (all %d values NaN)", tr.DroppedNaN)
		}
		return res
	}
	tr.Value = aggregate(tr.Aggregate, vals)

	v := tr.Aggregate + " " + fmtNum(tr.Value)
	switch {
	case math.IsNaN(tr.Value):
		res.Classification, res.Reason = Error, tr.Aggregate+" is NaN (the values contain both +Inf and −Inf)"
	case tr.Upper != nil && tr.Value > *tr.Upper:
		res.Classification, res.Reason = High, v+" above the upper bound "+fmtNum(*tr.Upper)
	case tr.Lower != nil && tr.Value < *tr.Lower:
		res.Classification, res.Reason = Low, v+" below the lower bound "+fmtNum(*tr.Lower)
	default:
		res.Classification, res.Reason = Pass, v+" within "+boundsText(tr.Lower, tr.Upper)
	}
	return res
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
	switch name {
	case AggMedian:
		return quantile7(vals, 0.5)
	case AggP90:
		return quantile7(vals, 0.90)
	case AggP95:
		return quantile7(vals, 0.95)
	default: // AggP99, the only one left after Validate
		return quantile7(vals, 0.99)
	}
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
