package embedded

import (
	"context"
	"errors"
	"fmt"
	"strings"
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

func TestFetchRejectsHistograms(t *testing.T) {
	src := New(rangerFunc(func(context.Context, string, time.Time, time.Time, time.Duration) (promql.Matrix, annotations.Annotations, error) {
		return promql.Matrix{{Histograms: []promql.HPoint{{T: 1, H: &histogram.FloatHistogram{Count: 1}}}}}, nil, nil
	}))
	if _, err := src.Fetch(context.Background(), analysis.Query{Expr: "h", Step: time.Minute}); err == nil || !strings.Contains(err.Error(), "histogram_quantile") {
		t.Errorf("histogram result: %v", err)
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
