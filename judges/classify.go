package judges

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Direction says which change of a metric is harmful.
type Direction string

const (
	Increase Direction = "increase" // an increase is bad (latency, errors)
	Decrease Direction = "decrease" // a decrease is bad (throughput, hit rate)
	Either   Direction = "either"   // any change is bad
)

// Classification is the verdict on one metric.
type Classification string

const (
	Pass   Classification = "pass"
	High   Classification = "high"
	Low    Classification = "low"
	NoData Classification = "nodata"
	Error  Classification = "error"
)

// Defaults applied by MannWhitneyConfig for zero fields.
const (
	DefaultConfidence      = 0.98
	DefaultAllowedIncrease = 1.0
	DefaultAllowedDecrease = 1.0
)

// MannWhitneyConfig configures ClassifyMannWhitney. Zero values take the
// defaults: Direction Either, Confidence 0.98, AllowedIncrease and
// AllowedDecrease 1.0, no critical bounds.
type MannWhitneyConfig struct {
	Direction Direction
	// Confidence of the interval used to classify, in (0, 1).
	Confidence float64
	// AllowedIncrease is the mean-ratio effect size (canary mean / baseline
	// mean) that a significant increase must reach to count as High.
	AllowedIncrease float64
	// AllowedDecrease is the mean ratio at or below which a significant
	// decrease counts as Low.
	AllowedDecrease float64
	// CriticalIncrease and CriticalDecrease (0 = unset) are mean ratios
	// beyond which a High or Low sets MetricResult.Critical.
	CriticalIncrease, CriticalDecrease float64
}

// withDefaults fills the zero fields.
func (c MannWhitneyConfig) withDefaults() MannWhitneyConfig {
	if c.Direction == "" {
		c.Direction = Either
	}
	if c.Confidence == 0 {
		c.Confidence = DefaultConfidence
	}
	if c.AllowedIncrease == 0 {
		c.AllowedIncrease = DefaultAllowedIncrease
	}
	if c.AllowedDecrease == 0 {
		c.AllowedDecrease = DefaultAllowedDecrease
	}
	return c
}

// Validate checks the configuration after defaults and names the bad field.
func (c MannWhitneyConfig) Validate() error {
	c = c.withDefaults()
	var errs []error
	switch c.Direction {
	case Increase, Decrease, Either:
	default:
		errs = append(errs, fmt.Errorf("invalid Direction %q: want increase, decrease or either", c.Direction))
	}
	if !(c.Confidence > 0 && c.Confidence < 1) {
		errs = append(errs, fmt.Errorf("invalid Confidence %v: outside (0, 1)", c.Confidence))
	}
	positive := func(name string, v float64, optional bool) bool {
		if optional && v == 0 {
			return false
		}
		if !(v > 0) || math.IsInf(v, 0) {
			errs = append(errs, fmt.Errorf("invalid %s %v: must be a positive finite mean ratio", name, v))
			return false
		}
		return true
	}
	positive("AllowedIncrease", c.AllowedIncrease, false)
	positive("AllowedDecrease", c.AllowedDecrease, false)
	if positive("CriticalIncrease", c.CriticalIncrease, true) && c.CriticalIncrease < c.AllowedIncrease {
		errs = append(errs, fmt.Errorf("invalid CriticalIncrease %v: below AllowedIncrease %v", c.CriticalIncrease, c.AllowedIncrease))
	}
	if positive("CriticalDecrease", c.CriticalDecrease, true) && c.CriticalDecrease > c.AllowedDecrease {
		errs = append(errs, fmt.Errorf("invalid CriticalDecrease %v: above AllowedDecrease %v", c.CriticalDecrease, c.AllowedDecrease))
	}
	return errors.Join(errs...)
}

// MetricResult is the verdict on one metric with the statistics behind it.
type MetricResult struct {
	Classification Classification
	// Critical is set when a critical bound was breached.
	Critical bool
	// Reason is one line for humans.
	Reason      string
	MannWhitney *MannWhitneyResult
	Threshold   *ThresholdResult
}

