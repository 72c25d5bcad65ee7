package simulate

import (
	"errors"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func validConfig() Config {
	cfg := DefaultConfig()
	cfg.Endpoint = "http://127.0.0.1:8080"
	cfg.Start = testStart
	cfg.End = testStart.Add(time.Hour)
	return cfg
}

// fieldsOf lists the fields named by the FieldErrors joined in err.
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	var fields []string
	for _, e := range errs {
		var fe *FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("error %q is not a *FieldError", e)
		}
		if !strings.HasPrefix(fe.Error(), fe.Field+": ") {
			t.Fatalf("error %q does not start with its field", fe)
		}
		fields = append(fields, fe.Field)
	}
	return fields
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   []string // fields in error, in order; nil means valid
	}{
		{"default demo config", func(*Config) {}, nil},
		{"zero defaults are fine", func(c *Config) { c.Batch, c.MetricInterval, c.Concurrency, c.Client = 0, 0, 0, nil }, nil},
		{"https endpoint with path", func(c *Config) { c.Endpoint = "https://augur.example/otlp/" }, nil},
		{"zero sigma", func(c *Config) { c.Cohorts[0].LatencySigma = 0 }, nil},
		{"single cohort", func(c *Config) { c.Cohorts = c.Cohorts[:1] }, nil},
		{"empty config", func(c *Config) { *c = Config{} },
			[]string{"Endpoint", "Service", "Environment", "Operations", "Start", "End", "Cohorts"}},
		{"endpoint without scheme", func(c *Config) { c.Endpoint = "127.0.0.1:8080" }, []string{"Endpoint"}},
		{"endpoint ftp", func(c *Config) { c.Endpoint = "ftp://host" }, []string{"Endpoint"}},
		{"endpoint without host", func(c *Config) { c.Endpoint = "http://" }, []string{"Endpoint"}},
		{"endpoint with query", func(c *Config) { c.Endpoint = "http://h/?a=b" }, []string{"Endpoint"}},
		{"bad operations", func(c *Config) { c.Operations = []string{"checkout", "post /x", "GET x", "GET /a", "GET /a"} },
			[]string{"Operations[0]", "Operations[1]", "Operations[2]", "Operations[4]"}},
		{"end before start", func(c *Config) { c.End = c.Start.Add(-time.Second) }, []string{"End"}},
		{"end equals start", func(c *Config) { c.End = c.Start }, []string{"End"}},
		{"negative durations", func(c *Config) { c.Batch, c.MetricInterval, c.Concurrency = -1, -1, -1 },
			[]string{"Batch", "MetricInterval", "Concurrency"}},
		{"too many windows", func(c *Config) { c.Batch, c.MetricInterval = time.Millisecond, time.Millisecond },
			[]string{"Batch", "MetricInterval"}},
		{"bad cohort", func(c *Config) {
			c.Cohorts[1] = Cohort{Version: "v1", RPS: math.NaN(), LatencySigma: -1, ErrorRate: 1.5, CPUPerRequest: math.Inf(1)}
		}, []string{"Cohorts[1].Version", "Cohorts[1].Instances", "Cohorts[1].RPS", "Cohorts[1].LatencyMedian",
			"Cohorts[1].LatencySigma", "Cohorts[1].ErrorRate", "Cohorts[1].CPUPerRequest"}},
		{"empty version", func(c *Config) { c.Cohorts[0].Version = " " }, []string{"Cohorts[0].Version"}},
		{"zero RPS", func(c *Config) { c.Cohorts[0].RPS = 0 }, []string{"Cohorts[0].RPS"}},
		{"RPS too high for the batch", func(c *Config) { c.Cohorts[0].RPS = 1e6 }, []string{"Cohorts[0].RPS"}},
		{"sigma too large", func(c *Config) { c.Cohorts[0].LatencySigma = 10 }, []string{"Cohorts[0].LatencySigma"}},
		{"error rate bounds", func(c *Config) { c.Cohorts[0].ErrorRate, c.Cohorts[1].ErrorRate = -0.1, 1 },
			[]string{"Cohorts[0].ErrorRate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig()
			tt.mutate(&cfg)
			got := fieldsOf(t, cfg.Validate())
			if !slices.Equal(got, tt.want) {
				t.Errorf("fields in error %q, want %q (error: %v)", got, tt.want, cfg.Validate())
			}
		})
	}
}

func TestSetDefaults(t *testing.T) {
	var c Config
	c.setDefaults()
	if c.Batch != DefaultBatch || c.MetricInterval != DefaultMetricInterval || c.Concurrency != DefaultConcurrency ||
		c.Client == nil || c.Client == http.DefaultClient || c.Client.Timeout != DefaultHTTPTimeout {
		t.Errorf("defaults: %+v", c)
	}
	c = Config{Batch: time.Minute, MetricInterval: time.Second, Concurrency: 5, Client: http.DefaultClient}
	c.setDefaults()
	if c.Batch != time.Minute || c.MetricInterval != time.Second || c.Concurrency != 5 || c.Client != http.DefaultClient {
		t.Errorf("setDefaults overrode set fields: %+v", c)
	}
}

func TestBucketOf(t *testing.T) {
	tests := []struct {
		v    float64
		want int
	}{
		{0, 0}, {0.001, 0}, {0.005, 0}, {0.0050001, 1}, {0.1, 5}, {0.2, 6}, {10, 13}, {10.5, 14}, {1e9, 14},
	}
	for _, tt := range tests {
		if got := bucketOf(tt.v); got != tt.want {
			t.Errorf("bucketOf(%v) = %d, want %d", tt.v, got, tt.want)
		}
	}
}
