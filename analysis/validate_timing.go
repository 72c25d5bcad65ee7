package analysis

import (
	"fmt"
	"strconv"
	"time"
)

// Bounds on what one spec may ask of the engine: how many intervals a run
// judges, how many points a range query returns per series, and how far
// its timing reaches. They are checked when a spec is validated; the point
// bound is checked again before every range query.
const (
	// MaxIntervals bounds the intervals of one run, whether given as
	// limits.count or as timing.lifetime / timing.interval. 10,000 is a
	// week of one-minute intervals: Kayenta's canaries judge a few hours
	// at intervals of minutes and Argo Rollouts' analyses tens of
	// measurements, so no real analysis comes near it, while every interval
	// costs a round of queries, judgements and a stored result.
	MaxIntervals = 10_000

	// MaxPointsPerSeries bounds the points of one series of a range query,
	// (window / step) + 1 over the longest window a run judges. It is
	// Prometheus' own limit (its query API refuses more), so a spec that
	// runs against the embedded store also runs against Prometheus, Thanos
	// or Mimir.
	MaxPointsPerSeries = 11_000

	// MaxTimingSpan bounds every timing duration (lifetime, interval,
	// lookback, begin_after, baseline_offset, delay, how far back a
	// relative start reaches), the step, and the span the intervals cover
	// (limits.count × timing.interval). A year holds the longest
	// experiments and a year-over-year baseline, and keeps every sum of
	// them a schedule computes within a few years, where time.Duration
	// (±292 years) cannot overflow.
	MaxTimingSpan = 365 * 24 * time.Hour
)

