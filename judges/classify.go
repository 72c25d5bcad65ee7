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
	// Inconclusive: there are data, but not enough evidence either way (a
	// confidence bound that straddles the metric's margin, an interval
	// level the sample cannot reach, too few clusters). It never counts as
	// a pass: the run is inconclusive unless it fails anyway.
	Inconclusive Classification = "inconclusive"
)

// Defaults applied by MannWhitneyConfig for zero fields.
const (
	DefaultConfidence      = 0.98
	DefaultAllowedIncrease = 1.0
	DefaultAllowedDecrease = 1.0
	// DefaultAllowedCLES is the default AllowedIncrease and AllowedDecrease
	// with EffectMeasure cles: 0.5 is "no effect", so the gate is open.
	DefaultAllowedCLES = 0.5
)

// EffectMeasure is the effect size the allowed and critical bounds of the
// Mann–Whitney judge apply to (Kayenta's effectSize.measure).
type EffectMeasure string

// Effect measures.
const (
	// MeasureMeanRatio is canary mean / baseline mean (the default).
	MeasureMeanRatio EffectMeasure = "meanRatio"
	// MeasureCLES is the common-language effect size U/(nm): the
	// probability that a random canary value exceeds a random baseline
	// value, ties counting one half; 0.5 means no effect.
	MeasureCLES EffectMeasure = "cles"
)

// MannWhitneyConfig configures ClassifyMannWhitney. Zero values take the
// defaults: Direction Either, Confidence 0.98, NaNStrategy remove, Outliers
// keep (OutlierFactor 3), EffectMeasure meanRatio, AllowedIncrease and
// AllowedDecrease 1.0 (0.5 with cles), no critical bounds, MustHaveData off.
type MannWhitneyConfig struct {
	Direction Direction
	// Confidence of the interval used to classify, in (0, 1).
	Confidence float64

	// NaNStrategy is remove (drop NaN observations) or replace (NaN → 0),
	// applied to both cohorts before the test.
	NaNStrategy NaNStrategy
	// Outliers is keep or remove. With remove, each cohort loses the values
	// outside its fences min(P1, Q1 − k·IQR) and max(P99, Q3 + k·IQR), with
	// k = OutlierFactor and type-7 percentiles, after the NaN strategy and
	// before the test. MetricResult.Removed counts them.
	Outliers OutlierStrategy
	// OutlierFactor is k above, > 0 and finite (default 3).
	OutlierFactor float64

	// EffectMeasure selects the effect size that the four bounds below
	// apply to: meanRatio (default) or cles.
	//
	// With meanRatio the bounds are ratios of the means, > 0: a significant
	// increase is High only if mean(canary)/mean(baseline) ≥ AllowedIncrease
	// (1.1 = at least +10%), a significant decrease is Low only if the ratio
	// ≤ AllowedDecrease (0.9 = at least −10%); the defaults 1.0 let every
	// significant change through.
	//
	// With cles the bounds are CLES values: AllowedIncrease in [0.5, 1]
	// (High needs CLES ≥ it), AllowedDecrease in (0, 0.5] (Low needs
	// CLES ≤ it), CriticalIncrease in [AllowedIncrease, 1] and
	// CriticalDecrease in (0, AllowedDecrease]. The defaults 0.5 let every
	// significant change through. A zero field takes its default, so a CLES
	// bound of exactly 0 cannot be asked for (any tiny positive value
	// behaves the same on real samples).
	EffectMeasure EffectMeasure
	// AllowedIncrease is the effect size a significant increase must reach
	// to count as High.
	AllowedIncrease float64
	// AllowedDecrease is the effect size at or below which a significant
	// decrease counts as Low.
	AllowedDecrease float64
	// CriticalIncrease and CriticalDecrease (0 = unset) are effect sizes
	// beyond which a High or Low sets MetricResult.Critical.
	CriticalIncrease, CriticalDecrease float64

	// MustHaveData makes an empty cohort a failure of the metric: the
	// classification stays NoData but MetricResult.MustHaveDataBreach is set,
	// and the scorer fails the run on it.
	MustHaveData bool
}

