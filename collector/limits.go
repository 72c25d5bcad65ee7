package collector

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

// LimitsConfig bounds what one request and the store as a whole may take.
// Zero disables a limit.
//
// Per-series limits (labels per series, label name and value length, and
// the store's active series) reject only the offending series, span or data
// point; the rest of the batch is stored. The per-request series limit
// rejects the whole request with 400. Over the concurrent requests limit an
// ingest endpoint answers 429 with Retry-After.
type LimitsConfig struct {
	// MaxSeriesPerRequest bounds the series (remote write) or data points
	// (OTLP metrics) in one request.
	MaxSeriesPerRequest int `yaml:"max_series_per_request" json:"max_series_per_request"`
	// MaxLabelsPerSeries bounds the labels of one series, __name__ included.
	MaxLabelsPerSeries int `yaml:"max_labels_per_series" json:"max_labels_per_series"`
	// MaxLabelNameLength bounds a label name, in bytes.
	MaxLabelNameLength int `yaml:"max_label_name_length" json:"max_label_name_length"`
	// MaxLabelValueLength bounds a label value, in bytes.
	MaxLabelValueLength int `yaml:"max_label_value_length" json:"max_label_value_length"`
	// MaxActiveSeries bounds the series in the store's in-memory head, the
	// unit of its memory. The store enforces it as series are created
	// (store.LimitActiveSeries): at the limit, samples of existing series
	// are stored as usual and only samples that would create a series are
	// refused, each as a bad sample (400 on remote write, a partial success
	// on OTLP) naming the limit. Head compaction drops series idle for
	// about two hours, which makes room again.
	MaxActiveSeries int64 `yaml:"max_active_series" json:"max_active_series"`
	// MaxConcurrentRequests bounds the requests one ingest endpoint serves
	// at once; more are answered 429 at once rather than queued.
	MaxConcurrentRequests int `yaml:"max_concurrent_requests" json:"max_concurrent_requests"`
	// RetryAfter is the Retry-After of a 429 answer, rounded to whole
	// seconds, at least 1.
	RetryAfter time.Duration `yaml:"retry_after" json:"retry_after"`
}

// DefaultLimits returns the limit defaults.
func DefaultLimits() LimitsConfig {
	return LimitsConfig{
		MaxSeriesPerRequest:   100_000,
		MaxLabelsPerSeries:    64,
		MaxLabelNameLength:    1024,
		MaxLabelValueLength:   4096,
		MaxActiveSeries:       2_000_000,
		MaxConcurrentRequests: 64,
		RetryAfter:            5 * time.Second,
	}
}

func (l LimitsConfig) validate() error {
	var errs []error
	for name, v := range map[string]int64{
		"max_series_per_request":  int64(l.MaxSeriesPerRequest),
		"max_labels_per_series":   int64(l.MaxLabelsPerSeries),
		"max_label_name_length":   int64(l.MaxLabelNameLength),
		"max_label_value_length":  int64(l.MaxLabelValueLength),
		"max_active_series":       l.MaxActiveSeries,
		"max_concurrent_requests": int64(l.MaxConcurrentRequests),
	} {
		if v < 0 {
			errs = append(errs, fmt.Errorf("collector.limits.%s: must not be negative (0 disables), got %d", name, v))
		}
	}
	if l.RetryAfter < 0 {
		errs = append(errs, fmt.Errorf("collector.limits.retry_after: must not be negative, got %s", l.RetryAfter))
	}
	return errors.Join(errs...)
}

// checkSeries reports the first per-series limit ls breaks.
func (l LimitsConfig) checkSeries(ls labels.Labels) error {
	if l.MaxLabelsPerSeries > 0 && ls.Len() > l.MaxLabelsPerSeries {
		return fmt.Errorf("%d labels, more than the limit of %d", ls.Len(), l.MaxLabelsPerSeries)
	}
	var err error
	ls.Range(func(lb labels.Label) {
		if err != nil {
			return
		}
		err = l.checkLabel(lb.Name, lb.Value)
	})
	return err
}

// checkLabel reports whether one label name or value is too long.
func (l LimitsConfig) checkLabel(name, value string) error {
	if l.MaxLabelNameLength > 0 && len(name) > l.MaxLabelNameLength {
		return fmt.Errorf("label name %q is %d bytes, more than the limit of %d", truncate(name, 64), len(name), l.MaxLabelNameLength)
	}
	if l.MaxLabelValueLength > 0 && len(value) > l.MaxLabelValueLength {
		return fmt.Errorf("label %s value %q is %d bytes, more than the limit of %d", truncate(name, 64), truncate(value, 64), len(value), l.MaxLabelValueLength)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// gate sheds load before a request is read: too many requests in flight
// on this endpoint.
type gate struct {
	sem        chan struct{}
	retryAfter string
}

// newGate returns the gate for one endpoint.
func newGate(l LimitsConfig) *gate {
	g := &gate{retryAfter: strconv.Itoa(max(1, int(l.RetryAfter.Round(time.Second)/time.Second)))}
	if l.MaxConcurrentRequests > 0 {
		g.sem = make(chan struct{}, l.MaxConcurrentRequests)
	}
	return g
}

// wrap answers 429 with Retry-After instead of calling h when over a limit.
func (g *gate) wrap(signal string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.sem != nil {
			select {
			case g.sem <- struct{}{}:
				defer func() { <-g.sem }()
			default:
				g.tooMany(w, fmt.Sprintf("%s: overloaded, %d requests in flight; retry later", signal, cap(g.sem)))
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

func (g *gate) tooMany(w http.ResponseWriter, msg string) {
	w.Header().Set("Retry-After", g.retryAfter)
	http.Error(w, msg, http.StatusTooManyRequests)
}
