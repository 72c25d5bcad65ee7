package analysis

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/augurhq/augur/judges"
)

// RunState is what a run carries from one interval to the next; it is
// stored with every interval so a restarted or taken-over run resumes
// exactly.
type RunState struct {
	Failures          int `json:"failures"`
	Inconclusives     int `json:"inconclusives"`
	ConsecutiveErrors int `json:"consecutive_errors"`
	// Tracks holds the sequential judges' state, by variant then metric.
	Tracks map[string]map[string]*SequentialTrack `json:"tracks,omitempty"`
	// Sequential is the primary metric's track per variant, as states
	// stored before Tracks have it: read once, then moved into Tracks.
	Sequential map[string]*SequentialTrack `json:"sequential,omitempty"`
}

// Track decisions (SequentialTrack.Decided).
const (
	DecidedWorse  = "worse"  // a regression is established: the run fails
	DecidedBetter = "better" // the mean is significantly better (mSPRT)
	DecidedPass   = "pass"   // no worse than the margin, established early
)

// SequentialTrack is one metric's sequential test for one variant.
type SequentialTrack struct {
	// State is the mSPRT's (points and samples).
	State judges.SequentialState `json:"state"`
	// Count is the count e-process's (counts with total_query).
	Count *judges.CountEProcessState `json:"count,omitempty"`
	// Canary and Baseline are the cumulative bucket counts by le seen so
	// far (histograms): the windows' new parts, added up.
	Canary   map[string]float64 `json:"canary,omitempty"`
	Baseline map[string]float64 `json:"baseline,omitempty"`
	// FedUntil is the end (Unix ms) of the data already observed: each
	// interval feeds only what is new.
	FedUntil int64 `json:"fed_until"`
	// Decided is worse, better or pass once the test stopped.
	Decided string `json:"decided,omitempty"`
}

// track returns the variant's track of metric m, nil when there is none
// yet; a primary metric's track stored before Tracks is moved into it.
func (st *RunState) track(variant string, m MetricSpec) *SequentialTrack {
	if t := st.Tracks[variant][m.Name]; t != nil {
		return t
	}
	if t := st.Sequential[variant]; t != nil && m.Primary {
		st.setTrack(variant, m.Name, t)
		delete(st.Sequential, variant)
		if len(st.Sequential) == 0 {
			st.Sequential = nil
		}
		return t
	}
	return nil
}

func (st *RunState) setTrack(variant, metric string, t *SequentialTrack) {
	if st.Tracks == nil {
		st.Tracks = map[string]map[string]*SequentialTrack{}
	}
	if st.Tracks[variant] == nil {
		st.Tracks[variant] = map[string]*SequentialTrack{}
	}
	st.Tracks[variant][metric] = t
}

// sequentialWindows returns the part of the windows not yet observed by
// the variant's sequential test of m. Range queries (points) start just
// after the last observed point; instant queries (counts, histograms)
// read increase(...[${window}]) over (FedUntil, end].
func (iv *interval) sequentialWindows(variant string, m MetricSpec) (tw, rw TimeRange) {
	tw, rw = iv.treatment, iv.reference
	if t := iv.state.track(variant, m); t != nil && t.FedUntil > 0 {
		from := time.UnixMilli(t.FedUntil).UTC()
		if m.Kind != KindCounts && m.Kind != KindHistogram {
			from = from.Add(time.Millisecond)
		}
		if from.After(tw.Start) {
			shift := from.Sub(tw.Start)
			tw.Start, rw.Start = from, rw.Start.Add(shift)
		}
	}
	return tw, rw
}