// ClassifyMannWhitney compares canary with baseline by Kayenta's rule with
// its defects fixed. With the confidence interval [lo, hi] of the
// Hodges–Lehmann shift e and tolerance b = ¼·|e|:
//
//   - High if increases are harmful, lo > b and the mean ratio ≥ AllowedIncrease;
//   - Low if decreases are harmful, hi < −b and the mean ratio ≤ AllowedDecrease;
//   - Pass otherwise, including a significant change in the harmless direction.
//
// When the mean ratio is undefined (or the baseline mean is negative) the
// effect-size gate is skipped and the reason says so; a critical bound then
// counts as breached by any High/Low, since the size cannot be bounded.
// An empty (or all-NaN) cohort is NoData; a NaN statistic or an invalid
// configuration is Error, never Pass.
func ClassifyMannWhitney(canary, baseline []float64, cfg MannWhitneyConfig) MetricResult {
	if err := cfg.Validate(); err != nil {
		return MetricResult{Classification: Error, Reason: "Mann–Whitney config: " + oneLine(err)}
	}
	cfg = cfg.withDefaults()
	mw, err := MannWhitney(canary, baseline, cfg.Confidence)
	// Statistics are attached only when the test ran: a result without
	// data carries none, rather than zeros that read like measurements.
	var res MetricResult
	if errors.Is(err, ErrNoData) {
		res.Classification, res.Reason = NoData, noDataReason(mw)
		return res
	}
	if err != nil {
		res.Classification, res.Reason = Error, oneLine(err)
		return res
	}
	res.MannWhitney = &mw
	if name := mw.nanStatistic(); name != "" {
		res.Classification = Error
		res.Reason = name + " is NaN: cannot classify"
		if mw.Note != "" {
			res.Reason += " (" + mw.Note + ")"
		}
		return res
	}

	e, lo, hi := mw.Estimate, mw.CILow, mw.CIHigh
	b := 0.25 * math.Abs(e)
	higher := lo > b || lo == math.Inf(1)
	lower := hi < -b || hi == math.Inf(-1)
	ratioOK := !math.IsNaN(mw.MeanRatio) && mw.BaselineMean >= 0
	head := shiftSummary(mw) + ": "

	switch {
	case higher && cfg.Direction == Decrease:
		res.Classification, res.Reason = Pass, head+"canary higher (harmless)"
	case lower && cfg.Direction == Increase:
		res.Classification, res.Reason = Pass, head+"canary lower (harmless)"
	case higher && !ratioOK:
		res.Classification = High
		res.Reason = head + "canary higher; effect-size gate skipped (" + mw.MeanRatioNote + ")"
		res.Critical = cfg.CriticalIncrease != 0
	case higher && mw.MeanRatio >= cfg.AllowedIncrease:
		res.Classification = High
		res.Reason = head + "canary higher, mean " + ratioPct(mw.MeanRatio, false) + " beyond allowed " + ratioPct(cfg.AllowedIncrease, false)
		res.Critical = cfg.CriticalIncrease != 0 && mw.MeanRatio >= cfg.CriticalIncrease
	case higher:
		res.Classification = Pass
		res.Reason = head + "canary higher but mean " + ratioPct(mw.MeanRatio, false) + " within allowed " + ratioPct(cfg.AllowedIncrease, false)
	case lower && !ratioOK:
		res.Classification = Low
		res.Reason = head + "canary lower; effect-size gate skipped (" + mw.MeanRatioNote + ")"
		res.Critical = cfg.CriticalDecrease != 0
	case lower && mw.MeanRatio <= cfg.AllowedDecrease:
		res.Classification = Low
		res.Reason = head + "canary lower, mean " + ratioPct(mw.MeanRatio, true) + " beyond allowed " + ratioPct(cfg.AllowedDecrease, true)
		res.Critical = cfg.CriticalDecrease != 0 && mw.MeanRatio <= cfg.CriticalDecrease
	case lower:
		res.Classification = Pass
		res.Reason = head + "canary lower but mean " + ratioPct(mw.MeanRatio, true) + " within allowed " + ratioPct(cfg.AllowedDecrease, true)
	default:
		res.Classification, res.Reason = Pass, head+"no significant difference"
	}
	if res.Critical {
		if ratioOK {
			bound := cfg.CriticalIncrease
			if res.Classification == Low {
				bound = cfg.CriticalDecrease
			}
			res.Reason += "; critical: beyond " + ratioPct(bound, res.Classification == Low)
		} else {
			res.Reason += "; critical bound counts as breached"
		}
	}
	return res
}

