package analysis_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/source/embedded"
	"github.com/augurhq/augur/collector/store/storetest"
)

// TestEmbeddedQueryOverMaxQueryPoints: through the embedded store's
// experiment engine (store.Limited at MaxQueryPoints, as augur serve wires
// it), a valid spec whose selector matches more series than MaxQueryPoints
// allows at full resolution is stopped by the engine: the metric is an
// error naming the cause, asked once (permanent), and the judge never sees
// the points. One series of it is judged.
func TestEmbeddedQueryOverMaxQueryPoints(t *testing.T) {
	const step = 500 * time.Millisecond
	window := time.Duration(analysis.MaxPointsPerSeries-1) * step
	fit := analysis.MaxQueryPoints / analysis.MaxPointsPerSeries // series per cohort that fit
	st := storetest.Open(t)
	t0 := time.Now().Add(-window - time.Minute).Truncate(time.Second)
	// A sample every 4 minutes, and one at the window's end: the window's
	// last points are fresh data, not the lookback repeating a sample.
	offs := []time.Duration{window}
	for off := time.Duration(0); off <= window+4*time.Minute; off += 4 * time.Minute {
		offs = append(offs, off)
	}
	slices.Sort(offs)
	for _, off := range offs {
		app := st.Appender(context.Background())
		for _, v := range []string{"v1", "v2"} {
			for i := range fit + 1 {
				ls := labels.FromStrings("__name__", "latency", "version", v, "pod", strconv.Itoa(i))
				if _, err := app.Append(0, ls, t0.Add(off).UnixMilli(), float64(i)); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := app.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	spec, err := analysis.ParseSpec(strings.NewReader(`apiVersion: augur/v1
name: wide
cohorts: {baseline: 'version="v1"', canary: 'version="v2"'}
timing: {start: "` + t0.UTC().Format(time.RFC3339) + `", lifetime: ` + analysis.Duration(window).String() + `}
step: 500ms
metrics:
  - {name: over, query: 'latency{${cohort}}', judge: {type: mannwhitney}}
  - {name: under, query: 'latency{${cohort}, pod="0"}', judge: {type: mannwhitney}}
`))
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]int{}
	src := embedded.New(st.Limited(analysis.MaxQueryPoints, nil))
	retrying := analysis.WithRetry(analysis.SourceFunc(func(ctx context.Context, q analysis.Query) ([]analysis.Series, error) {
		calls[q.Expr]++
		return src.Fetch(ctx, q)
	}), 3, time.Millisecond)
	sources := sourcesFunc(func(string) (analysis.Source, error) { return retrying, nil })
	var rs analysis.RunState
	v := analysis.EvaluateInterval(context.Background(), spec, spec.Schedule(t0), 0, &rs, sources)
	over, under := v.Metrics[0], v.Metrics[1]
	if over.Classification != "error" || !strings.Contains(over.Error, "query processing would load too many samples into memory") {
		t.Errorf("over: %s %q", over.Classification, over.Error)
	}
	if n := calls[`latency{version="v2"}`]; n != 1 {
		t.Errorf("over: asked %d times, want once (a permanent error)", n)
	}
	if want := analysis.MaxPointsPerSeries; under.Error != "" || under.Canary.N != want || under.Baseline.N != want {
		t.Errorf("under: %s %q, n %d/%d, want %d", under.Classification, under.Error, under.Canary.N, under.Baseline.N, want)
	}
}

// TestMetricStepAndTimePlaceholders: through the real store, a metric's own
// step sets its range queries' resolution (2m: 31 points over the hour
// against 61 at the spec's 1m), and ${start} and ${end} are the window's
// start and end in Unix seconds, as PromQL's @ modifier takes them.
func TestMetricStepAndTimePlaceholders(t *testing.T) {
	spec, err := analysis.ParseSpec(strings.NewReader(`apiVersion: augur/v1
name: ergonomics
cohorts: {baseline: 'version="v1"', canary: 'version="v2"'}
timing: {start: "2026-01-01T00:00:00Z", lifetime: 60m}
metrics:
  - {name: fine, query: 'latency{${cohort}}', judge: {type: mannwhitney}}
  - {name: coarse, step: 2m, query: 'latency{${cohort}}', judge: {type: mannwhitney}}
  - name: errors
    query: 'sum(increase(errors_total{${cohort}}[${window}]))'
    total_query: 'sum(increase(requests_total{${cohort}}[${window}]))'
    judge: {type: proportion}
  - name: errors_at_end
    query: 'sum(increase(errors_total{${cohort}}[${window}] @ ${end}))'
    total_query: 'sum(increase(requests_total{${cohort}}[${window}] @ ${end}))'
    judge: {type: proportion}
  - {name: end, kind: counts, query: 'sum(requests_total{${cohort}}) * 0 + ${end} - ${start}', judge: {type: threshold, upper: 1e12}}
`))
	if err != nil {
		t.Fatal(err)
	}
	t0 := *spec.Timing.Start.At
	st := storetest.OpenBackfill(t, t0)
	loadSeries(t, st, t0, load{step: time.Minute, lines: []string{
		`latency{version="v1"} normal(100,10,1)x61`,
		`latency{version="v2"} normal(100,10,2)x61`,
		`requests_total{version="v1"} 0+100x60`,
		`requests_total{version="v2"} 0+100x60`,
		`errors_total{version="v1"} 0+1x60`,
		`errors_total{version="v2"} 0+1x60`,
	}})
	src := embedded.New(st)
	sources := sourcesFunc(func(string) (analysis.Source, error) { return src, nil })
	var rs analysis.RunState
	v := analysis.EvaluateInterval(context.Background(), spec, spec.Schedule(t0), 0, &rs, sources)
	by := map[string]analysis.MetricResult{}
	for _, m := range v.Metrics {
		by[m.Name] = m
	}
	if n := by["fine"].Canary.N; n != 61 {
		t.Errorf("spec step 1m: %d points, want 61 (%s)", n, by["fine"].Reason)
	}
	if n := by["coarse"].Canary.N; n != 31 {
		t.Errorf("metric step 2m: %d points, want 31 (%s)", n, by["coarse"].Reason)
	}
	e, at := by["errors"], by["errors_at_end"]
	if e.Canary.Total == nil || at.Canary.Total == nil || *e.Canary.Total != *at.Canary.Total || *e.Canary.Total != 6000 {
		t.Errorf("@ ${end}: trials %v, without %v, want 6000 both (%q)", at.Canary.Total, e.Canary.Total, at.Reason)
	}
	if a := by["end"].Aggregate; a == nil || *a != 3600 {
		t.Errorf("${end} - ${start}: %v, want 3600 (%s)", a, by["end"].Reason)
	}
	if q := by["errors_at_end"].Canary.Query; !strings.Contains(q, "@ 1767229200") {
		t.Errorf("rendered query %q lacks @ 1767229200", q)
	}
}
