package sourcetest

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
)

func TestEval(t *testing.T) {
	d := newDataset(time.Unix(1700000000, 0))
	ms := func(t time.Time) int64 { return t.UnixMilli() }
	b := func(version, pod string, pts ...analysis.Point) analysis.Series {
		return analysis.Series{Labels: map[string]string{"version": version, "pod": pod}, Points: pts}
	}
	cases := []struct {
		name       string
		version    string
		start, end time.Time
		step       time.Duration
		want       []analysis.Series
	}{
		{"instant at the first sample", "v1", time.Time{}, d.Start, 0,
			[]analysis.Series{b("v1", "a", analysis.Point{T: ms(d.Start), V: 10}), b("v1", "b", analysis.Point{T: ms(d.Start), V: 20.25})}},
		{"before the first sample there is nothing", "v1", time.Time{}, d.Start.Add(-time.Millisecond), 0, nil},
		{"the last sample is found until the lookback ends", "v2", time.Time{}, d.End().Add(Lookback - time.Millisecond), 0,
			[]analysis.Series{b("v2", "a", analysis.Point{T: ms(d.End().Add(Lookback - time.Millisecond)), V: 42}), b("v2", "b", analysis.Point{T: ms(d.End().Add(Lookback - time.Millisecond)), V: 12})}},
		{"and not after", "v2", time.Time{}, d.End().Add(Lookback), 0, nil},
		{"a range steps from start to end inclusive", "v2", d.Start.Add(45 * time.Second), d.Start.Add(105 * time.Second), time.Minute,
			[]analysis.Series{
				b("v2", "a", analysis.Point{T: ms(d.Start.Add(45 * time.Second)), V: 250.5}, analysis.Point{T: ms(d.Start.Add(105 * time.Second)), V: 1e6}),
				b("v2", "b", analysis.Point{T: ms(d.Start.Add(45 * time.Second)), V: math.NaN()}, analysis.Point{T: ms(d.Start.Add(105 * time.Second)), V: math.Inf(1)}),
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if msg := Diff(d.Eval(c.version, c.start, c.end, c.step), c.want); msg != "" {
				t.Error(msg)
			}
		})
	}
}

func TestDiff(t *testing.T) {
	a := analysis.Series{Labels: map[string]string{"pod": "a"}, Points: []analysis.Point{{T: 1, V: math.NaN()}}}
	b := analysis.Series{Labels: map[string]string{"pod": "b"}, Points: []analysis.Point{{T: 1, V: 2}}}
	if msg := Diff([]analysis.Series{a, b}, []analysis.Series{b, a}); msg != "" {
		t.Errorf("same series in another order, NaN included: %s", msg)
	}
	cases := []struct {
		name string
		got  []analysis.Series
		says string
	}{
		{"missing series", []analysis.Series{a}, "got 1 series, want 2"},
		{"other value", []analysis.Series{a, {Labels: b.Labels, Points: []analysis.Point{{T: 1, V: 3}}}}, "1=3"},
		{"other time", []analysis.Series{a, {Labels: b.Labels, Points: []analysis.Point{{T: 2, V: 2}}}}, "2=2"},
		{"other labels", []analysis.Series{a, {Labels: map[string]string{"pod": "c"}, Points: b.Points}}, `pod="c"`},
	}
	for _, c := range cases {
		if msg := Diff(c.got, []analysis.Series{a, b}); !strings.Contains(msg, c.says) {
			t.Errorf("%s: Diff = %q, want it to say %q", c.name, msg, c.says)
		}
	}
}
