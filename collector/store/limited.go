package store

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/util/annotations"
)

// engineOptions are the options of a PromQL engine over a store configured
// by cfg, bounding the samples one evaluation may load to maxSamples: Open's
// engine (with the store's registerer) and Limited's (without metrics of
// its own) are both built from them.
func engineOptions(cfg Config, logger *slog.Logger, maxSamples int) promql.EngineOpts {
	return promql.EngineOpts{
		Logger:               logger,
		MaxSamples:           maxSamples,
		Timeout:              cfg.QueryTimeout,
		LookbackDelta:        cfg.LookbackDelta,
		EnableAtModifier:     true,
		EnableNegativeOffset: true,
		NoStepSubqueryIntervalFn: func(int64) int64 {
			return time.Minute.Milliseconds()
		},
	}
}

// Limited evaluates PromQL over a Store with its own engine, whose
// evaluations may each load at most its own number of samples, so that one
// kind of client (experiment queries) is bounded apart from the others
// (the Prometheus-compatible API, bounded by Config.QueryMaxSamples).
// Results are copies the caller owns. It is closed with its Store.
type Limited struct {
	s      *Store
	engine *promql.Engine
}

// Limited returns a view of s whose PromQL evaluations may each load at
// most maxSamples samples (the samples of one series' range selector, plus
// the result so far: a range query's result counts whole). A nil logger
// discards.
func (s *Store) Limited(maxSamples int, logger *slog.Logger) *Limited {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Limited{s: s, engine: promql.NewEngine(engineOptions(s.cfg, logger, maxSamples))}
}

// Instant evaluates a PromQL expression at ts, as Store.Instant does.
func (l *Limited) Instant(ctx context.Context, expr string, ts time.Time) (parser.Value, annotations.Annotations, error) {
	return instant(ctx, l.engine, l.s, expr, ts)
}

// Range evaluates a PromQL expression over [start, end] every step, as
// Store.Range does.
func (l *Limited) Range(ctx context.Context, expr string, start, end time.Time, step time.Duration) (promql.Matrix, annotations.Annotations, error) {
	return rangeQuery(ctx, l.engine, l.s, expr, start, end, step)
}
