package analysis

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/augurhq/augur/judges"
)

// Coverage and staleness: a cohort's data must cover the window it is
// judged over, or the metric is never a pass.
//
//   - Stale repeats. A range query repeats a series' last sample at every
//     step for Prometheus' lookback (5 minutes) after the series stops. In
//     points data, a run of identical consecutive values that is followed
//     by a gap and spans at most the lookback is that repetition: only its
//     first point counts, as data and as coverage; a longer run holds real
//     samples (a constant series), and only its last lookback goes. A run
//     that reaches the window's end is cut after the cohort's last sample
//     when the source tells sample times (PromQL: max(timestamp(s)) for the
//     query's series selectors s), and kept otherwise: a constant value
//     cannot be told from its repetition by the values alone (a rate of
//     zero errors repeats legitimately).
//   - Fresh times. Points: the times of the points left; samples (raw
//     requests): their times. Counts and histograms are instant queries
//     with no time axis, so their coverage comes from a companion range
//     query over the same window: on PromQL sources max(timestamp(s)) for
//     every series selector s of the query (of total_query for counts that
//     have one: the requests exist before any error does), whose values are
//     the times of the samples themselves, so the lookback cannot pass for
//     data; on other sources (Loki), the query itself as a range query
//     with ${window} set to the coverage step.
//   - Coverage. A stretch between consecutive fresh times (or from the
//     window's start to the first, or from the last to its end) longer than
//     the tolerance max(2 steps, 2 × the cohort's median interval) is a
//     hole; coverage is the share of the window outside holes, and must be
//     at least min_coverage (default 0.8).
//   - Stopping early. A cohort whose last fresh time is more than
//     max(2 steps, 5 % of the window, the tolerance) before the window's
//     end while the other cohort's data go on past it has stopped,
//     whatever its coverage.
//
// A metric with a gap is Inconclusive, the reason naming the gap, unless
// it failed on the data there are (a canary that fails and then crashes
// still fails). A cohort without any data is left to the judges (NoData).

// DefaultMinCoverage is Spec.MinCoverage's default.
const DefaultMinCoverage = 0.8

// lookbackDelta is Prometheus' default lookback: how long a range query
// repeats a series' last sample.
const lookbackDelta = 5 * time.Minute

// maxCoveragePoints bounds the points per series of a coverage query: the
// step is coarsened past it.
const maxCoveragePoints = 1000

// withCoverageGap applies a coverage gap to a judged metric: what would
// have passed (or was inconclusive) is Inconclusive, naming the gap; a
// failure found in the data there are stands, the gap added to its reason
// (a canary that fails and then stops reporting still fails), and so does
// NoData (a cohort without data).
func withCoverageGap(r MetricResult, gap string) MetricResult {
	switch {
	case gap == "" || r.Classification == judges.NoData:
	case r.Classification == judges.High || r.Classification == judges.Low || r.CriticalBreach || r.MustHaveDataBreach || r.Classification == judges.Error:
		r.Reason += "; " + gap
	default:
		r.Reason = gap + ": not judged (on the data there are: " + r.Reason + ")"
		r.Classification = judges.Inconclusive
	}
	return r
}

// staleFree returns series without their stale repeats. fresh is the
// Unix ms of the cohort's last sample (0: not known).
func staleFree(series []Series, step time.Duration, end time.Time, fresh int64) []Series {
	out := make([]Series, len(series))
	for k, s := range series {
		out[k] = Series{Labels: s.Labels, Points: dropStaleRepeats(s.Points, step.Milliseconds(), end.UnixMilli(), fresh)}
	}
	return out
}

// dropStaleRepeats drops Prometheus' lookback repetitions from one series'
// points (sorted by time, step ms apart where there are no gaps). fresh is
// the time of the cohort's last sample (0: not known).
func dropStaleRepeats(pts []Point, step, end, fresh int64) []Point {
	lookback := lookbackDelta.Milliseconds()
	if step > lookback {
		return pts // no step can show the sample of the step before it
	}
	out := make([]Point, 0, len(pts))
	for i := 0; i < len(pts); {
		j := i
		for j+1 < len(pts) && sameValue(pts[j+1].V, pts[i].V) && pts[j+1].T-pts[j].T <= step {
			j++
		}
		last := j == len(pts)-1
		gapAfter := (last && end-pts[j].T > step) || (!last && pts[j+1].T-pts[j].T > step)
		run := pts[i : j+1]
		switch {
		case j == i || (!gapAfter && !last):
			out = append(out, run...)
		case gapAfter && pts[j].T-pts[i].T <= lookback:
			out = append(out, pts[i])
		case gapAfter:
			out = appendUntil(out, run, pts[j].T-lookback)
		case fresh > 0: // to the window's end: stale past the last sample
			out = appendUntil(out, run, fresh+step-1) // a point shows the samples of the step before it
		default: // to the window's end, with no sample times to tell
			out = append(out, run...)
		}
		i = j + 1
	}
	return out
}

// appendUntil appends run's first point and those at or before until.
func appendUntil(out, run []Point, until int64) []Point {
	for k, p := range run {
		if k == 0 || p.T <= until {
			out = append(out, p)
		}
	}
	return out
}

func sameValue(a, b float64) bool {
	return a == b || (math.IsNaN(a) && math.IsNaN(b))
}

// cover is one cohort's coverage of a window.
type cover struct {
	share       float64
	first, last int64 // Unix ms of the first and last fresh data; 0: none
	tolerance   time.Duration
	// hole is the longest stretch without data.
	holeFrom, holeTo int64
}

// measureCoverage measures fresh times (Unix ms, any order) over w at step.
func measureCoverage(times []int64, w TimeRange, step time.Duration) cover {
	s, e := w.Start.UnixMilli(), w.End.UnixMilli()
	ts := make([]int64, 0, len(times))
	for _, t := range times {
		if t >= s && t <= e {
			ts = append(ts, t)
		}
	}
	slices.Sort(ts)
	ts = slices.Compact(ts)
	c := cover{tolerance: 2 * step}
	if len(ts) == 0 {
		c.holeFrom, c.holeTo = s, e
		return c
	}
	c.first, c.last = ts[0], ts[len(ts)-1]
	if len(ts) > 2 {
		d := make([]int64, len(ts)-1)
		for i := range d {
			d[i] = ts[i+1] - ts[i]
		}
		slices.Sort(d)
		c.tolerance = max(c.tolerance, 2*time.Duration(d[len(d)/2])*time.Millisecond)
	}
	tol := c.tolerance.Milliseconds()
	holes := int64(0)
	prev := s
	for _, t := range append(ts, e) {
		if g := t - prev; g > tol {
			holes += g
			if g > c.holeTo-c.holeFrom {
				c.holeFrom, c.holeTo = prev, t
			}
		}
		prev = t
	}
	c.share = 1
	if e > s {
		c.share = 1 - float64(holes)/float64(e-s)
	}
	return c
}

// coverageGap returns why a cohort's coverage is not enough, or "".
// other is the other cohort's coverage (nil: none, as in slo).
func coverageGap(name string, c cover, other *cover, w TimeRange, step time.Duration, minCoverage float64) string {
	e := w.End.UnixMilli()
	stopAfter := max(2*step, w.End.Sub(w.Start)/20, c.tolerance).Milliseconds()
	if c.last > 0 && e-c.last > stopAfter && other != nil && other.last-c.last > stopAfter {
		return fmt.Sprintf("%s data stop at %s, %s before the window ends while the other cohort's go on", name,
			clock(c.last), span(time.Duration(e-c.last)*time.Millisecond))
	}
	if c.share < minCoverage {
		r := fmt.Sprintf("%s data cover %s of the window, under min_coverage %s", name, percent(c.share), percent(minCoverage))
		if c.first == 0 {
			return r + ": no fresh data in it"
		}
		return r + fmt.Sprintf(": no data %s–%s (%s)", clock(c.holeFrom), clock(c.holeTo), span(time.Duration(c.holeTo-c.holeFrom)*time.Millisecond))
	}
	return ""
}

func clock(ms int64) string {
	t := time.UnixMilli(ms).UTC()
	if t.Second() != 0 {
		return t.Format("15:04:05")
	}
	return t.Format("15:04")
}

func span(d time.Duration) string {
	switch {
	case d >= 2*time.Hour:
		return fmt.Sprintf("%.1f h", d.Hours())
	case d >= time.Minute:
		return fmt.Sprintf("%.0f min", d.Minutes())
	default:
		return fmt.Sprintf("%.0f s", d.Seconds())
	}
}

func percent(x float64) string { return fmt.Sprintf("%.0f%%", 100*x) }

// metricStep is the resolution of m's range queries.
func (s Spec) metricStep(m MetricSpec) time.Duration {
	if m.Step > 0 {
		return m.Step.Std()
	}
	return s.Step.Std()
}

// minCoverage is the spec's min_coverage, defaulted.
func (s Spec) minCoverage() float64 {
	if s.MinCoverage == 0 {
		return DefaultMinCoverage
	}
	return s.MinCoverage
}

// coverage is the engine's coverage hook. Points data lose their stale
// repeats (the returned series are what is judged); then each cohort's
// coverage of its window is measured. gap is non-empty when the metric
// must not pass (withCoverageGap); err is a coverage query that failed. tw and rw are
// the fetched windows; instant kinds are measured over the interval's whole
// windows (a sequential judge fetches only the new part).
func (iv *interval) coverage(ctx context.Context, m MetricSpec, c Comparison, ref, treat []Series, tw, rw TimeRange) (refOut, treatOut []Series, gap string, err error) {
	step := iv.spec.metricStep(m)
	var ct, cr []int64
	switch m.Kind {
	case KindPoints:
		ft, fr := iv.lastSample(ctx, m, c.Treatment, tw, step), int64(0)
		if c.Reference != nil {
			fr = iv.lastSample(ctx, m, *c.Reference, rw, step)
		}
		treat, ref = staleFree(treat, step, tw.End, ft), staleFree(ref, step, rw.End, fr)
		if countPoints(treat) == 0 || (c.Reference != nil && countPoints(ref) == 0) {
			return ref, treat, "", nil
		}
		ct, cr = pointTimes(treat), pointTimes(ref)
	case KindCounts, KindHistogram:
		tw, rw = iv.treatment, iv.reference
		tmpl := m.Query
		if m.TotalQuery != "" {
			tmpl = m.TotalQuery
		}
		step = coverageStep(tw, step)
		if ct, err = iv.freshTimes(ctx, m, tmpl, c.Treatment, tw, step); err != nil {
			return ref, treat, "", fmt.Errorf("%s coverage: %w", c.Variant, err)
		}
		if c.Reference != nil {
			if cr, err = iv.freshTimes(ctx, m, tmpl, *c.Reference, rw, step); err != nil {
				return ref, treat, "", fmt.Errorf("%s coverage: %w", c.ReferenceName, err)
			}
		}
		if len(ct) == 0 && len(cr) == 0 {
			return ref, treat, "", nil // no samples at all: the judge says NoData
		}
	case KindSamples: // raw observations at their own times: no lookback
		if countPoints(treat) == 0 || (c.Reference != nil && countPoints(ref) == 0) {
			return ref, treat, "", nil
		}
		ct, cr = pointTimes(treat), pointTimes(ref)
	default:
		return ref, treat, "", nil
	}
	minCov := iv.spec.minCoverage()
	t := measureCoverage(ct, tw, step)
	if c.Reference == nil {
		return ref, treat, coverageGap(c.Variant, t, nil, tw, step, minCov), nil
	}
	r := measureCoverage(cr, rw, step)
	// The windows may be offset (baseline_offset): compare stops relative
	// to each window's end.
	rs := r
	rs.last += tw.End.Sub(rw.End).Milliseconds()
	ts := t
	ts.last -= tw.End.Sub(rw.End).Milliseconds()
	if g := coverageGap(c.Variant, t, &rs, tw, step, minCov); g != "" {
		return ref, treat, g, nil
	}
	return ref, treat, coverageGap(c.ReferenceName, r, &ts, rw, step, minCov), nil
}

