package collector

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

// LimitsConfig bounds what one request and the store as a whole may take.
// Zero disables a limit.
//
// Per-series limits (labels per series, label name and value length, and
// the store's active series) reject only the offending series, span or data
// point; the rest of the batch is stored. The per-request series limit
// rejects the whole request with 400. Over the concurrent requests limit,
// shared by all ingest endpoints, a request is refused for overload.
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
	// MaxConcurrentRequests bounds the ingest requests served at once,
	// shared by every ingest endpoint, HTTP and gRPC (OTLP metrics, traces
	// and logs, Loki push, remote write, Jaeger PostSpans; see Limiter).
	// More are refused at once rather than queued: 429 with Retry-After
	// over HTTP, RESOURCE_EXHAUSTED with a retry delay over gRPC. A request
	// takes its slot once its body is read, so slow senders hold none.
	MaxConcurrentRequests int `yaml:"max_concurrent_requests" json:"max_concurrent_requests"`
	// MaxBodyBytesInFlight bounds the bytes of HTTP ingest request bodies
	// held in memory at once, across every endpoint: those being read and
	// those being served. Bodies are read before a concurrency slot is
	// taken, so without it many senders each trickling a body of up to
	// max_body_bytes could hold any amount of memory until the read timeout.
	// Over it a request is refused for overload (429 with Retry-After),
	// before its body is read when its Content-Length says so.
	MaxBodyBytesInFlight int64 `yaml:"max_body_bytes_in_flight" json:"max_body_bytes_in_flight"`
	// RetryAfter is the retry delay of a refusal for overload: the
	// Retry-After of a 429, rounded to whole seconds, at least 1, and the
	// RetryInfo of a gRPC RESOURCE_EXHAUSTED.
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
		MaxBodyBytesInFlight:  1 << 30,
		RetryAfter:            5 * time.Second,
	}
}

func (l LimitsConfig) validate() error {
	var errs []error
	for name, v := range map[string]int64{
		"max_series_per_request":   int64(l.MaxSeriesPerRequest),
		"max_labels_per_series":    int64(l.MaxLabelsPerSeries),
		"max_label_name_length":    int64(l.MaxLabelNameLength),
		"max_label_value_length":   int64(l.MaxLabelValueLength),
		"max_active_series":        l.MaxActiveSeries,
		"max_concurrent_requests":  int64(l.MaxConcurrentRequests),
		"max_body_bytes_in_flight": l.MaxBodyBytesInFlight,
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
