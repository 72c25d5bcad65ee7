package analysis_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/source/embedded"
	"github.com/augurhq/augur/collector/store/storetest"
)

// BenchmarkEvaluate50Metrics1h judges one interval of a 50-metric canary
// experiment over a 1-hour window on the embedded store: 30 gauge metrics
// (rank test on every point), 10 counter rates (rank test) and 10 error
// proportions (Fisher on counts), each cohort 10 pods scraped every 15 s,
// queried at a 15 s step (2,400 points per cohort per rank-tested metric).
// Target: under 1 s per evaluation.
func BenchmarkEvaluate50Metrics1h(b *testing.B) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	st := storetest.OpenBackfill(b, t0)
	const pods, scrape = 10, 15 * time.Second
	steps := int(time.Hour/scrape) + 1
	r := rand.New(rand.NewPCG(1, 2))
	app := st.Appender(context.Background())
	counters := map[string]float64{}
	for k := 0; k < steps; k++ {
		ts := t0.Add(time.Duration(k) * scrape).UnixMilli()
		for _, v := range []string{"v1", "v2"} {
			for p := 0; p < pods; p++ {
				pod := fmt.Sprintf("%s-%d", v, p)
				for g := 0; g < 30; g++ {
					ls := labels.FromStrings("__name__", fmt.Sprintf("gauge_%d", g), "version", v, "pod", pod)
					if _, err := app.Append(0, ls, ts, 100+10*r.NormFloat64()); err != nil {
						b.Fatal(err)
					}
				}
				for c := 0; c < 10; c++ {
					for _, name := range []string{fmt.Sprintf("requests_%d_total", c), fmt.Sprintf("errors_%d_total", c)} {
						key := name + pod
						inc := 25 + 5*r.NormFloat64()
						if strings.HasPrefix(name, "errors") {
							inc = float64(r.IntN(2))
						}
						counters[key] += max(0, inc)
						ls := labels.FromStrings("__name__", name, "version", v, "pod", pod)
						if _, err := app.Append(0, ls, ts, counters[key]); err != nil {
							b.Fatal(err)
						}
					}
				}
			}
		}
	}
	if err := app.Commit(); err != nil {
		b.Fatal(err)
	}
	var ms strings.Builder
	for g := 0; g < 30; g++ {
		fmt.Fprintf(&ms, "  - {name: gauge_%d, query: 'gauge_%d{${cohort}}', judge: {type: mannwhitney}}\n", g, g)
	}
	for c := 0; c < 10; c++ {
		fmt.Fprintf(&ms, "  - {name: rate_%d, query: 'rate(requests_%d_total{${cohort}}[1m])', judge: {type: mannwhitney, direction: decrease}}\n", c, c)
		fmt.Fprintf(&ms, "  - {name: errors_%d, query: 'sum(increase(errors_%d_total{${cohort}}[${window}]))', total_query: 'sum(increase(requests_%d_total{${cohort}}[${window}]))', judge: {type: proportion}}\n", c, c, c)
	}
	spec, err := analysis.ParseSpec(strings.NewReader(`apiVersion: augur/v1
name: fifty
cohorts: {baseline: 'version="v1"', canary: 'version="v2"'}
timing: {start: "2026-01-01T00:00:00Z", lifetime: 1h}
step: 15s
metrics:
` + ms.String()))
	if err != nil {
		b.Fatal(err)
	}
	src := embedded.New(st)
	sources := sourcesFunc(func(string) (analysis.Source, error) { return src, nil })
	sch := spec.Schedule(t0)
	b.ResetTimer()
	for b.Loop() {
		var rs analysis.RunState
		v := analysis.EvaluateInterval(context.Background(), spec, sch, 0, &rs, sources)
		if len(v.Metrics) != 50 || v.Verdict == "error" {
			b.Fatalf("verdict %s with %d metrics: %s", v.Verdict, len(v.Metrics), v.Reason)
		}
	}
}
