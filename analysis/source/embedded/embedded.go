package embedded

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/util/annotations"

	"github.com/augurhq/augur/analysis"
)

// Ranger evaluates PromQL range queries.
type Ranger interface {
	Range(ctx context.Context, expr string, start, end time.Time, step time.Duration) (promql.Matrix, annotations.Annotations, error)
}

// Source reads metrics from the embedded store.
type Source struct{ r Ranger }

// New returns a Source over r.
func New(r Ranger) *Source { return &Source{r: r} }

// Fetch evaluates q and returns every float value of every series, in
// series then time order. Histogram-valued results are an error: the query
// must reduce them (histogram_quantile, histogram_avg...).
func (s *Source) Fetch(ctx context.Context, q analysis.Query) ([]float64, error) {
	m, _, err := s.r.Range(ctx, q.Expr, q.Start, q.End, q.Step)
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", q.Expr, err)
	}
	var out []float64
	for _, series := range m {
		if len(series.Histograms) > 0 {
			return nil, fmt.Errorf("query %q returns native histograms: reduce them to numbers, e.g. with histogram_quantile", q.Expr)
		}
		for _, p := range series.Floats {
			out = append(out, p.F)
		}
	}
	return out, nil
}
