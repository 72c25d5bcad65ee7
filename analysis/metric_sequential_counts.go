package analysis

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/augurhq/augur/judges"
)

// sequentialAlpha is the level of m's always-valid tests: its share of the
// run's false-fail budget, used whole at every look (a dry-run metric,
// which spends none, is judged at the run's level).
func (s Spec) sequentialAlpha(m MetricSpec) float64 {
	if a := s.MetricAlpha(m); a > 0 {
		return a
	}
	return s.runAlpha()
}

func marginValue(m *Margin) float64 {
	if m == nil {
		return 0
	}
	return m.Value
}

// sequentialCounts feeds the counts new since the last look (failures and
// trials of each cohort) to the variant's count e-process and classifies:
// High (Low for direction decrease) once its e-value against "no worse
// than the margin" reaches 1/α; an early Pass once the e-value against
// "worse by at least the margin" does; otherwise Pass while there is no
// evidence of harm when no margin is set, and Inconclusive until
// non-inferiority is shown when one is (the last interval decides).
func (iv *interval) sequentialCounts(r MetricResult, m MetricSpec, variant string, tw TimeRange, refFail, treatFail, refTotal, treatTotal []Series) MetricResult {
	j := m.Judge
	alpha := iv.spec.sequentialAlpha(m)
	cfg := judges.CountEProcessConfig{Margin: marginValue(j.Margin), Direction: j.Direction}
	track := iv.state.track(variant, m)
	if track == nil {
		track = &SequentialTrack{}
	}
	var e *judges.CountEProcess
	var err error
	if track.Count == nil {
		e, err = judges.NewCountEProcess(cfg)
	} else {
		e, err = judges.RestoreCountEProcess(cfg, *track.Count)
	}
	// The queries count everything since the run's start: the chunk is
	// what is new since the last look. increase() extrapolates, so a count
	// may dip between looks (no chunk is negative) and never more events
	// than trials are fed. A chunk in which a cohort had no trials says
	// nothing of the ratio: skipped.
	if err == nil && track.Decided == "" {
		seen := e.State()
		ct := nonNegative(total(treatTotal) - seen.CanaryTrials)
		bt := nonNegative(total(refTotal) - seen.BaselineTrials)
		cf := min(nonNegative(total(treatFail)-seen.CanaryEvents), ct)
		bf := min(nonNegative(total(refFail)-seen.BaselineEvents), bt)
		if ct > 0 && bt > 0 {
			err = e.Observe(cf, ct, bf, bt)
		}
	}
	if err != nil {
		r.Classification, r.Reason = judges.Error, err.Error()
		return r
	}
	st := e.State()
	track.Count = &st
	if track.Decided == "" {
		track.FedUntil = tw.End.UnixMilli()
	}
	iv.state.setTrack(variant, m.Name, track)

	r.Canary.Count, r.Canary.Total = num(st.CanaryEvents), num(st.CanaryTrials)
	r.Baseline.Count, r.Baseline.Total = num(st.BaselineEvents), num(st.BaselineTrials)
	r.Canary.N, r.Baseline.N = int(math.Round(st.CanaryTrials)), int(math.Round(st.BaselineTrials))
	if !(st.CanaryTrials > 0) || !(st.BaselineTrials > 0) {
		r.Classification = judges.NoData
		r.Reason = fmt.Sprintf("no trials (%s %.0f, baseline %.0f)", variant, st.CanaryTrials, st.BaselineTrials)
		if m.MustHaveData {
			r.MustHaveDataBreach = true
			r.Reason += "; the metric must have data: fails the run"
		}
		return r
	}
	cr, br := st.CanaryEvents/st.CanaryTrials, st.BaselineEvents/st.BaselineTrials
	r.CanaryRate, r.BaselineRate = num(cr), num(br)
	ev, ni := e.EValue(), e.NonInferiorEValue()
	lo, hi := e.RatioCS(alpha)
	r.CILow, r.CIHigh, r.MeanRatio = num(lo), num(hi), num(cr/br)
	r.Confidence, r.PValue = num(1-alpha), num(min(1, 1/ev))
	head := fmt.Sprintf("rate %s %.3g%% (%.0f/%.0f) vs baseline %.3g%% (%.0f/%.0f); rate ratio always-valid %s CS [%.3g, %.3g]; e-value %.3g (stops at %.3g)",
		variant, 100*cr, st.CanaryEvents, st.CanaryTrials, 100*br, st.BaselineEvents, st.BaselineTrials, percent(1-alpha), lo, hi, ev, 1/alpha)
	within := "no worse"
	if j.Margin != nil {
		within = "no worse than the margin " + j.Margin.String()
	}
	switch {
	case track.Decided == DecidedWorse || (track.Decided == "" && ev >= 1/alpha):
		track.Decided = DecidedWorse
		r.Classification = judges.High
		if j.Direction == judges.Decrease {
			r.Classification = judges.Low
		}
		r.Reason = head + ": worse" + strings.TrimPrefix(within, "no worse") + ", stop"
	case track.Decided != "" || ni >= 1/alpha:
		if track.Decided == "" {
			track.Decided = DecidedPass
			if j.Margin == nil {
				track.Decided = DecidedBetter
			}
		}
		r.Classification = judges.Pass
		r.Reason = fmt.Sprintf("%s: %s (e-value %.3g ≥ %.3g), stop", head, within, ni, 1/alpha)
		if j.Margin == nil {
			r.Reason = fmt.Sprintf("%s: better (e-value %.3g ≥ %.3g), stop", head, ni, 1/alpha)
		}
	case j.Margin == nil:
		r.Classification = judges.Pass
		r.Reason = head + ": no evidence of a worsening so far"
	default:
		r.Classification = judges.Inconclusive
		r.Reason = fmt.Sprintf("%s: not yet shown %s (e-value %.3g of %.3g)", head, within, ni, 1/alpha)
		if more, ok := moreTrials(lo, hi, 1+j.Margin.Value, st.CanaryTrials); ok && j.Direction != judges.Decrease {
			r.Reason += fmt.Sprintf("; needs ≈ %s more %s requests", roughCount(more), variant)
			if rate := nonNegative(total(treatTotal)) / tw.End.Sub(tw.Start).Minutes(); rate > 0 {
				r.Reason += fmt.Sprintf(", ≈ %s at the current rate", span(time.Duration(more/rate*float64(time.Minute))))
			}
		} else {
			r.Reason += "; more traffic decides"
		}
	}
	return r
}

