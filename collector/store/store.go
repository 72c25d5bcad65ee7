package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"
	"github.com/prometheus/prometheus/util/annotations"
)

// Config configures the embedded store.
type Config struct {
	// Dir is the directory holding the TSDB blocks and write-ahead log.
	Dir string `yaml:"dir" json:"dir"`
	// Retention is how long samples are kept.
	Retention time.Duration `yaml:"retention" json:"retention"`
	// RetentionSize bounds the bytes of persisted blocks (plus WAL and
	// chunks on disk); the oldest blocks are deleted first. 0 is no bound.
	RetentionSize int64 `yaml:"retention_size" json:"retention_size"`
	// MaxExemplars is the size of the in-memory exemplar ring, shared by
	// all series; 0 disables exemplar storage.
	MaxExemplars int64 `yaml:"max_exemplars" json:"max_exemplars"`
	// OutOfOrderWindow accepts samples up to this much older than the newest
	// sample, for late and backfilled telemetry. It is also how far behind
	// the server's clock an ingested sample may be (at least 1h; see
	// MaxFuture).
	OutOfOrderWindow time.Duration `yaml:"out_of_order_window" json:"out_of_order_window"`
	// MaxFuture is how far ahead of the server's clock a sample may be, on
	// every ingest path (Prometheus' own limit is 10m). Samples are accepted
	// only within [now - max age, now + max_future], where max age is
	// OutOfOrderWindow (at least 1h, the age the TSDB accepts in order
	// without one): one sample outside would move the head's time range so
	// that every current sample is refused, or stall compaction. At most
	// half the max age, so late samples keep their room. Prometheus' own
	// handlers (remote-write 2.0, OTLP metrics) keep their fixed 10m even
	// when this is larger.
	MaxFuture time.Duration `yaml:"max_future" json:"max_future"`
	// QueryTimeout bounds one PromQL evaluation.
	QueryTimeout time.Duration `yaml:"query_timeout" json:"query_timeout"`
	// QueryMaxSamples bounds the samples one PromQL evaluation may load.
	QueryMaxSamples int `yaml:"query_max_samples" json:"query_max_samples"`
	// LookbackDelta is PromQL's staleness lookback.
	LookbackDelta time.Duration `yaml:"lookback_delta" json:"lookback_delta"`
}

// DefaultConfig returns the defaults: data in ./data, 15 days retention and
// no size bound, a two-hour out-of-order window (and so two hours of
// accepted sample age), samples up to ten minutes ahead, 100k exemplars.
// Native histograms are always on in this TSDB.
func DefaultConfig() Config {
	return Config{
		Dir:              "./data",
		Retention:        15 * 24 * time.Hour,
		OutOfOrderWindow: 2 * time.Hour,
		MaxFuture:        10 * time.Minute,
		QueryTimeout:     2 * time.Minute,
		QueryMaxSamples:  50_000_000,
		LookbackDelta:    5 * time.Minute,
		MaxExemplars:     100_000,
	}
}

// Validate reports every invalid field.
func (c Config) Validate() error {
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("store.dir: must not be empty"))
	}
	if c.Retention <= 0 {
		errs = append(errs, fmt.Errorf("store.retention: must be positive, got %s", c.Retention))
	}
	if c.RetentionSize < 0 {
		errs = append(errs, fmt.Errorf("store.retention_size: must not be negative (0 is no bound), got %d", c.RetentionSize))
	}
	if c.MaxExemplars < 0 {
		errs = append(errs, fmt.Errorf("store.max_exemplars: must not be negative (0 disables), got %d", c.MaxExemplars))
	}
	if c.OutOfOrderWindow < 0 {
		errs = append(errs, fmt.Errorf("store.out_of_order_window: must not be negative, got %s", c.OutOfOrderWindow))
	}
	if c.MaxFuture <= 0 || c.MaxFuture > c.MaxAge()/2 {
		errs = append(errs, fmt.Errorf("store.max_future: must be positive and at most half the accepted sample age (%s: store.out_of_order_window, at least 1h), got %s",
			c.MaxAge(), c.MaxFuture))
	}
	if c.QueryTimeout <= 0 {
		errs = append(errs, fmt.Errorf("store.query_timeout: must be positive, got %s", c.QueryTimeout))
	}
	if c.QueryMaxSamples <= 0 {
		errs = append(errs, fmt.Errorf("store.query_max_samples: must be positive, got %d", c.QueryMaxSamples))
	}
	if c.LookbackDelta <= 0 {
		errs = append(errs, fmt.Errorf("store.lookback_delta: must be positive, got %s", c.LookbackDelta))
	}
	return errors.Join(errs...)
}

// Store is the embedded TSDB plus a PromQL engine over it.
type Store struct {
	db     *tsdb.DB
	engine *promql.Engine
	cfg    Config
	series *seriesLimiter
	now    func() time.Time
}

