package analysis

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/augurhq/augur/judges"
)

// DefaultSequentialQuantileMargin is the margin beyond which the sequential
// judge on histograms fails when the spec sets none: quantile bands of
// request-level data count every request as independent and do not see the
// variation between pods, so they narrow without end as traffic grows; a
// 5 % margin keeps them from failing a canary for a pod-to-pod difference
// no one would act on. Without a margin of its own the judge passes while
// nothing is shown worse (bands resolved to bucket edges, 19 % apart in
// the default classic layout, may never narrow within 5 %); with one, it
// passes only once every quantile is shown within it.
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
		// the window runs from the run's start: the buckets are cumulative
		c, errC := addBuckets(nil, treat)
		b, errB := addBuckets(nil, ref)
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
	case j.Margin == nil && track.Decided == "":
		// The default margin guards the fail side only: bands resolved to
		// bucket edges may never narrow within 5 %, so without a margin of
		// its own the metric passes while nothing is shown worse, as the
		// other judges do without a margin.
		r.Classification = judges.Pass
		r.Reason = fmt.Sprintf("%s: no quantile shown worse by more than %s so far", head, mg)
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

// addBuckets adds the series' buckets (summed across series, classic or
// native) to acc, which holds each bucket's count by its upper bound. A
// native histogram populates new buckets as the run goes on: they are added.
func addBuckets(acc map[string]float64, series []Series) (map[string]float64, error) {
	h, n, err := bucketHistogram(series)
	if err != nil || n == 0 {
		return acc, err
	}
	out := make(map[string]float64, len(acc)+len(h.Counts))
	for le, c := range acc {
		out[le] = c
	}
	for i, c := range h.Counts {
		b := math.Inf(1)
		if i < len(h.Bounds) {
			b = h.Bounds[i]
		}
		out[strconv.FormatFloat(b, 'g', -1, 64)] += c
	}
	return out, nil
}

// histogramOf builds the histogram of the bucket counts by upper bound.
func histogramOf(acc map[string]float64) (judges.Histogram, float64, error) {
	if len(acc) == 0 {
		return judges.Histogram{}, 0, nil
	}
	bounds := make([]float64, 0, len(acc)+1)
	for le := range acc {
		b, err := strconv.ParseFloat(le, 64)
		if err != nil || math.IsNaN(b) {
			return judges.Histogram{}, 0, fmt.Errorf("le %q is not a number", le)
		}
		bounds = append(bounds, b)
	}
	sort.Float64s(bounds)
	if !math.IsInf(bounds[len(bounds)-1], 1) {
		bounds = append(bounds, math.Inf(1))
	}
	h := judges.Histogram{Bounds: bounds[:len(bounds)-1], Counts: make([]float64, len(bounds))}
	total := 0.0
	for i, b := range bounds {
		c := acc[strconv.FormatFloat(b, 'g', -1, 64)]
		h.Counts[i] = c
		total += c
	}
	return h, total, nil
}

// bucketHistogram pools every series' buckets (classic le series summed by
// le, or native histograms on their common edges) into one histogram and
// returns it with its total count.
func bucketHistogram(series []Series) (judges.Histogram, float64, error) {
	_, groups, err := clusterBuckets(series, "")
	if err != nil || len(groups[""]) == 0 {
		return judges.Histogram{}, 0, err
	}
	hs, err := commonHistograms([][]bucket{groups[""]})
	if err != nil || len(hs) == 0 {
		return judges.Histogram{}, 0, err
	}
	return hs[0], histTotal(hs[0]), nil
}
