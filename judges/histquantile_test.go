package judges

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"

	"github.com/augurhq/augur/collector/store/storetest"
)

// histogramCases are classic histograms covering the edge cases of
// histogram_quantile: an empty first bucket, negative and zero bounds,
// everything in +Inf, all empty, a single finite bound, cumulative counts
// differing by less than 1e-12 relative, fractional counts (rates).
func histogramCases() []Histogram {
	rng := rand.New(rand.NewPCG(10, 11))
	cases := []Histogram{
		{Bounds: []float64{0.1, 0.25, 0.5, 1}, Counts: []float64{0, 10, 20, 5, 1}},
		{Bounds: []float64{0.1, 0.25, 0.5, 1}, Counts: []float64{4, 10, 20, 5, 0}},
		{Bounds: []float64{-1, 0, 1, 2}, Counts: []float64{3, 1, 4, 1, 5}},
		{Bounds: []float64{-2, -1}, Counts: []float64{7, 0, 0}},
		{Bounds: []float64{0, 1}, Counts: []float64{2, 2, 0}},
		{Bounds: []float64{1, 2}, Counts: []float64{0, 0, 9}},
		{Bounds: []float64{1, 2}, Counts: []float64{0, 0, 0}},
		{Bounds: []float64{5}, Counts: []float64{3, 1}},
		{Bounds: []float64{1, 2, 3}, Counts: []float64{1e13, 1, 0.5, 2e13}},
		{Bounds: []float64{1, 2, 3}, Counts: []float64{1e13, 1, 0.5, 0}},
		{Bounds: []float64{0.005, 0.01, 0.025}, Counts: []float64{0.25, 1.75, 0.1, 0.0333}},
	}
	for range 30 {
		nb := 1 + rng.IntN(12)
		h := Histogram{}
		b := rng.Float64()*2 - 0.5
		for range nb {
			h.Bounds = append(h.Bounds, b)
			b += 0.01 + rng.ExpFloat64()
		}
		for range nb + 1 {
			c := 0.0
			if rng.IntN(4) > 0 {
				c = math.Round(rng.ExpFloat64()*100) / 4
			}
			h.Counts = append(h.Counts, c)
		}
		cases = append(cases, h)
	}
	return cases
}

// HistogramQuantile against the PromQL engine's histogram_quantile on the
// same classic buckets written into a real store.
func TestHistogramQuantileMatchesPromQL(t *testing.T) {
	st := storetest.Open(t)
	cases := histogramCases()
	now := time.Now().Truncate(time.Second)
	app := st.Appender(context.Background())
	for id, h := range cases {
		cum := 0.0
		for i, c := range h.Counts {
			cum += c
			le := "+Inf"
			if i < len(h.Bounds) {
				le = strconv.FormatFloat(h.Bounds[i], 'g', -1, 64)
			}
			ls := labels.FromStrings("__name__", "req_seconds_bucket", "id", strconv.Itoa(id), "le", le)
			if _, err := app.Append(0, ls, now.UnixMilli(), cum); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, q := range []float64{math.NaN(), -0.5, 0, 1e-9, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1, 1.5} {
		expr := fmt.Sprintf("histogram_quantile(%s, req_seconds_bucket)", strconv.FormatFloat(q, 'g', -1, 64))
		vec := storetest.Vector(t, st, expr, now)
		if len(vec) != len(cases) {
			t.Fatalf("%s: %d series, want %d", expr, len(vec), len(cases))
		}
		for _, s := range vec {
			id, err := strconv.Atoi(s.Metric.Get("id"))
			if err != nil {
				t.Fatal(err)
			}
			engine := promqlValue(s)
			got := HistogramQuantile(cases[id], q)
			if !(got == engine || (math.IsNaN(got) && math.IsNaN(engine))) {
				t.Errorf("q %v, histogram %d %+v: %v, PromQL %v", q, id, cases[id], got, engine)
			}
		}
	}
}

func promqlValue(s promql.Sample) float64 { return s.F }

// The documented edge cases, by value.
func TestHistogramQuantileEdges(t *testing.T) {
	h := Histogram{Bounds: []float64{1, 2, 4}, Counts: []float64{10, 10, 0, 5}}
	for _, c := range []struct {
		name string
		h    Histogram
		q    float64
		want float64
	}{
		{"q < 0", h, -0.1, math.Inf(-1)},
		{"q > 1", h, 1.1, math.Inf(1)},
		{"q NaN", h, math.NaN(), math.NaN()},
		{"first bucket from 0", h, 0.2, 0.5},
		{"second bucket", h, 0.6, 1.5},
		{"+Inf bucket: last finite bound", h, 0.9, 4},
		{"first bound ≤ 0: the bound", Histogram{Bounds: []float64{-1, 1}, Counts: []float64{4, 4, 0}}, 0.25, -1},
		{"empty", Histogram{Bounds: []float64{1}, Counts: []float64{0, 0}}, 0.5, math.NaN()},
		{"no finite bound", Histogram{Counts: []float64{5}}, 0.5, math.NaN()},
		{"invalid counts", Histogram{Bounds: []float64{1}, Counts: []float64{-1, 2}}, 0.5, math.NaN()},
		{"layout mismatch", Histogram{Bounds: []float64{1}, Counts: []float64{1}}, 0.5, math.NaN()},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := HistogramQuantile(c.h, c.q)
			if !(got == c.want || (math.IsNaN(got) && math.IsNaN(c.want))) {
				t.Errorf("%v, want %v", got, c.want)
			}
		})
	}
}
