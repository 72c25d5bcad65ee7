package analysis

import (
	"fmt"
	"math"

	"github.com/augurhq/augur/judges"
)

// proportion compares failure rates (query: failures, total_query: trials)
// with Fisher's exact test (default), the pooled z test or Yates' χ².
func (iv *interval) proportion(r MetricResult, m MetricSpec, refFail, treatFail, refTotal, treatTotal []Series) MetricResult {
	cf, ct := total(treatFail), total(treatTotal)
	bf, bt := total(refFail), total(refTotal)
	r.Canary.Count, r.Canary.Total = num(cf), num(ct)
	r.Baseline.Count, r.Baseline.Total = num(bf), num(bt)
	if ct > 0 {
		r.Canary.N = int(math.Round(ct))
	}
	if bt > 0 {
		r.Baseline.N = int(math.Round(bt))
	}
	if !(ct > 0) || !(bt > 0) {
		r.Classification = judges.NoData
		r.Reason = fmt.Sprintf("no trials (%s %g, baseline %g)", r.Variant, ct, bt)
		if m.MustHaveData {
			r.MustHaveDataBreach = true
			r.Reason += "; the metric must have data: fails the run"
		}
		return r
	}
	// increase() extrapolates: counts are rounded to whole events.
	ci, ti, bi, bti := roundCount(cf), roundCount(ct), roundCount(bf), roundCount(bt)
	res, err := judges.Proportions(min(ci, ti), ti, min(bi, bti), bti)
	if err != nil {
		r.Classification, r.Reason = judges.Error, err.Error()
		return r
	}
	r.CanaryRate, r.BaselineRate = num(res.CanaryRate), num(res.BaselineRate)
	j := m.Judge
	var p float64
	worse := res.Diff > 0
	switch j.Direction {
	case judges.Decrease:
		worse = res.Diff < 0
	case judges.Either:
		worse = res.Diff != 0
	}
	switch {
	case j.Test == "z" && j.Direction == judges.Increase:
		p = res.PValueZGreater
	case j.Test == "z":
		p = res.PValueZ
	case j.Test == "yates":
		p = res.PValueYates
	case j.Direction == judges.Increase:
		p = res.PValueFisherGreater
	default:
		p = res.PValueFisher
	}
	conf := j.Confidence
	r.Confidence = num(conf)
	rates := fmt.Sprintf("rate %s %.4g%% (%d/%d) vs baseline %.4g%% (%d/%d)", r.Variant, 100*res.CanaryRate, ci, ti, 100*res.BaselineRate, bi, bti)
	if math.IsNaN(p) {
		if ci == 0 && bi == 0 {
			r.Classification, r.Reason = judges.Pass, rates+": no failures in either cohort"
			return r
		}
		r.Classification, r.Reason = judges.NoData, rates+": not computable ("+res.Note+")"
		return r
	}
	r.PValue = num(p)
	name := map[string]string{"fisher": "Fisher", "z": "z", "yates": "Yates χ²"}[j.Test]
	if worse && p <= 1-conf {
		r.Classification = judges.High
		if res.Diff < 0 {
			r.Classification = judges.Low
		}
		r.Reason = fmt.Sprintf("%s: worse (%s p = %.3g ≤ %.3g)", rates, name, p, 1-conf)
		return r
	}
	r.Classification = judges.Pass
	r.Reason = fmt.Sprintf("%s: no significant worsening (%s p = %.3g)", rates, name, p)
	return r
}

func total(series []Series) float64 {
	s := 0.0
	for _, x := range Values(series) {
		if !math.IsNaN(x) {
			s += x
		}
	}
	return s
}

func roundCount(x float64) int64 {
	if !(x > 0) {
		return 0
	}
	return int64(math.Round(x))
}
