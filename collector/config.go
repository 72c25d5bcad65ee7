package collector

import (
	"errors"
	"fmt"
	"time"
)

// Config configures the receivers.
type Config struct {
	// MaxBodyBytes bounds one request body after decompression.
	MaxBodyBytes int64 `yaml:"max_body_bytes" json:"max_body_bytes"`
	// ResourceAttributes are the OTLP resource attributes that become labels
	// on OTLP metrics and on the RED series derived from spans
	// (service.version → service_version).
	ResourceAttributes []string `yaml:"resource_attributes" json:"resource_attributes"`
	// SpanMetrics configures the span → RED series derivation.
	SpanMetrics SpanMetricsConfig `yaml:"span_metrics" json:"span_metrics"`
	// Limits bounds requests and the store; see LimitsConfig.
	Limits LimitsConfig `yaml:"limits" json:"limits"`
}

// SpanMetricsConfig configures how spans become RED series.
type SpanMetricsConfig struct {
	// Resolution is the finest spacing of samples written per series: spans
	// ending within one resolution step are folded into one sample.
	Resolution time.Duration `yaml:"resolution" json:"resolution"`
	// Buckets are the upper bounds, in seconds, of the duration histogram.
	Buckets []float64 `yaml:"buckets" json:"buckets"`
}

// DefaultConfig returns the receiver defaults.
func DefaultConfig() Config {
	return Config{
		MaxBodyBytes:       32 << 20,
		ResourceAttributes: []string{"service.name", "service.version", "service.namespace", "deployment.environment", "deployment.environment.name"},
		SpanMetrics: SpanMetricsConfig{
			Resolution: 5 * time.Second,
			Buckets:    DefaultDurationBuckets(),
		},
		Limits: DefaultLimits(),
	}
}

// DefaultDurationBuckets are exponential bounds from 1 ms to about 65 s with
// four buckets per doubling (factor 2^¼ ≈ 1.19), fine enough that latency
// quantiles interpolate within a few percent.
func DefaultDurationBuckets() []float64 {
	var b []float64
	for i := 0; i <= 64; i++ {
		b = append(b, 0.001*pow2(float64(i)/4))
	}
	return b
}

// Validate reports every invalid field.
func (c Config) Validate() error {
	var errs []error
	if c.MaxBodyBytes <= 0 {
		errs = append(errs, fmt.Errorf("collector.max_body_bytes: must be positive, got %d", c.MaxBodyBytes))
	}
	for i, a := range c.ResourceAttributes {
		if a == "" {
			errs = append(errs, fmt.Errorf("collector.resource_attributes[%d]: must not be empty", i))
		}
	}
	if c.SpanMetrics.Resolution <= 0 {
		errs = append(errs, fmt.Errorf("collector.span_metrics.resolution: must be positive, got %s", c.SpanMetrics.Resolution))
	}
	if len(c.SpanMetrics.Buckets) == 0 {
		errs = append(errs, errors.New("collector.span_metrics.buckets: must not be empty"))
	}
	for i := 1; i < len(c.SpanMetrics.Buckets); i++ {
		if !(c.SpanMetrics.Buckets[i] > c.SpanMetrics.Buckets[i-1]) {
			errs = append(errs, fmt.Errorf("collector.span_metrics.buckets[%d]: bounds must be strictly increasing", i))
			break
		}
	}
	errs = append(errs, c.Limits.validate())
	return errors.Join(errs...)
}