// moreTrials estimates how many more canary trials the ratio's confidence
// sequence [lo, hi] needs for its upper bound to fall under bound, its
// width on the log scale shrinking as 1/√trials around its centre; false
// when the centre is not under the bound (more data would not do).
func moreTrials(lo, hi, bound, trials float64) (float64, bool) {
	if !(lo > 0) || math.IsInf(hi, 0) || !(hi > bound) || !(trials > 0) {
		return 0, false
	}
	c, h := (math.Log(hi)+math.Log(lo))/2, (math.Log(hi)-math.Log(lo))/2
	need := math.Log(bound) - c
	if !(need > 0) {
		return 0, false
	}
	return trials * ((h/need)*(h/need) - 1), true
}

// roughCount writes a count with two significant figures: 940, 41k, 1.2M.
func roughCount(x float64) string {
	switch {
	case x >= 1e6:
		return strconv.FormatFloat(x/1e6, 'g', 2, 64) + "M"
	case x >= 1e4:
		return strconv.FormatFloat(math.Round(x/1e3), 'f', 0, 64) + "k"
	case x >= 1e3:
		return strconv.FormatFloat(x/1e3, 'g', 2, 64) + "k"
	default:
		return strconv.FormatFloat(math.Ceil(x), 'f', 0, 64)
	}
}

func nonNegative(x float64) float64 {
	if !(x > 0) {
		return 0
	}
	return x
}
