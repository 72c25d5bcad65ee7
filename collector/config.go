package collector

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Config configures the receivers.
type Config struct {
	// MaxBodyBytes bounds one request body after decompression.
	MaxBodyBytes int64 `yaml:"max_body_bytes" json:"max_body_bytes"`
	// ResourceAttributes are the OTLP resource attributes that become labels
	// on OTLP metrics and on the RED series derived from spans
	// (service.version → service_version). An entry ending in ".*" is a
	// prefix: on span series every resource attribute with that prefix
	// becomes a label. Prometheus' OTLP metrics translation promotes
	// explicit names only, so there "k8s.*" stands for the common
	// Kubernetes attributes (k8sResourceAttributes: k8s.namespace.name,
	// k8s.pod.name, k8s.deployment.name, k8s.container.name,
	// k8s.node.name, ...) and other prefixes are ignored. The default keeps
	// service.instance.id (service_instance_id): a span series per
	// instance, so canary analysis can judge pods as its unit.
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
	// ClassicBuckets writes the duration as a classic histogram
	// (_bucket{le}, _sum, _count) with Buckets as bounds.
	ClassicBuckets bool `yaml:"classic_buckets" json:"classic_buckets"`
	// Buckets are the upper bounds, in seconds, of the classic histogram.
	Buckets []float64 `yaml:"buckets" json:"buckets"`
	// NativeHistogram writes the duration as an integer native histogram
	// augur_span_duration_seconds too.
	NativeHistogram bool `yaml:"native_histogram" json:"native_histogram"`
	// NativeSchema is the native histogram's exponential schema, -4 to 8:
	// bucket bounds grow by 2^(2^-schema); 3 is about 9 % per bucket.
	NativeSchema int32 `yaml:"native_schema" json:"native_schema"`
	// NativeZeroThreshold is the width, in seconds, of the native
	// histogram's zero bucket.
	NativeZeroThreshold float64 `yaml:"native_zero_threshold" json:"native_zero_threshold"`
	// Exemplars attaches the trace and span ID of the slowest span of each
	// written step to the duration series (native, and _count when classic).
	Exemplars bool `yaml:"exemplars" json:"exemplars"`
	// BufferSpans is how many of the slowest and of the latest failed spans
	// are kept per service and version for drill-down; 0 keeps none.
	BufferSpans int `yaml:"buffer_spans" json:"buffer_spans"`
	// NormalizeSpanNames replaces the parts of span names that are
	// obviously identifiers (decimal numbers, UUIDs, long hex, long mixed
	// letters and digits) with {id} before spans are grouped, and drops
	// query strings from paths: GET /users/12345 becomes GET /users/{id}.
	NormalizeSpanNames bool `yaml:"normalize_span_names" json:"normalize_span_names"`
	// MaxSpanNamesPerService bounds the distinct span names of one service
	// (service.namespace and service.name) and span kind; each costs about
	// 70 series per resource. Spans of further names are counted under
	// span_name="_overflow" of their resource and kind, so request and
	// error totals stay right. 0 is no bound.
	MaxSpanNamesPerService int `yaml:"max_span_names_per_service" json:"max_span_names_per_service"`
	// MaxNewGroupsPerRequest bounds the new series groups (resource, span
	// name and kind) one request may open; the most frequent names of a
	// request are admitted first, spans of the rest go to _overflow as
	// above. 0 is no bound.
	MaxNewGroupsPerRequest int `yaml:"max_new_groups_per_request" json:"max_new_groups_per_request"`
	// IdleTimeout is how long a series group's state is kept without a
	// span; a later span starts its counters again from zero, which
	// PromQL's rate() and increase() take as a counter reset. Longer than
	// the resolution, shorter than the store's head compaction (about
	// 2 h). 0 keeps state forever.
	IdleTimeout time.Duration `yaml:"idle_timeout" json:"idle_timeout"`
}

// OverflowSpanName is the span_name of the series that count the spans of
// names over MaxSpanNamesPerService or MaxNewGroupsPerRequest.
const OverflowSpanName = "_overflow"

// DefaultConfig returns the receiver defaults.
func DefaultConfig() Config {
	return Config{
		MaxBodyBytes:       32 << 20,
		ResourceAttributes: []string{"service.name", "service.version", "service.namespace", "deployment.environment", "deployment.environment.name", "service.instance.id", "k8s.*"},
		SpanMetrics: SpanMetricsConfig{
			Resolution:             5 * time.Second,
			ClassicBuckets:         true,
			Buckets:                DefaultDurationBuckets(),
			NativeHistogram:        true,
			NativeSchema:           3,
			NativeZeroThreshold:    1e-6,
			Exemplars:              true,
			BufferSpans:            50,
			NormalizeSpanNames:     true,
			MaxSpanNamesPerService: 1000,
			MaxNewGroupsPerRequest: 1000,
			IdleTimeout:            15 * time.Minute,
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
		switch {
		case a == "":
			errs = append(errs, fmt.Errorf("collector.resource_attributes[%d]: must not be empty", i))
		case strings.Contains(a, "*") && (!strings.HasSuffix(a, ".*") || strings.Count(a, "*") > 1 || len(a) < 3):
			errs = append(errs, fmt.Errorf("collector.resource_attributes[%d]: %q: a wildcard must be a prefix ending in \".*\", like k8s.*", i, a))
		}
	}
	if c.SpanMetrics.Resolution <= 0 {
		errs = append(errs, fmt.Errorf("collector.span_metrics.resolution: must be positive, got %s", c.SpanMetrics.Resolution))
	}
	sm := c.SpanMetrics
	if !sm.ClassicBuckets && !sm.NativeHistogram {
		errs = append(errs, errors.New("collector.span_metrics: classic_buckets and native_histogram are both off; enable at least one"))
	}
	if sm.ClassicBuckets && len(sm.Buckets) == 0 {
		errs = append(errs, errors.New("collector.span_metrics.buckets: must not be empty"))
	}
	if sm.NativeHistogram {
		if sm.NativeSchema < MinNativeSchema || sm.NativeSchema > MaxNativeSchema {
			errs = append(errs, fmt.Errorf("collector.span_metrics.native_schema: want %d to %d, got %d", MinNativeSchema, MaxNativeSchema, sm.NativeSchema))
		}
		if !(sm.NativeZeroThreshold >= 0) || math.IsInf(sm.NativeZeroThreshold, 0) {
			errs = append(errs, fmt.Errorf("collector.span_metrics.native_zero_threshold: must be a non-negative number, got %v", sm.NativeZeroThreshold))
		}
	}
	if sm.BufferSpans < 0 {
		errs = append(errs, fmt.Errorf("collector.span_metrics.buffer_spans: must not be negative, got %d", sm.BufferSpans))
	}
	if sm.MaxSpanNamesPerService < 0 {
		errs = append(errs, fmt.Errorf("collector.span_metrics.max_span_names_per_service: must not be negative (0 is no bound), got %d", sm.MaxSpanNamesPerService))
	}
	if sm.MaxNewGroupsPerRequest < 0 {
		errs = append(errs, fmt.Errorf("collector.span_metrics.max_new_groups_per_request: must not be negative (0 is no bound), got %d", sm.MaxNewGroupsPerRequest))
	}
	if sm.IdleTimeout < 0 || (sm.IdleTimeout > 0 && sm.IdleTimeout <= sm.Resolution) {
		errs = append(errs, fmt.Errorf("collector.span_metrics.idle_timeout: must be longer than the resolution (%s), or 0 to keep state forever, got %s", sm.Resolution, sm.IdleTimeout))
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
