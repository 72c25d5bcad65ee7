package collector

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"

	"github.com/augurhq/augur/collector/store"
)

// isSeriesLimit says whether the store refused to create a series because
// it holds its active series limit (collector.limits.max_active_series).
func isSeriesLimit(err error) bool {
	var e *store.SeriesLimitError
	return errors.As(err, &e)
}

// seriesRefusals collects, for one OTLP metrics request, the data points
// whose series the store would not create.
type seriesRefusals struct {
	mu    sync.Mutex
	n     int
	first string
}

func (r *seriesRefusals) add(ls labels.Labels, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == 0 {
		r.first = fmt.Sprintf("%s: %v", seriesName(ls), err)
	}
	r.n++
}

type seriesRefusalsKey struct{}

// withSeriesRefusals returns ctx carrying r for refusingAppendable.
func withSeriesRefusals(ctx context.Context, r *seriesRefusals) context.Context {
	return context.WithValue(ctx, seriesRefusalsKey{}, r)
}

// refusingAppendable lets Prometheus' OTLP translation store a request in
// part when the store refuses new series at its limit: the translation
// fails and rolls back a whole request on any append error, so a refused
// series is counted in the request's seriesRefusals (from the context)
// instead, and the rest of the request is committed.
type refusingAppendable struct{ storage.AppendableV2 }

func (a refusingAppendable) AppenderV2(ctx context.Context) storage.AppenderV2 {
	app := a.AppendableV2.AppenderV2(ctx)
	if r, ok := ctx.Value(seriesRefusalsKey{}).(*seriesRefusals); ok {
		return &refusingAppender{AppenderV2: app, refused: r}
	}
	return app
}

type refusingAppender struct {
	storage.AppenderV2
	refused *seriesRefusals
}

func (a *refusingAppender) Append(ref storage.SeriesRef, ls labels.Labels, st, t int64, v float64, h *histogram.Histogram, fh *histogram.FloatHistogram, opts storage.AppendV2Options) (storage.SeriesRef, error) {
	r, err := a.AppenderV2.Append(ref, ls, st, t, v, h, fh, opts)
	if err != nil && isSeriesLimit(err) {
		a.refused.add(ls, err)
		return 0, nil
	}
	return r, err
}
