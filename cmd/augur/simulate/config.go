package simulate

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults applied by Run to zero-valued Config fields.
const (
	DefaultBatch          = 10 * time.Second
	DefaultMetricInterval = 15 * time.Second
	DefaultConcurrency    = 2
	// DefaultHTTPTimeout is the per-request timeout of the client used when
	// Config.Client is nil.
	DefaultHTTPTimeout = 30 * time.Second
)

// Limits enforced by Validate so that a typo cannot make Run allocate
// without bound.
const (
	maxWindows          = 1_000_000 // batch windows or metric exports in the time range
	maxRequestsPerBatch = 1_000_000 // expected requests per cohort per batch window
)

// Cohort is one version of the simulated service: a set of identical
// instances sharing one traffic and performance profile.
type Cohort struct {
	Version       string        // service.version resource attribute, e.g. "v1"
	Instances     int           // pods; each gets service.instance.id "<service>-<version>-<i>", i from 0
	RPS           float64       // requests per second for the whole cohort (Poisson arrivals)
	LatencyMedian time.Duration // median of the log-normal request latency
	LatencySigma  float64       // log-normal shape, e.g. 0.35; 0 gives a constant latency
	ErrorRate     float64       // fraction of requests with span status ERROR and http.response.status_code 500
	CPUPerRequest float64       // CPU seconds per request, for process.cpu.time
}

// Config describes one simulation run. Zero-valued Batch, MetricInterval,
// Concurrency and Client get defaults; every other field must be set (see
// Validate). DefaultConfig returns a ready-made demo configuration that only
// lacks Endpoint, Start and End.
type Config struct {
	Endpoint       string        // base URL, e.g. "http://127.0.0.1:8080"; POSTs go to Endpoint+"/v1/traces" and Endpoint+"/v1/metrics"
	Service        string        // service.name, e.g. "checkout"
	Environment    string        // deployment.environment resource attribute, e.g. "demo"
	Operations     []string      // "METHOD /route" span names, e.g. "POST /checkout"; requests are spread evenly (uniformly at random)
	Start, End     time.Time     // simulated traffic time range (backfill)
	Batch          time.Duration // simulated time covered by one HTTP request per cohort (default 10s)
	MetricInterval time.Duration // simulated metrics export interval (default 15s)
	Cohorts        []Cohort
	Seed           int64
	// ChildSpans adds to every request one CLIENT child span for a database
	// call ("SELECT orders", ...) lasting a fraction of the request.
	ChildSpans  bool
	Client      *http.Client // nil: a client using http.DefaultTransport with DefaultHTTPTimeout
	Concurrency int          // parallel senders (default 2); cohorts of one batch window are sent in parallel
}

// DefaultConfig returns the demo setup: a "checkout" service in environment
// "demo" with baseline v1 and canary v2 cohorts that behave identically (set a
// regression on Cohorts[1] yourself), three operations, child spans and
// default batching. The caller fills in Endpoint, Start and End.
func DefaultConfig() Config {
	cohort := func(version string) Cohort {
		return Cohort{
			Version:       version,
			Instances:     3,
			RPS:           20,
			LatencyMedian: 80 * time.Millisecond,
			LatencySigma:  0.35,
			ErrorRate:     0.005,
			CPUPerRequest: 0.004,
		}
	}
	return Config{
		Service:        "checkout",
		Environment:    "demo",
		Operations:     []string{"POST /checkout", "GET /cart", "POST /cart/items"},
		Batch:          DefaultBatch,
		MetricInterval: DefaultMetricInterval,
		Cohorts:        []Cohort{cohort("v1"), cohort("v2")},
		Seed:           1,
		ChildSpans:     true,
		Concurrency:    DefaultConcurrency,
	}
}

