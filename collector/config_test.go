package collector

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
		want   []string // substrings the error must contain; none: valid
		reject []string // substrings it must not contain
	}{
		{name: "defaults", modify: func(*Config) {}},
		{name: "no resource attributes", modify: func(c *Config) { c.ResourceAttributes = nil }},
		{name: "single bucket", modify: func(c *Config) { c.SpanMetrics.Buckets = []float64{1} }},
		{name: "zero body limit", modify: func(c *Config) { c.MaxBodyBytes = 0 }, want: []string{"collector.max_body_bytes", "got 0"}},
		{name: "negative body limit", modify: func(c *Config) { c.MaxBodyBytes = -1 }, want: []string{"collector.max_body_bytes"}},
		{name: "empty resource attribute", modify: func(c *Config) { c.ResourceAttributes = []string{"service.name", ""} }, want: []string{"collector.resource_attributes[1]"}, reject: []string{"resource_attributes[0]"}},
		{name: "zero resolution", modify: func(c *Config) { c.SpanMetrics.Resolution = 0 }, want: []string{"collector.span_metrics.resolution"}},
		{name: "negative resolution", modify: func(c *Config) { c.SpanMetrics.Resolution = -time.Second }, want: []string{"collector.span_metrics.resolution", "-1s"}},
		{name: "no buckets", modify: func(c *Config) { c.SpanMetrics.Buckets = nil }, want: []string{"collector.span_metrics.buckets: must not be empty"}},
		{name: "repeated bound", modify: func(c *Config) { c.SpanMetrics.Buckets = []float64{0.1, 0.2, 0.2} }, want: []string{"collector.span_metrics.buckets[2]"}},
		{name: "decreasing bound", modify: func(c *Config) { c.SpanMetrics.Buckets = []float64{1, 0.5} }, want: []string{"collector.span_metrics.buckets[1]"}},
		{name: "NaN bound", modify: func(c *Config) { c.SpanMetrics.Buckets = []float64{0.1, math.NaN()} }, want: []string{"collector.span_metrics.buckets[1]"}},
		{name: "every field at once", modify: func(c *Config) {
			*c = Config{ResourceAttributes: []string{""}}
		}, want: []string{"collector.max_body_bytes", "collector.resource_attributes[0]", "collector.span_metrics.resolution", "collector.span_metrics: classic_buckets and native_histogram are both off"}},
		{name: "native only", modify: func(c *Config) { c.SpanMetrics.ClassicBuckets = false; c.SpanMetrics.Buckets = nil }},
		{name: "schema too fine", modify: func(c *Config) { c.SpanMetrics.NativeSchema = 9 }, want: []string{"collector.span_metrics.native_schema: want -4 to 8, got 9"}},
		{name: "negative zero threshold", modify: func(c *Config) { c.SpanMetrics.NativeZeroThreshold = -1 }, want: []string{"collector.span_metrics.native_zero_threshold"}},
		{name: "negative buffer", modify: func(c *Config) { c.SpanMetrics.BufferSpans = -1 }, want: []string{"collector.span_metrics.buffer_spans"}},
		{name: "no span limits, state kept", modify: func(c *Config) {
			c.SpanMetrics.MaxSpanNamesPerService, c.SpanMetrics.MaxNewGroupsPerRequest, c.SpanMetrics.IdleTimeout = 0, 0, 0
		}},
		{name: "negative span limits", modify: func(c *Config) {
			c.SpanMetrics.MaxSpanNamesPerService, c.SpanMetrics.MaxNewGroupsPerRequest = -1, -2
		}, want: []string{"collector.span_metrics.max_span_names_per_service", "collector.span_metrics.max_new_groups_per_request", "got -2"}},
		{name: "idle timeout within the resolution", modify: func(c *Config) { c.SpanMetrics.IdleTimeout = c.SpanMetrics.Resolution }, want: []string{"collector.span_metrics.idle_timeout", "longer than the resolution"}},
		{name: "prefix wildcard", modify: func(c *Config) { c.ResourceAttributes = []string{"service.name", "cloud.*"} }},
		{name: "inner wildcard", modify: func(c *Config) { c.ResourceAttributes = []string{"k8s.*.name", "*"} }, want: []string{"collector.resource_attributes[0]", "collector.resource_attributes[1]", "a wildcard must be a prefix"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tc.modify(&cfg)
			err := cfg.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				if _, err := NewSpanMetrics(discardLogger(), &fakeAppendable{}, cfg); err != nil {
					t.Errorf("NewSpanMetrics with a valid config: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error naming %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to contain %q", err, w)
				}
			}
			for _, r := range tc.reject {
				if strings.Contains(err.Error(), r) {
					t.Errorf("Validate() = %q, must not mention %q", err, r)
				}
			}
			if _, err := NewSpanMetrics(discardLogger(), &fakeAppendable{}, cfg); err == nil {
				t.Error("NewSpanMetrics accepted an invalid config")
			}
		})
	}
}

func TestDefaultDurationBuckets(t *testing.T) {
	b := DefaultDurationBuckets()
	if len(b) == 0 || b[0] != 0.001 {
		t.Fatalf("first bound = %v, want 0.001", b)
	}
	for i := 1; i < len(b); i++ {
		if !(b[i] > b[i-1]) {
			t.Fatalf("bounds not strictly increasing at %d: %v then %v", i, b[i-1], b[i])
		}
		// Four buckets per doubling: each bound is 2^¼ ≈ 1.189207 times the last.
		if r := b[i] / b[i-1]; math.Abs(r-1.189207115002721) > 1e-9 {
			t.Errorf("ratio %d = %v, want 2^¼", i, r)
		}
	}
	// Doubling every four bounds from 1 ms: 1.024 s after 40, ~65 s at the top.
	if math.Abs(b[40]-1.024) > 1e-12 {
		t.Errorf("bound 40 = %v, want 1.024", b[40])
	}
	if top := b[len(b)-1]; top < 60 || top > 70 {
		t.Errorf("top bound = %v, want about 65 s", top)
	}
	if err := (Config{MaxBodyBytes: 1, SpanMetrics: SpanMetricsConfig{Resolution: time.Second, ClassicBuckets: true, Buckets: b}}).Validate(); err != nil {
		t.Errorf("default buckets do not validate: %v", err)
	}
}
