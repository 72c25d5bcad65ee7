package embedded

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/util/annotations"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/collector/store/storetest"
)

type rangerFunc func(ctx context.Context, expr string, start, end time.Time, step time.Duration) (promql.Matrix, annotations.Annotations, error)

func (f rangerFunc) Range(ctx context.Context, expr string, start, end time.Time, step time.Duration) (promql.Matrix, annotations.Annotations, error) {
	return f(ctx, expr, start, end, step)
}

func (f rangerFunc) Instant(context.Context, string, time.Time) (parser.Value, annotations.Annotations, error) {
	return nil, nil, errors.New("not an instant querier")
}

func TestFetchFromStore(t *testing.T) {
	st := storetest.Open(t)
	start := time.Now().Add(-10 * time.Minute).Truncate(time.Minute)
	app := st.Appender(context.Background())
	for _, pod := range []string{"a", "b"} {
		ls := labels.FromStrings("__name__", "latency", "version", "v2", "pod", pod)
		for i := 0; i <= 5; i++ {
			v := float64(i)
			if pod == "b" {
				v += 100
			}
			if _, err := app.Append(0, ls, start.Add(time.Duration(i)*time.Minute).UnixMilli(), v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
	src := New(st)
	q := analysis.Query{Expr: `latency{version="v2"}`, Start: start, End: start.Add(5 * time.Minute), Step: time.Minute}
	series, err := src.Fetch(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	got := analysis.Values(series)
	want := []float64{0, 1, 2, 3, 4, 5, 100, 101, 102, 103, 104, 105} // series by labels, then time
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	q.Expr = `latency{version="v9"}`
	if got, err := src.Fetch(context.Background(), q); err != nil || len(got) != 0 {
		t.Errorf("no data: %v, %v (want empty, no error)", got, err)
	}
	q.Expr = `sum(`
	if _, err := src.Fetch(context.Background(), q); err == nil || !strings.Contains(err.Error(), "sum(") {
		t.Errorf("bad query: %v", err)
	}
}

func TestFetchRejectsHistograms(t *testing.T) {
	src := New(rangerFunc(func(context.Context, string, time.Time, time.Time, time.Duration) (promql.Matrix, annotations.Annotations, error) {
		return promql.Matrix{{Histograms: []promql.HPoint{{T: 1, H: &histogram.FloatHistogram{Count: 1}}}}}, nil, nil
	}))
	if _, err := src.Fetch(context.Background(), analysis.Query{Expr: "h", Step: time.Minute}); err == nil || !strings.Contains(err.Error(), "histogram_quantile") {
		t.Errorf("histogram result: %v", err)
	}
	boom := errors.New("boom")
	src = New(rangerFunc(func(context.Context, string, time.Time, time.Time, time.Duration) (promql.Matrix, annotations.Annotations, error) {
		return nil, nil, boom
	}))
	if _, err := src.Fetch(context.Background(), analysis.Query{Expr: "x", Step: time.Minute}); !errors.Is(err, boom) {
		t.Errorf("error not wrapped: %v", err)
	}
}