// sequential feeds the new data to the variant's mSPRT and classifies: High
// or Low once the always-valid p-value is at most α with the mean moving
// the harmful way, Pass otherwise (better, or no difference so far).
func (iv *interval) sequential(r MetricResult, m MetricSpec, variant string, tw TimeRange, canary, baseline []float64) MetricResult {
	j := m.Judge
	track := iv.state.track(variant, m)
	cfg := judges.SequentialConfig{Tau2: j.Tau2}
	var seq *judges.Sequential
	var err error
	if track == nil {
		track = &SequentialTrack{}
		seq, err = judges.NewSequential(cfg)
	} else {
		seq, err = judges.RestoreSequential(cfg, track.State)
	}
	if err == nil && track.Decided == "" {
		err = seq.Observe(canary, baseline)
	}
	if err != nil {
		r.Classification, r.Reason = judges.Error, err.Error()
		return r
	}
	if track.Decided == "" {
		track.FedUntil = tw.End.UnixMilli()
	}
	track.State = seq.State()
	iv.state.setTrack(variant, m.Name, track)

	p, est := seq.PValue(), seq.Estimate()
	lo, hi := seq.CI(j.Alpha)
	r.PValue, r.Shift, r.CILow, r.CIHigh = num(p), num(est), num(lo), num(hi)
	r.Confidence = num(1 - j.Alpha)
	st := track.State
	if st.Canary.N < 2 || st.Baseline.N < 2 {
		r.Classification = judges.NoData
		r.Reason = fmt.Sprintf("too little data for the sequential test (%s %g, control %g observations)", variant, st.Canary.N, st.Baseline.N)
		return r
	}
	harmful := (j.Direction == judges.Increase && est > 0) || (j.Direction == judges.Decrease && est < 0) || j.Direction == judges.Either
	head := fmt.Sprintf("mean difference %.4g, always-valid %.0f%% CI [%.4g, %.4g], p = %.3g", est, 100*(1-j.Alpha), lo, hi, p)
	switch {
	case seq.Stop(j.Alpha) && harmful:
		track.Decided = DecidedWorse
		r.Classification = judges.High
		if est < 0 {
			r.Classification = judges.Low
		}
		r.Reason = head + ": significantly worse, stop"
	case seq.Stop(j.Alpha):
		track.Decided = DecidedBetter
		r.Classification = judges.Pass
		r.Reason = head + ": significantly better, stop"
	default:
		r.Classification = judges.Pass
		r.Reason = head + ": no significant difference yet"
	}
	return r
}

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
	// increase() extrapolates: never more events than trials. A chunk in
	// which a cohort had no trials says nothing of the ratio: skipped.
	ct, bt := nonNegative(total(treatTotal)), nonNegative(total(refTotal))
	if err == nil && track.Decided == "" && ct > 0 && bt > 0 {
		err = e.Observe(min(nonNegative(total(treatFail)), ct), ct, min(nonNegative(total(refFail)), bt), bt)
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

// DefaultSequentialQuantileMargin is the margin of the sequential judge on
// histograms when the spec sets none: quantile bands of request-level data
// count every request as independent and do not see the variation between
// pods, so they narrow without end as traffic grows; a 5 % margin keeps
// them from failing a canary for a pod-to-pod difference no one would act
// on, and lets a good canary pass.
const DefaultSequentialQuantileMargin = 0.05

// defaultQuantiles are judged when judge.quantiles is not set.
var defaultQuantiles = []float64{0.5, 0.9, 0.99}

// sequentialQuantiles adds the buckets new since the last look to the
// variant's cumulative histograms (pooled across series, as sum by (le))
// and compares time-uniform confidence bands of their quantiles: High once
// a quantile's ratio is above 1 + margin for sure, an early Pass once every
// quantile's is below it, otherwise Inconclusive.
func (iv *interval) sequentialQuantiles(r MetricResult, m MetricSpec, variant string, tw TimeRange, ref, treat []Series) MetricResult {
	j := m.Judge
	alpha := iv.spec.sequentialAlpha(m)
	margin := DefaultSequentialQuantileMargin
	if j.Margin != nil {
		margin = j.Margin.Value
	}
	qs := j.Quantiles
	if len(qs) == 0 {
		qs = defaultQuantiles
	}
	track := iv.state.track(variant, m)
	if track == nil {
		track = &SequentialTrack{}
	}
	if track.Decided == "" {
		c, errC := addBuckets(track.Canary, treat)
		b, errB := addBuckets(track.Baseline, ref)
		switch {
		case errC != nil:
			r.Classification, r.Reason = judges.Error, variant+" buckets: "+errC.Error()
			return r
		case errB != nil:
			r.Classification, r.Reason = judges.Error, "baseline buckets: "+errB.Error()
			return r
		}
		track.Canary, track.Baseline, track.FedUntil = c, b, tw.End.UnixMilli()
	}
	iv.state.setTrack(variant, m.Name, track)
	hc, nc, errC := histogramOf(track.Canary)
	hb, nb, errB := histogramOf(track.Baseline)
	r.Canary.N, r.Baseline.N = int(math.Round(nc)), int(math.Round(nb))
	switch {
	case errC != nil || errB != nil:
		r.Classification, r.Reason = judges.Error, fmt.Sprint("buckets: ", errC, errB)
		return r
	case !(nc > 0) || !(nb > 0):
		r.Classification = judges.NoData
		r.Reason = fmt.Sprintf("no observations in the buckets (%s %.0f, baseline %.0f)", variant, nc, nb)
		if m.MustHaveData {
			r.MustHaveDataBreach = true
			r.Reason += "; the metric must have data: fails the run"
		}
		return r
	}
	cmp, err := judges.CompareQuantiles(hc, hb, qs, alpha, margin)
	if err != nil {
		r.Classification, r.Reason = judges.Error, err.Error()
		return r
	}
	var parts, worse, open []string
	for _, q := range cmp {
		name := "p" + strconv.FormatFloat(100*q.Q, 'g', 4, 64)
		parts = append(parts, fmt.Sprintf("%s ×[%.3g, %.3g]", name, q.RatioLo, q.RatioHi))
		switch {
		case q.Worse:
			worse = append(worse, name)
		case !q.NonInferior:
			open = append(open, name)
		}
	}
	last := cmp[len(cmp)-1]
	r.CILow, r.CIHigh, r.Confidence = num(last.RatioLo), num(last.RatioHi), num(1-alpha)
	head := fmt.Sprintf("quantile ratios canary/baseline, always-valid %s bands over %.0f and %.0f requests: %s", percent(1-alpha), nc, nb, strings.Join(parts, ", "))
	mg := (&Margin{Value: margin}).String()
	switch {
	case track.Decided == DecidedWorse || (track.Decided == "" && len(worse) > 0):
		track.Decided = DecidedWorse
		r.Classification = judges.High
		r.Reason = fmt.Sprintf("%s: %s worse by more than the margin %s, stop", head, strings.Join(worse, ", "), mg)
	case track.Decided != "" || len(open) == 0:
		track.Decided = DecidedPass
		r.Classification = judges.Pass
		r.Reason = fmt.Sprintf("%s: every quantile no worse than the margin %s, stop", head, mg)
	default:
		r.Classification = judges.Inconclusive
		r.Reason = fmt.Sprintf("%s: %s not yet shown within the margin %s; more traffic decides", head, strings.Join(open, ", "), mg)
	}
	return r
}

// addBuckets adds the series' buckets (cumulative by le, summed across
// series) to acc; the layout must not change between looks.
func addBuckets(acc map[string]float64, series []Series) (map[string]float64, error) {
	h, n, err := bucketHistogram(series)
	if err != nil || n == 0 {
		return acc, err
	}
	bounds := append(append([]float64(nil), h.Bounds...), math.Inf(1))
	out := make(map[string]float64, len(bounds))
	cum := 0.0
	for i, b := range bounds {
		cum += h.Counts[i]
		out[strconv.FormatFloat(b, 'g', -1, 64)] = cum
	}
	if len(acc) > 0 {
		if len(acc) != len(out) {
			return acc, fmt.Errorf("the bucket layout changed during the run (%d buckets, then %d)", len(acc), len(out))
		}
		for le, c := range acc {
			if _, ok := out[le]; !ok {
				return acc, fmt.Errorf("the bucket layout changed during the run (le %s is gone)", le)
			}
			out[le] += c
		}
	}
	return out, nil
}

// histogramOf builds the histogram of cumulative counts by le.
func histogramOf(cum map[string]float64) (judges.Histogram, float64, error) {
	if len(cum) == 0 {
		return judges.Histogram{}, 0, nil
	}
	bounds := make([]float64, 0, len(cum))
	for le := range cum {
		b, err := strconv.ParseFloat(le, 64)
		if err != nil {
			return judges.Histogram{}, 0, fmt.Errorf("le %q is not a number", le)
		}
		bounds = append(bounds, b)
	}
	sort.Float64s(bounds)
	counts := make([]float64, len(bounds))
	for i, b := range bounds {
		counts[i] = cum[strconv.FormatFloat(b, 'g', -1, 64)]
	}
	h, err := judges.HistogramFromCumulative(bounds, counts)
	return h, counts[len(counts)-1], err
}

// validateSequential checks what the sequential judge needs of each kind:
// counts a total_query and a direction of increase or decrease; histograms
// the direction increase; a relative margin (counts, histograms), and none
// on points and samples (the mSPRT tests any difference of means).
func (s Spec) validateSequential(add func(sub, format string, a ...any), m MetricSpec) {
	j := m.Judge
	switch m.Kind {
	case KindCounts:
		if m.TotalQuery == "" {
			add("total_query", "the sequential judge on counts needs total_query (the trials; query counts the events)")
		}
		if j.Direction == judges.Either {
			add("judge.direction", "the sequential judge on counts tests one direction: increase or decrease, got %q", j.Direction)
		}
		if j.Direction == judges.Decrease && j.Margin != nil && j.Margin.Value >= 1 {
			add("judge.margin", "a decrease margin must be under 100%%, got %s", j.Margin)
		}
	case KindHistogram:
		if j.Direction != judges.Increase {
			add("judge.direction", "the sequential judge on histograms judges an increase of the quantiles: direction must be increase, got %q", j.Direction)
		}
		for k, q := range j.Quantiles {
			if !(q > 0 && q < 1) {
				add(fmt.Sprintf("judge.quantiles[%d]", k), "must be within (0, 1), got %g", q)
			}
		}
	default:
		if j.Margin != nil {
			add("judge.margin", "the sequential judge on %s data (the mSPRT) takes no margin", m.Kind)
		}
	}
	if j.Margin != nil && j.Margin.Absolute {
		add("judge.margin", "the sequential judge takes a relative margin such as 5%%, got %s", j.Margin)
	}
}