// Open opens (or creates) the TSDB in cfg.Dir, replaying its write-ahead log.
func Open(cfg Config, logger *slog.Logger, reg prometheus.Registerer) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	opts := tsdb.DefaultOptions()
	opts.RetentionDuration = cfg.Retention.Milliseconds()
	opts.OutOfOrderTimeWindow = cfg.OutOfOrderWindow.Milliseconds()
	opts.MaxBytes = cfg.RetentionSize
	opts.EnableExemplarStorage = cfg.MaxExemplars > 0
	opts.MaxExemplars = cfg.MaxExemplars
	limiter := newSeriesLimiter(time.Now)
	opts.SeriesLifecycleCallback = limiter
	db, err := tsdb.Open(cfg.Dir, logger.With("component", "tsdb"), reg, opts, nil)
	if err != nil {
		return nil, fmt.Errorf("open tsdb in %s: %w", cfg.Dir, err)
	}
	limiter.head = db.Head().NumSeries
	eopts := engineOptions(cfg, logger.With("component", "promql"), cfg.QueryMaxSamples)
	eopts.Reg = reg
	engine := promql.NewEngine(eopts)
	return &Store{db: db, engine: engine, cfg: cfg, series: limiter, now: time.Now}, nil
}

// Close flushes and closes the TSDB.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close tsdb: %w", err)
	}
	return nil
}

// Appender returns a transaction for appending samples (remote-write path).
// It refuses samples outside the accepted time window (see CheckTime).
func (s *Store) Appender(ctx context.Context) storage.Appender {
	return &windowAppender{Appender: s.db.Appender(ctx), w: s.cfg.Window(s.now())}
}

// AppenderV2 returns a transaction for appending samples (OTLP path). It
// refuses samples outside the accepted time window (see CheckTime).
func (s *Store) AppenderV2(ctx context.Context) storage.AppenderV2 {
	return &windowAppenderV2{AppenderV2: s.db.AppenderV2(ctx), w: s.cfg.Window(s.now())}
}

// ActiveSeries is the number of series in the TSDB head: those written
// since the last head compaction, the unit of memory cost and of the
// collector's max_active_series limit.
func (s *Store) ActiveSeries() uint64 { return s.db.Head().NumSeries() }

// LimitActiveSeries bounds the series in the head to n (0 or less: no
// bound): at the bound, an append that would create a series fails with a
// SeriesLimitError, while samples of existing series are stored as usual.
// Head compaction drops series idle for about two hours, which makes room
// again. Series replayed from the write-ahead log are never refused.
func (s *Store) LimitActiveSeries(n int64) { s.series.limit.Store(uint64(max(n, 0))) }

// ExemplarQuerier returns a querier over the stored exemplars.
func (s *Store) ExemplarQuerier(ctx context.Context) (storage.ExemplarQuerier, error) {
	return s.db.ExemplarQuerier(ctx)
}

// Querier returns a querier over [mint, maxt] in milliseconds.
func (s *Store) Querier(mint, maxt int64) (storage.Querier, error) { return s.db.Querier(mint, maxt) }

// Engine returns the PromQL engine bound to this store.
func (s *Store) Engine() *promql.Engine { return s.engine }

// Instant evaluates a PromQL expression at ts. The returned value is a copy
// the caller owns.
func (s *Store) Instant(ctx context.Context, expr string, ts time.Time) (parser.Value, annotations.Annotations, error) {
	return instant(ctx, s.engine, s, expr, ts)
}

func instant(ctx context.Context, engine *promql.Engine, s *Store, expr string, ts time.Time) (parser.Value, annotations.Annotations, error) {
	q, err := engine.NewInstantQuery(ctx, s, nil, expr, ts)
	if err != nil {
		return nil, nil, err
	}
	defer q.Close()
	res := q.Exec(ctx)
	if res.Err != nil {
		return nil, res.Warnings, res.Err
	}
	return copyValue(res.Value), res.Warnings, nil
}

// Range evaluates a PromQL expression over [start, end] every step. The
// returned matrix is a copy the caller owns.
func (s *Store) Range(ctx context.Context, expr string, start, end time.Time, step time.Duration) (promql.Matrix, annotations.Annotations, error) {
	return rangeQuery(ctx, s.engine, s, expr, start, end, step)
}

func rangeQuery(ctx context.Context, engine *promql.Engine, s *Store, expr string, start, end time.Time, step time.Duration) (promql.Matrix, annotations.Annotations, error) {
	q, err := engine.NewRangeQuery(ctx, s, nil, expr, start, end, step)
	if err != nil {
		return nil, nil, err
	}
	defer q.Close()
	res := q.Exec(ctx)
	if res.Err != nil {
		return nil, res.Warnings, res.Err
	}
	m, err := res.Matrix()
	if err != nil {
		return nil, res.Warnings, err
	}
	return copyMatrix(m), res.Warnings, nil
}

// copyValue detaches a query result from the engine's pooled buffers, which
// are recycled when the query is closed.
func copyValue(v parser.Value) parser.Value {
	switch v := v.(type) {
	case promql.Matrix:
		return copyMatrix(v)
	case promql.Vector:
		out := make(promql.Vector, len(v))
		for i, smp := range v {
			out[i] = smp
			if smp.H != nil {
				out[i].H = smp.H.Copy()
			}
		}
		return out
	default:
		return v
	}
}

func copyMatrix(m promql.Matrix) promql.Matrix {
	out := make(promql.Matrix, len(m))
	for i, s := range m {
		out[i] = promql.Series{Metric: s.Metric, Floats: slices.Clone(s.Floats)}
		if len(s.Histograms) > 0 {
			out[i].Histograms = make([]promql.HPoint, len(s.Histograms))
			for j, h := range s.Histograms {
				out[i].Histograms[j] = promql.HPoint{T: h.T, H: h.H.Copy()}
			}
		}
	}
	return out
}