// nanStatistic names the first test statistic that is NaN, or "".
// MeanRatio is not one: it is NaN by definition when undefined.
func (r MannWhitneyResult) nanStatistic() string {
	for _, s := range []struct {
		name string
		v    float64
	}{
		{"U", r.U}, {"Z", r.Z}, {"p-value", r.PValue}, {"Hodges–Lehmann estimate", r.Estimate},
		{"CI low", r.CILow}, {"CI high", r.CIHigh}, {"CLES", r.CLES},
	} {
		if math.IsNaN(s.v) {
			return s.name
		}
	}
	return ""
}

func noDataReason(r MannWhitneyResult) string {
	side := func(name string, nan int) string {
		if nan > 0 {
			return fmt.Sprintf("no %s data (all %d values NaN)", name, nan)
		}
		return "no " + name + " data"
	}
	switch {
	case r.NCanary == 0 && r.NBaseline == 0:
		return side("canary", r.DroppedNaNCanary) + ", " + side("baseline", r.DroppedNaNBaseline)
	case r.NCanary == 0:
		return side("canary", r.DroppedNaNCanary)
	default:
		return side("baseline", r.DroppedNaNBaseline)
	}
}

// shiftSummary renders the shift and its interval relative to the absolute
// baseline median, or in absolute terms when that median is 0 or not finite
// or a bound is infinite, e.g.
// "+18.2% (98% CI +12.0%..+25.1%) vs baseline median 120".
func shiftSummary(r MannWhitneyResult) string {
	ci := fmtNum(r.Confidence*100) + "% CI"
	base := r.BaselineMedian
	allFinite := !math.IsInf(r.Estimate, 0) && !math.IsInf(r.CILow, 0) && !math.IsInf(r.CIHigh, 0)
	if base != 0 && !math.IsInf(base, 0) && !math.IsNaN(base) && allFinite {
		rel := func(v float64) string { return fmt.Sprintf("%+.1f%%", 100*v/math.Abs(base)) }
		return fmt.Sprintf("%s (%s %s..%s) vs baseline median %s", rel(r.Estimate), ci, rel(r.CILow), rel(r.CIHigh), fmtNum(base))
	}
	return fmt.Sprintf("shift %s (%s %s..%s) vs baseline median %s", fmtSigned(r.Estimate), ci, fmtSigned(r.CILow), fmtSigned(r.CIHigh), fmtNum(base))
}

// fmtNum formats with 4 significant digits: 120, 0.92, 1.235e+09.
func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

// fmtSigned is fmtNum with an explicit sign.
func fmtSigned(v float64) string {
	s := fmtNum(v)
	if v >= 0 && !math.IsInf(v, 1) {
		return "+" + s // "+Inf" carries its sign already
	}
	return s
}

// ratioPct renders a mean ratio as a percentage change to 0.1: 1.182 →
// "+18.2%", 0.8 → "-20%"; 1 renders as "+0%", or "-0%" when down is set.
func ratioPct(ratio float64, down bool) string {
	v := math.Round((ratio-1)*1000) / 10
	switch {
	case v == 0 && down:
		return "-0%"
	case math.Abs(v) >= 1e6:
		return fmtSigned(v) + "%"
	case v >= 0:
		return "+" + strconv.FormatFloat(v, 'f', -1, 64) + "%"
	}
	return strconv.FormatFloat(v, 'f', -1, 64) + "%"
}

// oneLine renders an error (possibly from errors.Join) on one line.
func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }
