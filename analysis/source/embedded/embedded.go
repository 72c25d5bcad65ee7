package embedded

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/prometheus/model/histogram"
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
// every series. Native histograms come back as Series.Histograms with each
// populated bucket's bounds and count.
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
				out = append(out, analysis.Series{Labels: smp.Metric.Map(), Histograms: []analysis.HistogramPoint{histPoint(smp.T, smp.H)}})
				continue
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
		pts := make([]analysis.Point, len(series.Floats))
		for i, p := range series.Floats {
			pts[i] = analysis.Point{T: p.T, V: p.F}
		}
		var hs []analysis.HistogramPoint
		for _, p := range series.Histograms {
			hs = append(hs, histPoint(p.T, p.H))
		}
		out = append(out, analysis.Series{Labels: labelMap(series.Metric), Points: pts, Histograms: hs})
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

// histPoint lists a native histogram's populated buckets (negative, zero,
// positive; exponential or custom bounds) with their bounds.
func histPoint(t int64, h *histogram.FloatHistogram) analysis.HistogramPoint {
	p := analysis.HistogramPoint{T: t, Count: h.Count, Sum: h.Sum}
	it := h.AllBucketIterator()
	for it.Next() {
		b := it.At()
		if b.Count == 0 {
			continue
		}
		p.Buckets = append(p.Buckets, analysis.HistogramBucket{Lower: b.Lower, Upper: b.Upper, Count: b.Count})
	}
	return p
}