// coverageStep is the step of a coverage query over w: the metric's, or
// coarser when w holds more than maxCoveragePoints of it.
func coverageStep(w TimeRange, step time.Duration) time.Duration {
	if d := w.End.Sub(w.Start); d/step > maxCoveragePoints {
		return minDivisor(d, maxCoveragePoints-1)
	}
	return step
}

func pointTimes(series []Series) []int64 {
	var out []int64
	for _, s := range series {
		for _, p := range s.Points {
			out = append(out, p.T)
		}
	}
	return out
}

// lastSample is the time (Unix ms) of a points query's last sample in w on
// a PromQL source; 0 when it cannot be told.
func (iv *interval) lastSample(ctx context.Context, m MetricSpec, co Cohort, w TimeRange, step time.Duration) int64 {
	ts, ok, err := iv.sampleTimes(ctx, m, m.Query, co, w, coverageStep(w, step))
	if !ok || err != nil || len(ts) == 0 {
		return 0
	}
	return slices.Max(ts)
}

// sampleTimes asks a PromQL source for the times of the samples of every
// series selector of the query, over w (ok false: not a PromQL source, or
// no selector).
func (iv *interval) sampleTimes(ctx context.Context, m MetricSpec, tmpl string, co Cohort, w TimeRange, step time.Duration) (out []int64, ok bool, err error) {
	typ := iv.spec.sourceType(m.Source)
	if typ != SourceEmbedded && typ != SourcePrometheus && typ != "" {
		return nil, false, nil
	}
	sels := selectors(iv.render(tmpl, m, co, w))
	for _, sel := range sels {
		// Evaluated at the window's end and every step back to its start.
		n := (w.End.Sub(w.Start) + step - 1) / step
		q := Query{Expr: "max(timestamp(" + sel + "))", Start: w.End.Add(-n * step), End: w.End, Step: step}
		series, err := iv.f.fetch(ctx, m.Source, q)
		if err != nil {
			return nil, true, err
		}
		for _, s := range series {
			for _, p := range s.Points {
				if !math.IsNaN(p.V) {
					out = append(out, int64(math.Round(p.V*1000)))
				}
			}
		}
	}
	return out, len(sels) > 0, nil
}

// freshTimes asks the source when a cohort's data were fresh within w.
func (iv *interval) freshTimes(ctx context.Context, m MetricSpec, tmpl string, co Cohort, w TimeRange, step time.Duration) ([]int64, error) {
	out, ok, err := iv.sampleTimes(ctx, m, tmpl, co, w, step)
	if ok && (err == nil || iv.spec.sourceType(m.Source) != "") {
		return out, err
	}
	// Not PromQL (or a server-defined source that refused it): the query
	// itself over short ranges.
	expr := renderTimes(renderWindow(RenderQuery(tmpl, co.For(m.Source)), max(step, time.Minute)), w)
	q := Query{Expr: expr, Start: w.Start, End: w.End, Step: step}
	series, err := iv.f.fetch(ctx, m.Source, q)
	return pointTimes(series), err
}

// selectors lists the distinct series selectors of a PromQL expression,
// without offset or @ modifiers; nil when it does not parse.
func selectors(expr string) []string {
	e, err := promQL.ParseExpr(expr)
	if err != nil {
		return nil
	}
	var out []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			c := *vs
			c.OriginalOffset, c.Offset, c.Timestamp, c.StartOrEnd = 0, 0, nil, 0
			if s := c.String(); !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
		return nil
	})
	return out
}

func (s Spec) validateCoverage(v *validator) {
	if !v.finite("min_coverage", s.MinCoverage) {
		return
	}
	if s.MinCoverage < 0 || s.MinCoverage > 1 {
		v.add("min_coverage", "must be within 0..1 (a share of the window), got %g", s.MinCoverage)
	}
}
