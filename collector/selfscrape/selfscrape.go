package selfscrape

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/storage"
)

// Config configures the self-scrape.
type Config struct {
	// Enabled turns the self-scrape on (the default): augur's own series
	// land in the embedded store, queryable with PromQL.
	Enabled bool `yaml:"enabled"`
	// Interval is how often the registry is appended (15 s, Prometheus'
	// usual scrape interval).
	Interval time.Duration `yaml:"interval"`
}

// MinInterval is the shortest interval accepted.
const MinInterval = time.Second

// DefaultConfig returns the defaults: on, every 15 s.
func DefaultConfig() Config { return Config{Enabled: true, Interval: 15 * time.Second} }

// Validate reports invalid fields.
func (c Config) Validate() error {
	if c.Enabled && c.Interval < MinInterval {
		return fmt.Errorf("self_scrape.interval: must be at least %s, got %s", MinInterval, c.Interval)
	}
	return nil
}

// Target is the job and instance labels of the scraped series.
type Target struct {
	Job      string
	Instance string
}

// Scraper appends a Gatherer's families to an Appendable.
type Scraper struct {
	g      prometheus.Gatherer
	app    storage.Appendable
	target Target
	every  time.Duration
	logger *slog.Logger
	now    func() time.Time
	tick   func(time.Duration) (<-chan time.Time, func())

	mu   sync.Mutex // one scrape at a time
	last map[uint64]labels.Labels

	cancel context.CancelFunc
	done   chan struct{}
}

// Option changes a Scraper's defaults (tests).
type Option func(*Scraper)

// WithClock replaces time.Now and time.NewTicker.
func WithClock(now func() time.Time, tick func(time.Duration) (<-chan time.Time, func())) Option {
	return func(s *Scraper) { s.now, s.tick = now, tick }
}

// New returns a scraper of g into app every cfg.Interval.
func New(g prometheus.Gatherer, app storage.Appendable, target Target, cfg Config, logger *slog.Logger, opts ...Option) *Scraper {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Scraper{
		g: g, app: app, target: target, every: cfg.Interval, logger: logger, now: time.Now,
		tick: func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		},
		last: map[uint64]labels.Labels{},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Start scrapes at once, then every interval, until Stop.
func (s *Scraper) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan struct{})
	c, stop := s.tick(s.every)
	go func() {
		defer close(s.done)
		defer stop()
		for {
			if err := s.Scrape(ctx); err != nil && ctx.Err() == nil {
				s.logger.Warn("self-scrape failed", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-c:
			}
		}
	}()
}

// Stop ends the loop and waits for a scrape in progress. It is a no-op
// when the scraper was not started.
func (s *Scraper) Stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	<-s.done
}

// Scrape gathers once and appends every sample at the current time, with
// staleness markers for the series the previous scrape had and this one
// has not. Samples the store refuses are skipped (and counted in the
// error); the rest are committed.
func (s *Scraper) Scrape(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	start := s.now()
	mfs, gerr := s.g.Gather()
	samples := Samples(mfs, s.target)
	ts := start.UnixMilli()
	up := 1.0
	if gerr != nil && len(mfs) == 0 {
		up = 0
	}
	meta := func(name string, v float64) Sample {
		return Sample{Labels: labels.FromStrings(model.MetricNameLabel, name, "instance", s.target.Instance, "job", s.target.Job), Value: v}
	}
	n := len(samples)
	samples = append(samples,
		meta("up", up),
		meta("scrape_samples_scraped", float64(n)),
		meta("scrape_duration_seconds", s.now().Sub(start).Seconds()),
	)

	app := s.app.Appender(ctx)
	seen := make(map[uint64]labels.Labels, len(samples))
	var refused int
	var firstErr error
	add := func(ls labels.Labels, v float64) {
		if _, err := app.Append(0, ls, ts, v); err != nil {
			refused++
			if firstErr == nil {
				firstErr = fmt.Errorf("%s: %w", ls.String(), err)
			}
		}
	}
	for _, smp := range samples {
		h := smp.Labels.Hash()
		if _, dup := seen[h]; dup {
			continue
		}
		seen[h] = smp.Labels
		add(smp.Labels, smp.Value)
	}
	for h, ls := range s.last {
		if _, ok := seen[h]; !ok {
			add(ls, math.Float64frombits(value.StaleNaN))
		}
	}
	if err := app.Commit(); err != nil {
		return errors.Join(gerr, fmt.Errorf("self-scrape commit: %w", err))
	}
	s.last = seen
	if refused > 0 {
		gerr = errors.Join(gerr, fmt.Errorf("self-scrape: the store refused %d samples, the first %w", refused, firstErr))
	}
	return gerr
}

// Sample is one series' value.
type Sample struct {
	Labels labels.Labels
	Value  float64
}

// Samples flattens metric families the way Prometheus scrapes them: the
// target's job and instance labels (a metric's own job or instance label
// kept as exported_job, exported_instance), counters, gauges and untyped
// under their names, summaries as name{quantile}, name_sum and
// name_count, histograms as name_bucket{le} (with le="+Inf"), name_sum and
// name_count. Native histogram buckets are not carried.
func Samples(mfs []*dto.MetricFamily, t Target) []Sample {
	var out []Sample
	for _, mf := range mfs {
		name := mf.GetName()
		for _, m := range mf.GetMetric() {
			b := labels.NewScratchBuilder(len(m.GetLabel()) + 3)
			for _, lp := range m.GetLabel() {
				n := lp.GetName()
				if n == "job" || n == "instance" {
					n = "exported_" + n
				}
				b.Add(n, lp.GetValue())
			}
			b.Add("job", t.Job)
			b.Add("instance", t.Instance)
			b.Sort()
			base := b.Labels()
			series := func(suffix string, v float64, extra ...string) {
				lb := labels.NewBuilder(base)
				lb.Set(model.MetricNameLabel, name+suffix)
				for i := 0; i+1 < len(extra); i += 2 {
					lb.Set(extra[i], extra[i+1])
				}
				out = append(out, Sample{Labels: lb.Labels(), Value: v})
			}
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				series("", m.GetCounter().GetValue())
			case dto.MetricType_GAUGE:
				series("", m.GetGauge().GetValue())
			case dto.MetricType_UNTYPED:
				series("", m.GetUntyped().GetValue())
			case dto.MetricType_SUMMARY:
				sm := m.GetSummary()
				for _, q := range sm.GetQuantile() {
					series("", q.GetValue(), "quantile", formatFloat(q.GetQuantile()))
				}
				series("_sum", sm.GetSampleSum())
				series("_count", float64(sm.GetSampleCount()))
			case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
				h := m.GetHistogram()
				count := float64(h.GetSampleCount())
				if h.SampleCountFloat != nil {
					count = h.GetSampleCountFloat()
				}
				inf := false
				for _, bk := range h.GetBucket() {
					c := float64(bk.GetCumulativeCount())
					if bk.CumulativeCountFloat != nil {
						c = bk.GetCumulativeCountFloat()
					}
					inf = inf || math.IsInf(bk.GetUpperBound(), 1)
					series("_bucket", c, "le", formatFloat(bk.GetUpperBound()))
				}
				if !inf {
					series("_bucket", count, "le", "+Inf")
				}
				series("_sum", h.GetSampleSum())
				series("_count", count)
			}
		}
	}
	return out
}

// formatFloat writes le and quantile values as Prometheus does.
func formatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
