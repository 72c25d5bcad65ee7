package analysis_test

import (
	"context"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/source/embedded"
	"github.com/augurhq/augur/collector/store/storetest"
)

// nativeCounts draws n lognormal latencies (median 0.1 s) into the
// buckets of an exponential schema; values above the baseline's p98 are
// multiplied by tail (a tail-only regression when tail > 1).
func nativeCounts(r *rand.Rand, n int, schema int32, tail float64) map[int]float64 {
	const sigma = 0.4
	p98 := 0.1 * math.Exp(sigma*2.054)
	out := map[int]float64{}
	for range n {
		v := 0.1 * math.Exp(sigma*r.NormFloat64())
		if v > p98 {
			v *= tail
		}
		i := int(math.Ceil(math.Log2(v) * math.Exp2(float64(schema))))
		out[i]++
	}
	return out
}

// floatHistogram builds a native histogram of counts scaled by f.
func floatHistogram(schema int32, counts map[int]float64, f float64) *histogram.FloatHistogram {
	idx := make([]int, 0, len(counts))
	for i := range counts {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	h := &histogram.FloatHistogram{Schema: schema, ZeroThreshold: 1e-9}
	h.PositiveSpans = []histogram.Span{{Offset: int32(idx[0]), Length: uint32(idx[len(idx)-1] - idx[0] + 1)}}
	for i := idx[0]; i <= idx[len(idx)-1]; i++ {
		h.PositiveBuckets = append(h.PositiveBuckets, f*counts[i])
		h.Count += f * counts[i]
	}
	return h
}

// TestNativeHistogramsPerPod pushes native histograms of five pods per
// cohort into a real store and judges them with the query a user writes
// (the pods kept): a tail-only regression (p99 up, median and p90 as the
// baseline's) fails on the p99 compared across pods; an A/A run passes.
func TestNativeHistogramsPerPod(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tail  float64
		class string
	}{
		{"tail-only regression", 1.5, "high"},
		{"a/a", 1, "pass"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			st := storetest.OpenBackfill(t, t0)
			r := rand.New(rand.NewPCG(7, 11))
			const schema = 3
			app := st.Appender(context.Background())
			for c, version := range []string{"v1", "v2"} {
				for p := range 5 {
					tail := 1.0
					if c == 1 {
						tail = tc.tail
					}
					counts := nativeCounts(r, 3000, schema, tail)
					ls := labels.FromStrings("__name__", "latency_seconds", "version", version, "pod", version+"-"+string(rune('a'+p)))
					for k := 0; k <= 30; k++ {
						h := floatHistogram(schema, counts, float64(k)/30)
						if _, err := app.AppendHistogram(0, ls, t0.Add(time.Duration(k)*time.Minute).UnixMilli(), nil, h); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			if err := app.Commit(); err != nil {
				t.Fatal(err)
			}
			spec, err := analysis.ParseSpec(strings.NewReader(`
apiVersion: augur/v1
name: native
cohorts: {baseline: 'version="v1"', canary: 'version="v2"'}
timing: {start: "2026-01-01T00:00:00Z", lifetime: 30m, interval: 30m}
metrics:
  - name: latency
    kind: histogram
    query: 'sum by (pod) (increase(latency_seconds{${cohort}}[${window}]))'
    judge: {type: mannwhitney}
`))
			if err != nil {
				t.Fatal(err)
			}
			emb := embedded.New(st)
			sources := sourcesFunc(func(string) (analysis.Source, error) { return emb, nil })
			_, intervals, err := analysis.RunLocal(context.Background(), spec, sources, nil)
			if err != nil {
				t.Fatal(err)
			}
			m := intervals[0].Metrics[0]
			if string(m.Classification) != tc.class {
				t.Fatalf("classification %s, want %s: %s", m.Classification, tc.class, m.Reason)
			}
			if m.Cluster == nil || m.Cluster.Label != "pod" || m.Cluster.Canary != 5 || m.Cluster.Baseline != 5 || m.Cluster.Method != "welch" || len(m.Cluster.Tests) != 3 {
				t.Fatalf("cluster %+v, want 5 vs 5 pods by welch with 3 quantile tests", m.Cluster)
			}
			// The median and p90 do not move; only the p99 may.
			for _, ts := range m.Cluster.Tests[:2] {
				if ts.PValue == nil || *ts.PValue < 0.01 {
					t.Errorf("%s p = %v: the centre of the distribution did not move", ts.Name, ts.PValue)
				}
			}
			if tc.class == "high" && !strings.Contains(m.Reason, "p99 canary/baseline ratio") {
				t.Errorf("reason does not name the p99: %s", m.Reason)
			}
		})
	}
}
