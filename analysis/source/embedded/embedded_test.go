package embedded

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/util/annotations"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/source/sourcetest"
	"github.com/augurhq/augur/collector/store/storetest"
)

type rangerFunc func(ctx context.Context, expr string, start, end time.Time, step time.Duration) (promql.Matrix, annotations.Annotations, error)

func (f rangerFunc) Range(ctx context.Context, expr string, start, end time.Time, step time.Duration) (promql.Matrix, annotations.Annotations, error) {
	return f(ctx, expr, start, end, step)
}

func (f rangerFunc) Instant(context.Context, string, time.Time) (parser.Value, annotations.Annotations, error) {
	return nil, nil, errors.New("not an instant querier")
}

// TestConformance runs the source conformance suite against a real store.
// The embedded store has no endpoint, so only the data cases apply.
func TestConformance(t *testing.T) {
	st := storetest.Open(t)
	sourcetest.Run(t, sourcetest.Backend{Data: &sourcetest.Data{
		Source: New(st),
		Load: func(t *testing.T, d sourcetest.Dataset) {
			app := st.Appender(context.Background())
			for _, s := range d.Series {
				b := labels.NewScratchBuilder(len(s.Labels) + 1)
				b.Add("__name__", d.Metric)
				for k, v := range s.Labels {
					b.Add(k, v)
				}
				b.Sort()
				ls := b.Labels()
				for _, p := range s.Points {
					if _, err := app.Append(0, ls, p.T, p.V); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := app.Commit(); err != nil {
				t.Fatal(err)
			}
		},
		Queries: sourcetest.PromQL(),
	}})
}

// TestFetchReadsNativeHistograms stores native histograms in a real store
// and reads their increase back with every populated bucket's bounds.
func TestFetchReadsNativeHistograms(t *testing.T) {
	st := storetest.Open(t)
	ls := labels.FromStrings("__name__", "rpc_seconds", "pod", "a")
	now := time.Now().Truncate(time.Minute)
	app := st.Appender(context.Background())
	for k := range 11 {
		// Schema 0: bucket 1 is (1, 2], bucket 2 is (2, 4]; k·(2 + 1) observations.
		h := &histogram.FloatHistogram{
			Schema: 0, ZeroThreshold: 0.001, ZeroCount: float64(k), Count: float64(4 * k), Sum: float64(5 * k),
			PositiveSpans:   []histogram.Span{{Offset: 1, Length: 2}},
			PositiveBuckets: []float64{float64(2 * k), float64(k)},
		}
		if _, err := app.AppendHistogram(0, ls, now.Add(time.Duration(k-10)*time.Minute).UnixMilli(), nil, h); err != nil {
			t.Fatal(err)
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
	got, err := New(st).Fetch(context.Background(), analysis.Query{Expr: `increase(rpc_seconds[10m])`, End: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[0].Histograms) != 1 || got[0].Labels["pod"] != "a" {
		t.Fatalf("got %+v, want one series with one histogram", got)
	}
	h := got[0].Histograms[0]
	want := []analysis.HistogramBucket{{Lower: -0.001, Upper: 0.001, Count: 10}, {Lower: 1, Upper: 2, Count: 20}, {Lower: 2, Upper: 4, Count: 10}}
	if h.Count != 40 || len(h.Buckets) != len(want) {
		t.Fatalf("histogram %+v, want count 40 and buckets %+v", h, want)
	}
	for i, b := range want {
		g := h.Buckets[i]
		if g.Lower != b.Lower || g.Upper != b.Upper || math.Abs(g.Count-b.Count) > 1e-9 {
			t.Errorf("bucket %d = %+v, want %+v", i, g, b)
		}
	}
}

func TestFetchClassifiesErrors(t *testing.T) {
	boom := errors.New("boom")
	cases := []struct {
		name      string
		err       error
		permanent bool
	}{
		{"cancelled", promql.ErrQueryCanceled("expression evaluation"), false},
		{"timed out", promql.ErrQueryTimeout("expression evaluation"), false},
		{"storage", promql.ErrStorage{Err: boom}, false},
		{"context deadline", fmt.Errorf("select: %w", context.DeadlineExceeded), false},
		{"parse error", &parser.ParseErr{Err: errors.New("unclosed left parenthesis")}, true},
		{"execution error", boom, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := New(rangerFunc(func(context.Context, string, time.Time, time.Time, time.Duration) (promql.Matrix, annotations.Annotations, error) {
				return nil, nil, c.err
			}))
			_, err := src.Fetch(context.Background(), analysis.Query{Expr: "x", Step: time.Minute})
			if !errors.Is(err, c.err) {
				t.Errorf("error not wrapped: %v", err)
			}
			if got := errors.Is(err, analysis.ErrPermanent); got != c.permanent {
				t.Errorf("permanent = %v, want %v: %v", got, c.permanent, err)
			}
		})
	}
}
