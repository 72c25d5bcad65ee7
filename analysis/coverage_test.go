package analysis

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDropStaleRepeats(t *testing.T) {
	const m = 60_000 // one-minute steps
	pts := func(start int64, vs ...float64) []Point {
		out := make([]Point, len(vs))
		for i, v := range vs {
			out[i] = Point{T: (start + int64(i)) * m, V: v}
		}
		return out
	}
	cat := func(ps ...[]Point) []Point { return slices.Concat(ps...) }
	for _, tt := range []struct {
		name       string
		in         []Point
		end, fresh int64 // minutes
		want       []Point
	}{
		{"varying values stay", pts(0, 1, 2, 3, 4), 3, 0, pts(0, 1, 2, 3, 4)},
		{"lookback before a gap: first only", cat(pts(0, 1, 2, 7, 7, 7, 7, 7, 7), pts(20, 3, 4)), 21, 0, cat(pts(0, 1, 2, 7), pts(20, 3, 4))},
		{"lookback to a gap before the end: first only", pts(0, 1, 2, 7, 7, 7, 7), 30, 0, pts(0, 1, 2, 7)},
		{"lookback at the end, last sample at 2: first only", pts(0, 1, 2, 7, 7, 7), 4, 2, pts(0, 1, 2, 7)},
		{"a run at the end, sample times unknown: kept", pts(0, 1, 2, 7, 7, 7), 4, 0, pts(0, 1, 2, 7, 7, 7)},
		{"long constant run before a gap: its last lookback goes", cat(pts(0, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5), pts(20, 1)), 20, 0,
			cat(pts(0, 5, 5, 5, 5, 5), pts(20, 1))},
		{"long constant run to the end, sample times unknown: kept", pts(0, 0, 0, 0, 0, 0, 0, 0, 0), 7, 0, pts(0, 0, 0, 0, 0, 0, 0, 0, 0)},
		{"long constant run to the end, last sample at 3: after it goes", pts(0, 0, 0, 0, 0, 0, 0, 0, 0), 8, 3, pts(0, 0, 0, 0, 0)},
		{"a run followed by another value is data", pts(0, 7, 7, 7, 1), 3, 0, pts(0, 7, 7, 7, 1)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := dropStaleRepeats(tt.in, 10*m, tt.end*m, tt.fresh*m); !slices.Equal(got, tt.in) {
				t.Errorf("a step of 10m (longer than the lookback) repeats nothing: got %v", got)
			}
			got := dropStaleRepeats(tt.in, m, tt.end*m, tt.fresh*m)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMeasureCoverage(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	w := TimeRange{Start: t0, End: t0.Add(time.Hour)}
	minutes := func(from, to int) []int64 {
		var out []int64
		for k := from; k <= to; k++ {
			out = append(out, t0.Add(time.Duration(k)*time.Minute).UnixMilli())
		}
		return out
	}
	for _, tt := range []struct {
		name   string
		times  []int64
		share  float64
		reason string // coverageGap of the canary against a full baseline
	}{
		{"every minute", minutes(0, 60), 1, ""},
		{"one missing minute is no hole", slices.Concat(minutes(0, 29), minutes(31, 60)), 1, ""},
		{"every 5 minutes (a slow scrape)", []int64{minutes(0, 0)[0], minutes(5, 5)[0], minutes(10, 10)[0], minutes(15, 15)[0], minutes(20, 20)[0],
			minutes(25, 25)[0], minutes(30, 30)[0], minutes(35, 35)[0], minutes(40, 40)[0], minutes(45, 45)[0], minutes(50, 50)[0], minutes(55, 55)[0], minutes(60, 60)[0]}, 1, ""},
		{"a 20-minute hole", slices.Concat(minutes(0, 20), minutes(40, 60)), 2.0 / 3, "canary data cover 67% of the window, under min_coverage 80%: no data 12:20–12:40 (20 min)"},
		{"starts late", minutes(30, 60), 0.5, "canary data cover 50% of the window, under min_coverage 80%: no data 12:00–12:30 (30 min)"},
		{"stops at 12:03", minutes(0, 3), 0.05, "canary data stop at 12:03, 57 min before the window ends"},
		{"stops at 12:50: covered, but stopped", minutes(0, 50), 50.0 / 60, "canary data stop at 12:50, 10 min before the window ends"},
		{"stops at 12:58: within the tolerance", minutes(0, 58), 1, ""},
		{"nothing", nil, 0, "canary data cover 0% of the window, under min_coverage 80%: no fresh data in it"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := measureCoverage(tt.times, w, time.Minute)
			if d := c.share - tt.share; d > 1e-9 || d < -1e-9 {
				t.Errorf("share %g, want %g", c.share, tt.share)
			}
			full := measureCoverage(minutes(0, 60), w, time.Minute)
			got := coverageGap("canary", c, &full, w, time.Minute, DefaultMinCoverage)
			if (tt.reason == "") != (got == "") || !strings.Contains(got, tt.reason) {
				t.Errorf("gap %q, want %q", got, tt.reason)
			}
		})
	}
	// Both cohorts stop together (late data everywhere): not a stop.
	c := measureCoverage(minutes(0, 50), w, time.Minute)
	if g := coverageGap("canary", c, &c, w, time.Minute, DefaultMinCoverage); g != "" {
		t.Errorf("both stop at 12:50: %q", g)
	}
}

func TestValidateMinCoverage(t *testing.T) {
	for _, tt := range []struct {
		v    string
		want string
	}{
		{"0.8", ""},
		{"1", ""},
		{"1.5", "min_coverage: must be within 0..1 (a share of the window), got 1.5"},
		{"-0.1", "min_coverage: must be within 0..1 (a share of the window), got -0.1"},
		{".nan", "min_coverage: must be a finite number, got NaN"},
	} {
		t.Run(tt.v, func(t *testing.T) {
			_, err := ParseSpec(strings.NewReader(`apiVersion: augur/v1
name: x
cohorts: {baseline: 'v="1"', canary: 'v="2"'}
timing: {lifetime: 1h}
min_coverage: ` + tt.v + `
metrics: [{name: m, query: 'x{${cohort}}', judge: {type: mannwhitney}}]
`))
			if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

type fakeSources struct{ src Source }

func (f fakeSources) Source(string, *SourceSpec) (Source, error) { return f.src, nil }

// TestCoverageOtherSources: where sample times cannot be asked with
// PromQL, coverage still comes from the data: per-request samples (a
// jaeger source) carry their own times, and a Loki count is asked again as
// a range query over short ranges. A canary that stops after 3 minutes is
// inconclusive either way; one that reports to the end passes.
func TestCoverageOtherSources(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name, sources, metric string
	}{
		{"jaeger samples", "{tr: {type: jaeger, address: '127.0.0.1:16685'}}",
			"{name: m, source: tr, kind: samples, query: '{service=\"x\",${cohort}}', judge: {type: mannwhitney}}"},
		{"loki counts", "{lk: {type: loki, url: 'http://127.0.0.1:3100'}}",
			"{name: m, source: lk, query: 'sum(count_over_time({app=\"x\",${cohort}} |= \"error\" [${window}]))', total_query: 'sum(count_over_time({app=\"x\",${cohort}} [${window}]))', judge: {type: proportion}}"},
	} {
		for _, stop := range []time.Duration{3 * time.Minute, time.Hour} {
			t.Run(fmt.Sprintf("%s until %s", tt.name, stop), func(t *testing.T) {
				spec, err := ParseSpec(strings.NewReader(`apiVersion: augur/v1
name: x
cohorts: {baseline: 'v="1"', canary: 'v="2"'}
timing: {start: "2026-01-01T12:00:00Z", lifetime: 1h}
sources: ` + tt.sources + `
metrics: [` + tt.metric + `]
`))
				if err != nil {
					t.Fatal(err)
				}
				var asked []string
				src := SourceFunc(func(_ context.Context, q Query) ([]Series, error) {
					asked = append(asked, q.Expr)
					until := time.Hour
					if strings.Contains(q.Expr, `v="2"`) {
						until = stop
					}
					var pts []Point
					switch {
					case q.Instant() && strings.Contains(q.Expr, "error"):
						pts = []Point{{T: q.End.UnixMilli(), V: float64(until/time.Second) / 100}}
					case q.Instant():
						pts = []Point{{T: q.End.UnixMilli(), V: float64(until / time.Second)}}
					default:
						for at := q.Start; !at.After(q.End); at = at.Add(20 * time.Second) {
							if at.Sub(t0) <= until && (q.Step == 0 || at.Sub(q.Start)%q.Step == 0) {
								pts = append(pts, Point{T: at.UnixMilli(), V: 100 + float64(at.Second()%7)})
							}
						}
					}
					return []Series{{Labels: map[string]string{}, Points: pts}}, nil
				})
				var rs RunState
				v := EvaluateInterval(context.Background(), spec, spec.Schedule(t0), 0, &rs, fakeSources{src})
				m := v.Metrics[0]
				want := "pass"
				if stop < time.Hour {
					want = "inconclusive"
				}
				if string(m.Classification) != want || (want == "inconclusive" && !strings.Contains(m.Reason, "canary data stop at 12:03")) {
					t.Errorf("got %s %q, want %s; asked %q", m.Classification, m.Reason, want, asked)
				}
			})
		}
	}
}
