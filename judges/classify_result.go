package judges

// ClassifyMannWhitneyResult applies ClassifyMannWhitney's decision rule to
// a test that already ran. NaN handling and outlier removal do not apply
// (there are no raw values); a NaN statistic is Error, never Pass.
func ClassifyMannWhitneyResult(mw MannWhitneyResult, cfg MannWhitneyConfig) MetricResult {
	if err := cfg.Validate(); err != nil {
		return MetricResult{Classification: Error, Reason: "Mann–Whitney config: " + oneLine(err)}
	}
	cfg = cfg.withDefaults()
	res := MetricResult{MannWhitney: &mw}
	if name := mw.nanStatistic(); name != "" {
		res.Classification = Error
		res.Reason = name + " is NaN: cannot classify"
		if mw.Note != "" {
			res.Reason += " (" + mw.Note + ")"
		}
		return res
	}
	classifyShift(&res, mw, cfg)
	return res
}

// ClassifyMannWhitneyBinned classifies a two-sided MannWhitneyBinned result
// (histogram buckets), where no Hodges–Lehmann shift exists: the canary is
// High when increases are harmful, the test rejects at 1 − Confidence and
// CLES = P(canary > baseline) + ½·P(tie) is above ½ (Low symmetrically);
// with EffectMeasure cles, CLES must also pass the allowed bound. A NaN
// p-value or CLES is Error, never Pass.
func ClassifyMannWhitneyBinned(mw MannWhitneyResult, cfg MannWhitneyConfig) MetricResult {
	if err := cfg.Validate(); err != nil {
		return MetricResult{Classification: Error, Reason: "Mann–Whitney config: " + oneLine(err)}
	}
	cfg = cfg.withDefaults()
	res := MetricResult{MannWhitney: &mw}
	if mw.PValue != mw.PValue || mw.CLES != mw.CLES {
		res.Classification, res.Reason = Error, "binned Mann–Whitney p-value or CLES is NaN: cannot classify"
		if mw.Note != "" {
			res.Reason += " (" + mw.Note + ")"
		}
		return res
	}
	alpha := 1 - cfg.Confidence
	head := "buckets: CLES " + fmtNum(mw.CLES) + ", p = " + fmtNum(mw.PValue) + ": "
	significant := mw.PValue <= alpha
	higher, lower := significant && mw.CLES > 0.5, significant && mw.CLES < 0.5
	gateUp, gateDown := true, true
	if cfg.EffectMeasure == MeasureCLES {
		gateUp, gateDown = mw.CLES >= cfg.AllowedIncrease, mw.CLES <= cfg.AllowedDecrease
	}
	switch {
	case higher && cfg.Direction != Decrease && gateUp:
		res.Classification, res.Reason = High, head+"canary higher"
		res.Critical = cfg.EffectMeasure == MeasureCLES && cfg.CriticalIncrease > 0 && mw.CLES >= cfg.CriticalIncrease
	case lower && cfg.Direction != Increase && gateDown:
		res.Classification, res.Reason = Low, head+"canary lower"
		res.Critical = cfg.EffectMeasure == MeasureCLES && cfg.CriticalDecrease > 0 && mw.CLES <= cfg.CriticalDecrease
	case higher || lower:
		res.Classification, res.Reason = Pass, head+"a change that is harmless or within the allowed effect"
	default:
		res.Classification, res.Reason = Pass, head+"no significant difference"
	}
	return res
}
