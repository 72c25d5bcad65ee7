package sourcetest

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/augurhq/augur/analysis"
)

// Dataset is what the data cases load: two cohorts (version v1 and v2) of
// two pods each, one sample every Interval from Start, Points per series.
// One series holds NaN, +Inf and -Inf.
type Dataset struct {
	// Metric is the name to store the series under, where names exist.
	Metric   string
	Start    time.Time
	Interval time.Duration
	// Series carry the labels version and pod; their points are on the
	// Interval grid, in time order.
	Series []analysis.Series
}

// Lookback is how far back a query evaluated at t finds a sample, as in
// PromQL.
const Lookback = 5 * time.Minute

// points per series.
const points = 8

// newDataset places the samples a few minutes before now, on a grid of
// whole multiples of the interval, so servers that refuse old or
// out-of-order samples accept them.
func newDataset(now time.Time) Dataset {
	const interval = 30 * time.Second
	start := now.Add(-10 * time.Minute).Truncate(interval)
	values := map[[2]string][]float64{
		{"v1", "a"}: {10, 11, 12, 13, 14, 15, 16, 17},
		{"v1", "b"}: {20.25, 21.5, 22.75, 23, 24.125, 25, 26.5, 27},
		{"v2", "a"}: {100, 250.5, 0.001, 1e6, 123456.789, -3, 0, 42},
		{"v2", "b"}: {5, math.NaN(), 7, math.Inf(1), 9, math.Inf(-1), 11, 12},
	}
	d := Dataset{Metric: "sourcetest_latency_seconds", Start: start, Interval: interval}
	for _, k := range [][2]string{{"v1", "a"}, {"v1", "b"}, {"v2", "a"}, {"v2", "b"}} {
		s := analysis.Series{Labels: map[string]string{"version": k[0], "pod": k[1]}}
		for i, v := range values[k] {
			s.Points = append(s.Points, analysis.Point{T: start.Add(time.Duration(i) * interval).UnixMilli(), V: v})
		}
		d.Series = append(d.Series, s)
	}
	return d
}

// End is the time of the last sample.
func (d Dataset) End() time.Time { return d.Start.Add((points - 1) * d.Interval) }

// Eval is what a query selecting one version's series answers, in PromQL's
// terms: at Start, Start+Step... up to End (only End when Step is 0), each
// series' latest sample at or before that time and within Lookback.
// Series with no such sample are left out. Replaying fakes answer with it.
func (d Dataset) Eval(version string, start, end time.Time, step time.Duration) []analysis.Series {
	if step == 0 {
		start = end
		step = time.Second // one evaluation
	}
	var out []analysis.Series
	for _, s := range d.Series {
		if s.Labels["version"] != version {
			continue
		}
		got := analysis.Series{Labels: s.Labels}
		for t := start; !t.After(end); t = t.Add(step) {
			ms := t.UnixMilli()
			var last *analysis.Point
			for i := range s.Points {
				if p := &s.Points[i]; p.T <= ms && p.T > ms-Lookback.Milliseconds() {
					last = p
				}
			}
			if last != nil {
				got.Points = append(got.Points, analysis.Point{T: ms, V: last.V})
			}
		}
		if len(got.Points) > 0 {
			out = append(out, got)
		}
	}
	return out
}

// LabelString writes labels sorted by name: {pod="a", version="v1"}.
func LabelString(ls map[string]string) string {
	keys := make([]string, 0, len(ls))
	for k := range ls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%q", k, ls[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// Diff compares series regardless of their order; NaN equals NaN. It
// returns "" when they match.
func Diff(got, want []analysis.Series) string {
	byLabels := func(ss []analysis.Series) []analysis.Series {
		ss = slices.Clone(ss)
		sort.Slice(ss, func(i, j int) bool { return LabelString(ss[i].Labels) < LabelString(ss[j].Labels) })
		return ss
	}
	got, want = byLabels(got), byLabels(want)
	var b strings.Builder
	if len(got) != len(want) {
		fmt.Fprintf(&b, "got %d series, want %d\n", len(got), len(want))
	}
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = LabelString(got[i].Labels) + " " + pointString(got[i].Points) + histString(got[i].Histograms)
		}
		if i < len(want) {
			w = LabelString(want[i].Labels) + " " + pointString(want[i].Points) + histString(want[i].Histograms)
		}
		if g != w {
			fmt.Fprintf(&b, "series %d:\n  got  %s\n  want %s\n", i, g, w)
		}
	}
	return b.String()
}

// histString writes native histogram points, "" for none.
func histString(hs []analysis.HistogramPoint) string {
	if len(hs) == 0 {
		return ""
	}
	return fmt.Sprintf(" histograms %+v", hs)
}

// pointString writes points as t=v pairs; NaN prints as NaN, so equal
// strings mean equal points.
func pointString(ps []analysis.Point) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprintf("%d=%v", p.T, p.V)
	}
	return "[" + strings.Join(parts, " ") + "]"
}