// setDefaults fills zero-valued optional fields.
func (c *Config) setDefaults() {
	if c.Batch == 0 {
		c.Batch = DefaultBatch
	}
	if c.MetricInterval == 0 {
		c.MetricInterval = DefaultMetricInterval
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Client == nil {
		c.Client = &http.Client{Transport: http.DefaultTransport, Timeout: DefaultHTTPTimeout}
	}
}

// FieldError is one problem found by Validate.
type FieldError struct {
	Field string // Go path of the field, e.g. "Cohorts[1].ErrorRate"
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Validate checks the configuration as given; zero values of fields that
// have defaults are accepted. It returns nil or the errors.Join of one
// *FieldError per problem.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}

	if c.Endpoint == "" {
		bad("Endpoint", "required")
	} else if u, err := url.Parse(c.Endpoint); err != nil {
		bad("Endpoint", "invalid URL: %v", err)
	} else if u.Scheme != "http" && u.Scheme != "https" {
		bad("Endpoint", "scheme must be http or https, got %q", u.Scheme)
	} else if u.Host == "" {
		bad("Endpoint", "missing host in %q", c.Endpoint)
	} else if u.RawQuery != "" || u.Fragment != "" {
		bad("Endpoint", "must not have a query or fragment: %q", c.Endpoint)
	}
	if strings.TrimSpace(c.Service) == "" {
		bad("Service", "required")
	}
	if strings.TrimSpace(c.Environment) == "" {
		bad("Environment", "required")
	}

	if len(c.Operations) == 0 {
		bad("Operations", "at least one operation required")
	}
	seenOps := map[string]bool{}
	for i, op := range c.Operations {
		field := fmt.Sprintf("Operations[%d]", i)
		if _, _, err := splitOperation(op); err != nil {
			bad(field, "%v", err)
		} else if seenOps[op] {
			bad(field, "duplicate operation %q", op)
		}
		seenOps[op] = true
	}

	timesOK := true
	if c.Start.IsZero() {
		bad("Start", "required")
		timesOK = false
	}
	if c.End.IsZero() {
		bad("End", "required")
		timesOK = false
	}
	if timesOK && !c.End.After(c.Start) {
		bad("End", "must be after Start (%s), got %s", c.Start.Format(time.RFC3339), c.End.Format(time.RFC3339))
		timesOK = false
	}
	span := c.End.Sub(c.Start)

	batch := c.Batch
	if batch < 0 {
		bad("Batch", "must be >= 0 (0 means %s), got %s", DefaultBatch, batch)
	} else if batch == 0 {
		batch = DefaultBatch
	}
	if timesOK && batch > 0 && span/batch > maxWindows {
		bad("Batch", "%s splits %s into more than %d windows", batch, span, maxWindows)
	}
	interval := c.MetricInterval
	if interval < 0 {
		bad("MetricInterval", "must be >= 0 (0 means %s), got %s", DefaultMetricInterval, interval)
	} else if interval == 0 {
		interval = DefaultMetricInterval
	}
	if timesOK && interval > 0 && span/interval > maxWindows {
		bad("MetricInterval", "%s means more than %d exports over %s", interval, maxWindows, span)
	}
	if c.Concurrency < 0 {
		bad("Concurrency", "must be >= 0 (0 means %d), got %d", DefaultConcurrency, c.Concurrency)
	}

	if len(c.Cohorts) == 0 {
		bad("Cohorts", "at least one cohort required")
	}
	seenVersions := map[string]bool{}
	for i, co := range c.Cohorts {
		f := func(name string) string { return fmt.Sprintf("Cohorts[%d].%s", i, name) }
		if strings.TrimSpace(co.Version) == "" {
			bad(f("Version"), "required")
		} else if seenVersions[co.Version] {
			bad(f("Version"), "duplicate version %q", co.Version)
		}
		seenVersions[co.Version] = true
		if co.Instances < 1 {
			bad(f("Instances"), "must be >= 1, got %d", co.Instances)
		}
		if !(co.RPS > 0) || math.IsInf(co.RPS, 0) {
			bad(f("RPS"), "must be a finite number > 0, got %v", co.RPS)
		} else if batch > 0 && co.RPS*batch.Seconds() > maxRequestsPerBatch {
			bad(f("RPS"), "%v RPS over a %s batch exceeds %d requests per batch; use a smaller Batch", co.RPS, batch, maxRequestsPerBatch)
		}
		if co.LatencyMedian <= 0 {
			bad(f("LatencyMedian"), "must be > 0, got %s", co.LatencyMedian)
		}
		if !(co.LatencySigma >= 0 && co.LatencySigma <= maxSigma) {
			bad(f("LatencySigma"), "must be within [0, %v], got %v", maxSigma, co.LatencySigma)
		}
		if !(co.ErrorRate >= 0 && co.ErrorRate <= 1) {
			bad(f("ErrorRate"), "must be within [0, 1], got %v", co.ErrorRate)
		}
		if !(co.CPUPerRequest >= 0) || math.IsInf(co.CPUPerRequest, 0) {
			bad(f("CPUPerRequest"), "must be a finite number >= 0, got %v", co.CPUPerRequest)
		}
	}
	return errors.Join(errs...)
}

// maxSigma bounds the log-normal shape: beyond it the "latency" distribution
// is dominated by the maxLatency clamp and stops meaning anything.
const maxSigma = 3

// splitOperation splits "POST /checkout" into its method and route.
func splitOperation(op string) (method, route string, err error) {
	method, route, ok := strings.Cut(op, " ")
	if !ok || method == "" || strings.ToUpper(method) != method || !strings.HasPrefix(route, "/") || strings.ContainsAny(route, " \t") {
		return "", "", fmt.Errorf(`must look like "METHOD /route", e.g. "POST /checkout", got %q`, op)
	}
	return method, route, nil
}
