package store

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/prometheus/model/exemplar"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"
)

// minMaxAge is the age the TSDB accepts in-order samples at even without an
// out-of-order window: half its two-hour head block range.
const minMaxAge = time.Duration(tsdb.DefaultBlockDuration) * time.Millisecond / 2

// MaxAge is how far behind the server's clock a sample may be: the
// out-of-order window, or the hour the TSDB head accepts in-order samples
// over when that window is shorter. An older sample would be refused by the
// TSDB as soon as current data flows; accepted into an empty head it would
// only drag the head's start back and stall compaction.
func (c Config) MaxAge() time.Duration { return max(c.OutOfOrderWindow, minMaxAge) }

// Window returns the sample times the store accepts at now.
func (c Config) Window(now time.Time) TimeWindow {
	return TimeWindow{
		Min:       now.Add(-c.MaxAge()).UnixMilli(),
		Max:       now.Add(c.MaxFuture).UnixMilli(),
		now:       now,
		maxAge:    c.MaxAge(),
		maxFuture: c.MaxFuture,
	}
}

// TimeWindow is the span of sample times, in milliseconds since the epoch
// and inclusive, that the store accepts at one moment.
type TimeWindow struct {
	Min, Max          int64
	now               time.Time
	maxAge, maxFuture time.Duration
}

// Check reports whether a sample (or exemplar) at t, in milliseconds, may
// be stored. The error wraps storage.ErrOutOfBounds, which Prometheus' own
// receivers and collector's treat as the one sample's fault (a 400 or a
// partial success), never as a storage failure; it names the sample's time
// and the bound it breaks.
func (w TimeWindow) Check(t int64) error {
	switch {
	case t > w.Max:
		return fmt.Errorf("%w: sample time %s is more than store.max_future (%s) ahead of the server's clock (%s)",
			storage.ErrOutOfBounds, formatMillis(t), w.maxFuture, w.now.UTC().Format(time.RFC3339))
	case t < w.Min:
		return fmt.Errorf("%w: sample time %s is more than %s (store.out_of_order_window, at least 1h) behind the server's clock (%s)",
			storage.ErrOutOfBounds, formatMillis(t), w.maxAge, w.now.UTC().Format(time.RFC3339))
	}
	return nil
}

// formatMillis renders a sample time as RFC 3339, or as raw milliseconds
// when its year has no four-digit form.
func formatMillis(t int64) string {
	tm := time.UnixMilli(t).UTC()
	if y := tm.Year(); y < 0 || y > 9999 {
		return fmt.Sprintf("%d ms since 1970", t)
	}
	return tm.Format(time.RFC3339Nano)
}

// CheckTime reports whether a sample at t, in milliseconds, is inside the
// window the store accepts now (see TimeWindow.Check). Receivers call it per
// span or log record, so that only the offending one is rejected; the
// store's appenders apply the same check to every sample, histogram and
// exemplar whatever path it comes by.
func (s *Store) CheckTime(t int64) error { return s.cfg.Window(s.now()).Check(t) }

// StoredRange returns the times of the oldest and newest samples the store
// holds, in blocks and in the head (in order and out of order), in
// milliseconds; ok is false when it holds none.
func (s *Store) StoredRange() (mint, maxt int64, ok bool) { return storedRange(s.db) }

// windowAppender refuses samples, histograms and exemplars outside the
// window the store accepted when the appender was opened.
type windowAppender struct {
	storage.Appender
	w TimeWindow
}

func (a *windowAppender) Append(ref storage.SeriesRef, l labels.Labels, t int64, v float64) (storage.SeriesRef, error) {
	if err := a.w.Check(t); err != nil {
		return 0, err
	}
	return a.Appender.Append(ref, l, t, v)
}

func (a *windowAppender) AppendHistogram(ref storage.SeriesRef, l labels.Labels, t int64, h *histogram.Histogram, fh *histogram.FloatHistogram) (storage.SeriesRef, error) {
	if err := a.w.Check(t); err != nil {
		return 0, err
	}
	return a.Appender.AppendHistogram(ref, l, t, h, fh)
}

func (a *windowAppender) AppendExemplar(ref storage.SeriesRef, l labels.Labels, e exemplar.Exemplar) (storage.SeriesRef, error) {
	if err := a.w.Check(e.Ts); err != nil {
		return 0, fmt.Errorf("exemplar: %w", err)
	}
	return a.Appender.AppendExemplar(ref, l, e)
}

// AppendSTZeroSample and AppendHistogramSTZeroSample write a zero sample at
// st, so st is what must be in the window.
func (a *windowAppender) AppendSTZeroSample(ref storage.SeriesRef, l labels.Labels, t, st int64) (storage.SeriesRef, error) {
	if err := a.w.Check(st); err != nil {
		return 0, err
	}
	return a.Appender.AppendSTZeroSample(ref, l, t, st)
}

func (a *windowAppender) AppendHistogramSTZeroSample(ref storage.SeriesRef, l labels.Labels, t, st int64, h *histogram.Histogram, fh *histogram.FloatHistogram) (storage.SeriesRef, error) {
	if err := a.w.Check(st); err != nil {
		return 0, err
	}
	return a.Appender.AppendHistogramSTZeroSample(ref, l, t, st, h, fh)
}

// windowAppenderV2 is windowAppender for the OTLP path. The start
// timestamp st needs no check: this TSDB neither stores it nor turns it
// into a zero sample.
type windowAppenderV2 struct {
	storage.AppenderV2
	w TimeWindow
}

// Append refuses a sample outside the window; exemplars outside it are
// dropped and reported as a storage.AppendPartialError, the sample stored.
func (a *windowAppenderV2) Append(ref storage.SeriesRef, ls labels.Labels, st, t int64, v float64, h *histogram.Histogram, fh *histogram.FloatHistogram, opts storage.AOptions) (storage.SeriesRef, error) {
	if err := a.w.Check(t); err != nil {
		return 0, err
	}
	var partial *storage.AppendPartialError
	for i, e := range opts.Exemplars {
		if err := a.w.Check(e.Ts); err != nil {
			if partial == nil {
				partial = &storage.AppendPartialError{}
				opts.Exemplars = append([]exemplar.Exemplar(nil), opts.Exemplars[:i]...)
			}
			partial.ExemplarErrors = append(partial.ExemplarErrors, fmt.Errorf("exemplar: %w", err))
			continue
		}
		if partial != nil {
			opts.Exemplars = append(opts.Exemplars, e)
		}
	}
	ref, err := a.AppenderV2.Append(ref, ls, st, t, v, h, fh, opts)
	if partial == nil {
		return ref, err
	}
	if err != nil {
		var inner *storage.AppendPartialError
		if !errors.As(err, &inner) {
			return ref, err
		}
		partial.ExemplarErrors = append(partial.ExemplarErrors, inner.ExemplarErrors...)
	}
	return ref, partial
}
