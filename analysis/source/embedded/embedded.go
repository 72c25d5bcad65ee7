package embedded

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/util/annotations"

	"github.com/augurhq/augur/analysis"
)

// Querier evaluates PromQL range and instant queries.
type Querier interface {
	Range(ctx context.Context, expr string, start, end time.Time, step time.Duration) (promql.Matrix, annotations.Annotations, error)
	Instant(ctx context.Context, expr string, ts time.Time) (parser.Value, annotations.Annotations, error)
}

// Source reads metrics from the embedded store.
type Source struct{ q Querier }

// New returns a Source over q.
func New(q Querier) *Source { return &Source{q: q} }

// Fetch evaluates q (an instant query at q.End when q.Step is 0) and returns
// every series. Histogram-valued results are an error: the query must reduce
// them (histogram_quantile, histogram_avg...).
func (s *Source) Fetch(ctx context.Context, q analysis.Query) ([]analysis.Series, error) {
	if q.Instant() {
		res, _, err := s.q.Instant(ctx, q.Expr, q.End)
		if err != nil {
			return nil, queryError(q.Expr, err)
		}
		var v promql.Vector
		switch r := res.(type) {
		case promql.Vector:
			v = r
		case promql.Scalar:
			return []analysis.Series{{Labels: map[string]string{}, Points: []analysis.Point{{T: r.T, V: r.V}}}}, nil
		default:
			return nil, analysis.Permanent(fmt.Errorf("query %q: instant query returns %s, want a vector or scalar", q.Expr, res.Type()))
		}
		out := make([]analysis.Series, 0, len(v))
		for _, smp := range v {
			if smp.H != nil {
				return nil, histogramError(q.Expr)
			}
			out = append(out, analysis.Series{Labels: smp.Metric.Map(), Points: []analysis.Point{{T: smp.T, V: smp.F}}})
		}
		return out, nil
	}
	m, _, err := s.q.Range(ctx, q.Expr, q.Start, q.End, q.Step)
	if err != nil {
		return nil, queryError(q.Expr, err)
	}
	out := make([]analysis.Series, 0, len(m))
	for _, series := range m {
		if len(series.Histograms) > 0 {
			return nil, histogramError(q.Expr)
		}
		pts := make([]analysis.Point, len(series.Floats))
		for i, p := range series.Floats {
			pts[i] = analysis.Point{T: p.T, V: p.F}
		}
		out = append(out, analysis.Series{Labels: labelMap(series.Metric), Points: pts})
	}
	return out, nil
}

func labelMap(ls labels.Labels) map[string]string { return ls.Map() }

// queryError classifies err as Prometheus' HTTP API does: a cancelled or
// timed-out query and a storage failure may succeed when retried; anything
// else (a parse error, an execution error such as too many samples or
// duplicate series) is the query's own fault and permanent.
func queryError(expr string, err error) error {
	err = fmt.Errorf("query %q: %w", expr, err)
	var (
		canceled promql.ErrQueryCanceled
		timeout  promql.ErrQueryTimeout
		storage  promql.ErrStorage
	)
	if errors.As(err, &canceled) || errors.As(err, &timeout) || errors.As(err, &storage) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return analysis.Permanent(err)
}

func histogramError(expr string) error {
	return analysis.Permanent(fmt.Errorf("query %q returns native histograms: reduce them to numbers, e.g. with histogram_quantile, or ask for buckets with histogram_count and le", expr))
}
