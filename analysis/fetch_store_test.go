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