// withDefaults fills the zero fields.
func (c MannWhitneyConfig) withDefaults() MannWhitneyConfig {
	if c.Direction == "" {
		c.Direction = Either
	}
	if c.Confidence == 0 {
		c.Confidence = DefaultConfidence
	}
	if c.NaNStrategy == "" {
		c.NaNStrategy = NaNRemove
	}
	if c.Outliers == "" {
		c.Outliers = OutliersKeep
	}
	if c.OutlierFactor == 0 {
		c.OutlierFactor = DefaultOutlierFactor
	}
	if c.EffectMeasure == "" {
		c.EffectMeasure = MeasureMeanRatio
	}
	inc, dec := DefaultAllowedIncrease, DefaultAllowedDecrease
	if c.EffectMeasure == MeasureCLES {
		inc, dec = DefaultAllowedCLES, DefaultAllowedCLES
	}
	if c.AllowedIncrease == 0 {
		c.AllowedIncrease = inc
	}
	if c.AllowedDecrease == 0 {
		c.AllowedDecrease = dec
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
	switch c.NaNStrategy {
	case NaNRemove, NaNReplace:
	default:
		errs = append(errs, fmt.Errorf("invalid NaNStrategy %q: want remove or replace", c.NaNStrategy))
	}
	switch c.Outliers {
	case OutliersKeep, OutliersRemove:
	default:
		errs = append(errs, fmt.Errorf("invalid Outliers %q: want keep or remove", c.Outliers))
	}
	if !(c.OutlierFactor > 0) || math.IsInf(c.OutlierFactor, 0) {
		errs = append(errs, fmt.Errorf("invalid OutlierFactor %v: must be > 0 and finite", c.OutlierFactor))
	}
	switch c.EffectMeasure {
	case MeasureMeanRatio:
		errs = append(errs, c.validateMeanRatioBounds()...)
	case MeasureCLES:
		errs = append(errs, c.validateCLESBounds()...)
	default:
		errs = append(errs, fmt.Errorf("invalid EffectMeasure %q: want meanRatio or cles", c.EffectMeasure))
	}
	return errors.Join(errs...)
}

func (c MannWhitneyConfig) validateMeanRatioBounds() []error {
	var errs []error
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
	return errs
}

func (c MannWhitneyConfig) validateCLESBounds() []error {
	var errs []error
	// in reports whether v lies in [lo, hi] (lo excluded when open).
	in := func(name string, v, lo, hi float64, open bool, interval string) {
		if v > hi || v < lo || (open && v == lo) || math.IsNaN(v) {
			errs = append(errs, fmt.Errorf("invalid %s %v: CLES bound outside %s", name, v, interval))
		}
	}
	in("AllowedIncrease", c.AllowedIncrease, 0.5, 1, false, "[0.5, 1]")
	in("AllowedDecrease", c.AllowedDecrease, 0, 0.5, true, "(0, 0.5]")
	if c.CriticalIncrease != 0 {
		in("CriticalIncrease", c.CriticalIncrease, 0.5, 1, false, "[0.5, 1]")
		if c.CriticalIncrease < c.AllowedIncrease {
			errs = append(errs, fmt.Errorf("invalid CriticalIncrease %v: below AllowedIncrease %v", c.CriticalIncrease, c.AllowedIncrease))
		}
	}
	if c.CriticalDecrease != 0 {
		in("CriticalDecrease", c.CriticalDecrease, 0, 0.5, true, "(0, 0.5]")
		if c.CriticalDecrease > c.AllowedDecrease {
			errs = append(errs, fmt.Errorf("invalid CriticalDecrease %v: above AllowedDecrease %v", c.CriticalDecrease, c.AllowedDecrease))
		}
	}
	return errs
}

// MetricResult is the verdict on one metric with the statistics behind it.
type MetricResult struct {
	Classification Classification
	// Critical is set when a critical bound was breached.
	Critical bool
	// MustHaveDataBreach is set when a cohort is empty although the metric
	// must have data; Classification is NoData. The scorer fails the run.
	MustHaveDataBreach bool
	// Reason is one line for humans.
	Reason string
	// Removed counts the observations dropped before judging (NaN,
	// outliers); Replaced the NaN observations replaced by 0.
	Removed     Removed
	Replaced    Replaced
	MannWhitney *MannWhitneyResult
	Threshold   *ThresholdResult
}

// ClassifyMannWhitney compares canary with baseline by Kayenta's rule with
// its defects fixed. First NaN observations are removed or replaced by 0 and,
// if configured, outliers are removed from each cohort (see
// MannWhitneyConfig). Then, with the confidence interval [lo, hi] of the
// Hodges–Lehmann shift e and tolerance b = ¼·|e|, and the effect size of
// cfg.EffectMeasure:
//
//   - High if increases are harmful, lo > b and the effect ≥ AllowedIncrease;
//   - Low if decreases are harmful, hi < −b and the effect ≤ AllowedDecrease;
//   - Pass otherwise, including a significant change in the harmless direction.
//
// When the mean ratio is undefined (or the baseline mean is negative) the
// mean-ratio gate is skipped and the reason says so; a critical bound then
// counts as breached by any High/Low, since the size cannot be bounded. CLES
// is always defined once the test ran.
// An empty (or all-NaN, with remove) cohort is NoData, with
// MustHaveDataBreach when cfg.MustHaveData; a NaN statistic or an invalid
// configuration is Error, never Pass. The reason ends with the counts of
// removed or replaced observations when there are any.
func ClassifyMannWhitney(canary, baseline []float64, cfg MannWhitneyConfig) MetricResult {
	if err := cfg.Validate(); err != nil {
		return MetricResult{Classification: Error, Reason: "Mann–Whitney config: " + oneLine(err)}
	}
	cfg = cfg.withDefaults()
	var res MetricResult
	x, nanX, outX := cleanCohort(canary, cfg.NaNStrategy, cfg.Outliers, cfg.OutlierFactor)
	y, nanY, outY := cleanCohort(baseline, cfg.NaNStrategy, cfg.Outliers, cfg.OutlierFactor)
	res.Removed.OutliersCanary, res.Removed.OutliersBaseline = outX, outY
	if cfg.NaNStrategy == NaNReplace {
		res.Replaced = Replaced{NaNCanary: nanX, NaNBaseline: nanY}
	} else {
		res.Removed.NaNCanary, res.Removed.NaNBaseline = nanX, nanY
	}
	mw, err := MannWhitney(x, y, cfg.Confidence)
	mw.DroppedNaNCanary, mw.DroppedNaNBaseline = res.Removed.NaNCanary, res.Removed.NaNBaseline
	// Statistics are attached only when the test ran: a result without
	// data carries none, rather than zeros that read like measurements.
	if errors.Is(err, ErrNoData) {
		res.Classification, res.Reason = NoData, noDataReason(mw)
		if cfg.MustHaveData {
			res.MustHaveDataBreach = true
			res.Reason += "; the metric must have data: fails the run"
		}
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
	if mw.levelNotAchieved() {
		// Never classify on an interval narrower than the level asked for.
		res.Classification = Inconclusive
		res.Reason = fmt.Sprintf("the %s%% interval is not achievable with %d canary and %d baseline values (at most %s%%; p = %s): not classified",
			fmtNum(100*cfg.Confidence), mw.NCanary, mw.NBaseline, fmtNum(100*mw.AchievedConfidence), fmtNum(mw.PValue))
	} else {
		classifyShift(&res, mw, cfg)
	}
	if note := res.cleaningNote(); note != "" {
		res.Reason += "; " + note
	}
	return res
}

// classifyShift applies the decision rule to a valid test result.
func classifyShift(res *MetricResult, mw MannWhitneyResult, cfg MannWhitneyConfig) {
	e, lo, hi := mw.Estimate, mw.CILow, mw.CIHigh
	b := 0.25 * math.Abs(e)
	higher := lo > b || lo == math.Inf(1)
	lower := hi < -b || hi == math.Inf(-1)
	head := shiftSummary(mw) + ": "

	// effect is the configured effect size; show renders it ("mean +18%",
	// "CLES 0.83") and bound renders a bound of it.
	effect, effectOK, skipNote := mw.MeanRatio, !math.IsNaN(mw.MeanRatio) && mw.BaselineMean >= 0, mw.MeanRatioNote
	show := func(v float64, down bool) string { return "mean " + ratioPct(v, down) }
	bound := ratioPct
	if cfg.EffectMeasure == MeasureCLES {
		effect, effectOK = mw.CLES, true
		show = func(v float64, _ bool) string { return "CLES " + fmtNum(v) }
		bound = func(v float64, _ bool) string { return fmtNum(v) }
	}

	switch {
	case higher && cfg.Direction == Decrease:
		res.Classification, res.Reason = Pass, head+"canary higher (harmless)"
	case lower && cfg.Direction == Increase:
		res.Classification, res.Reason = Pass, head+"canary lower (harmless)"
	case higher && !effectOK:
		res.Classification = High
		res.Reason = head + "canary higher; effect-size gate skipped (" + skipNote + ")"
		res.Critical = cfg.CriticalIncrease != 0
	case higher && effect >= cfg.AllowedIncrease:
		res.Classification = High
		res.Reason = head + "canary higher, " + show(effect, false) + " beyond allowed " + bound(cfg.AllowedIncrease, false)
		res.Critical = cfg.CriticalIncrease != 0 && effect >= cfg.CriticalIncrease
	case higher:
		res.Classification = Pass
		res.Reason = head + "canary higher but " + show(effect, false) + " within allowed " + bound(cfg.AllowedIncrease, false)
	case lower && !effectOK:
		res.Classification = Low
		res.Reason = head + "canary lower; effect-size gate skipped (" + skipNote + ")"
		res.Critical = cfg.CriticalDecrease != 0
	case lower && effect <= cfg.AllowedDecrease:
		res.Classification = Low
		res.Reason = head + "canary lower, " + show(effect, true) + " beyond allowed " + bound(cfg.AllowedDecrease, true)
		res.Critical = cfg.CriticalDecrease != 0 && effect <= cfg.CriticalDecrease
	case lower:
		res.Classification = Pass
		res.Reason = head + "canary lower but " + show(effect, true) + " within allowed " + bound(cfg.AllowedDecrease, true)
	default:
		res.Classification, res.Reason = Pass, head+"no significant difference"
	}
	if res.Critical {
		if effectOK {
			limit := cfg.CriticalIncrease
			if res.Classification == Low {
				limit = cfg.CriticalDecrease
			}
			res.Reason += "; critical: beyond " + strings.TrimPrefix(show(limit, res.Classification == Low), "mean ")
		} else {
			res.Reason += "; critical bound counts as breached"
		}
	}
}

// cleaningNote summarises Removed and Replaced, or "" when all are 0, e.g.
// "NaN removed: canary 2; outliers removed: canary 3, baseline 1".
func (r MetricResult) cleaningNote() string {
	pair := func(what string, c, b int) string {
		switch {
		case c > 0 && b > 0:
			return fmt.Sprintf("%s: canary %d, baseline %d", what, c, b)
		case c > 0:
			return fmt.Sprintf("%s: canary %d", what, c)
		case b > 0:
			return fmt.Sprintf("%s: baseline %d", what, b)
		}
		return ""
	}
	var parts []string
	for _, p := range []string{
		pair("NaN removed", r.Removed.NaNCanary, r.Removed.NaNBaseline),
		pair("NaN replaced by 0", r.Replaced.NaNCanary, r.Replaced.NaNBaseline),
		pair("outliers removed", r.Removed.OutliersCanary, r.Removed.OutliersBaseline),
	} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "; ")
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
	ci := FormatConfidence(r.Confidence) + " CI"
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

// FormatConfidence writes a confidence level as a percentage with the
// decimals it needs to differ from 100 %: 98%, 99.5%, 99.996%.
func FormatConfidence(c float64) string {
	d := 1
	if m := 100 * (1 - c); m > 0 && m < 1 {
		d = int(math.Ceil(-math.Log10(m)))
	}
	s := strconv.FormatFloat(100*c, 'f', d, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s + "%"
}