// An absolute timing.start must lie in [earliestStart, latestStart):
// telemetry carries Unix timestamps, and the bounds stay far from where
// Unix nanoseconds (which some sources are sent) overflow, in 2262.
var (
	earliestStart = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	latestStart   = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

func (t Timing) validate(v *validator, l Limits) {
	for _, d := range []struct {
		field string
		d     Duration
	}{
		{"timing.lifetime", t.Lifetime}, {"timing.interval", t.Interval}, {"timing.lookback", t.Lookback},
		{"timing.begin_after", t.BeginAfter}, {"timing.baseline_offset", t.BaselineOffset}, {"timing.delay", t.Delay},
	} {
		switch {
		case d.d < 0:
			v.add(d.field, "must not be negative, got %s", time.Duration(d.d))
		case d.d.Std() > MaxTimingSpan:
			v.add(d.field, "must be at most %s, got %s", Duration(MaxTimingSpan), d.d)
		case !wholeMillis(d.d.Std()):
			v.add(d.field, "must be a whole number of milliseconds, got %s", time.Duration(d.d))
		}
	}
	switch {
	case t.Interval == 0:
		v.add("timing.interval", "give timing.lifetime, timing.interval, or both")
	case t.Lifetime > 0 && t.Lifetime < t.Interval:
		v.add("timing.lifetime", "must be at least timing.interval (%s), got %s", t.Interval, t.Lifetime)
	case t.Lifetime == 0 && l.Count == 0:
		v.add("timing.lifetime", "give timing.lifetime or limits.count with timing.interval")
	}
	if l.Count == 0 && t.Interval > 0 && t.Lifetime >= t.Interval {
		if n := int64(t.Lifetime / t.Interval); n > MaxIntervals {
			v.add("timing.interval", "timing.lifetime %s / timing.interval %s gives %s intervals; at most %s per run: use an interval of at least %s",
				t.Lifetime, t.Interval, thousands(n), thousands(MaxIntervals), Duration(minDivisor(t.Lifetime.Std(), MaxIntervals)))
		}
	}
	if l.Count > 0 && l.Count <= MaxIntervals && t.Interval > 0 && t.Interval.Std() <= MaxTimingSpan &&
		t.Interval.Std() > MaxTimingSpan/time.Duration(l.Count) {
		v.add("limits.count", "%s intervals of %s span more than %s: at most %s intervals of %s",
			thousands(int64(l.Count)), t.Interval, Duration(MaxTimingSpan), thousands(int64(MaxTimingSpan/t.Interval.Std())), t.Interval)
	}
	if st := t.Start; st != nil {
		switch {
		case st.At != nil && (st.At.Before(earliestStart) || !st.At.Before(latestStart)):
			v.add("timing.start", "%s is outside %s..%s", st, earliestStart.Format(time.DateOnly), latestStart.Format(time.DateOnly))
		case st.At == nil && st.Relative >= 0:
			v.add("timing.start", "a relative start must be negative, such as -1h")
		case st.At == nil && st.Relative < -MaxTimingSpan:
			v.add("timing.start", "a relative start reaches at most %s back, got %s", Duration(MaxTimingSpan), st)
		case st.At == nil && !wholeMillis(st.Relative):
			v.add("timing.start", "a relative start must be a whole number of milliseconds, got %s", st.Relative)
		}
	}
}

// validateStep checks the spec's step and every metric's own, and bounds
// the points per series of the range queries at each step over the longest
// window the schedule judges.
func (s Spec) validateStep(v *validator) {
	s.validateOneStep(v, "step", s.Step, s.readsRanges(func(m MetricSpec) bool { return m.Step == 0 }))
	for i, m := range s.Metrics {
		if m.Step != 0 {
			s.validateOneStep(v, fmt.Sprintf("metrics[%d].step", i), m.Step, s.readsRanges(func(o MetricSpec) bool { return o.Name == m.Name }))
		}
	}
}

// validateOneStep checks one step; ranges: range queries are read at it.
func (s Spec) validateOneStep(v *validator, field string, step Duration, ranges bool) {
	switch {
	case step <= 0:
		v.add(field, "must be positive")
		return
	case step.Std() > MaxTimingSpan:
		v.add(field, "must be at most %s, got %s", Duration(MaxTimingSpan), step)
		return
	case !wholeMillis(step.Std()):
		v.add(field, "must be a whole number of milliseconds, got %s", step.Std())
		return
	}
	w, what, ok := s.longestWindow()
	if !ok || !ranges {
		return
	}
	if n := pointsPerSeries(w, step.Std()); n > MaxPointsPerSeries {
		v.add(field, "%s gives %s points per series over the %s window (%s); at most %s: use a step of at least %s",
			step, thousands(n), Duration(w), what, thousands(MaxPointsPerSeries), Duration(minDivisor(w, MaxPointsPerSeries-1)))
	}
}

// longestWindow is the longest window the schedule judges (the last
// growing window, or the lookback when shorter) and the setting that makes
// it so; ok is false when the timing is invalid.
func (s Spec) longestWindow() (w time.Duration, what string, ok bool) {
	t := s.Timing
	n := s.IntervalCount()
	iv := t.Interval.Std()
	if iv <= 0 || iv > MaxTimingSpan || t.Lookback < 0 || n > MaxIntervals || iv > MaxTimingSpan/time.Duration(n) {
		return 0, "", false
	}
	span := time.Duration(n) * iv
	switch {
	case t.Lookback > 0 && t.Lookback.Std() < span:
		return t.Lookback.Std(), "timing.lookback", true
	case s.Limits.Count > 0:
		return span, "limits.count × timing.interval", true
	default:
		return span, "timing.lifetime", true
	}
}

// readsRanges reports whether a metric that which selects is read by
// range queries (kinds points and samples; a jaeger source the spec
// defines ignores the step).
func (s Spec) readsRanges(which func(MetricSpec) bool) bool {
	for _, m := range s.Metrics {
		if which(m) && (m.Kind == KindPoints || m.Kind == KindSamples || m.Kind == "") && s.sourceType(m.Source) != SourceJaeger {
			return true
		}
	}
	return false
}

// wholeMillis reports whether d is a whole number of milliseconds, the
// resolution durations are written at (a finer one would not survive the
// spec's JSON form).
func wholeMillis(d time.Duration) bool { return d%time.Millisecond == 0 }

// pointsPerSeries is how many points a range query over w every step
// returns per series.
func pointsPerSeries(w, step time.Duration) int64 { return int64(w/step) + 1 }

// minDivisor is the shortest whole number of milliseconds d for which
// total / d, rounded down, is at most n.
func minDivisor(total time.Duration, n int64) time.Duration {
	d := total/time.Duration(n+1) + 1
	return (d + time.Millisecond - 1).Truncate(time.Millisecond)
}

// thousands writes n with thousands separators: 86,400,001.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3+1)
	if neg {
		out = append(out, '-')
	}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
