package selfscrape_test

import (
	"context"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/promql"

	"github.com/augurhq/augur/collector/selfscrape"
	"github.com/augurhq/augur/collector/store"
	"github.com/augurhq/augur/collector/store/storetest"
)

// fakeClock is an injected clock whose ticker fires when the test says.
type fakeClock struct {
	now  time.Time
	tick chan time.Time
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Ticker(time.Duration) (<-chan time.Time, func()) { return c.tick, func() {} }

// registry holds one metric of each kind augur exposes.
func registry() (*prometheus.Registry, *prometheus.CounterVec, *prometheus.GaugeVec) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "demo_requests_total", Help: "h"}, []string{"outcome"})
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "demo_verdict", Help: "h"}, []string{"verdict", "job"})
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "demo_lag_seconds", Help: "h", Buckets: []float64{0.5, 1}})
	s := prometheus.NewSummary(prometheus.SummaryOpts{Name: "demo_size_bytes", Help: "h", Objectives: map[float64]float64{0.5: 0.05}})
	reg.MustRegister(c, g, h, s)
	c.WithLabelValues("pass").Add(3)
	g.WithLabelValues("running", "exported").Set(1)
	for _, v := range []float64{0.2, 0.7, 3} {
		h.Observe(v)
		s.Observe(v)
	}
	return reg, c, g
}

func TestSamplesNaming(t *testing.T) {
	reg, _, _ := registry()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, s := range selfscrape.Samples(mfs, selfscrape.Target{Job: "augur", Instance: "127.0.0.1:8080"}) {
		if s.Labels.Get("job") != "augur" || s.Labels.Get("instance") != "127.0.0.1:8080" {
			t.Errorf("%s: lacks the target's labels", s.Labels)
		}
		got[s.Labels.String()] = s.Value
	}
	want := map[string]float64{
		`{__name__="demo_requests_total", instance="127.0.0.1:8080", job="augur", outcome="pass"}`:                      3,
		`{__name__="demo_verdict", exported_job="exported", instance="127.0.0.1:8080", job="augur", verdict="running"}`: 1,
		`{__name__="demo_lag_seconds_bucket", instance="127.0.0.1:8080", job="augur", le="0.5"}`:                        1,
		`{__name__="demo_lag_seconds_bucket", instance="127.0.0.1:8080", job="augur", le="1"}`:                          2,
		`{__name__="demo_lag_seconds_bucket", instance="127.0.0.1:8080", job="augur", le="+Inf"}`:                       3,
		`{__name__="demo_lag_seconds_sum", instance="127.0.0.1:8080", job="augur"}`:                                     3.9,
		`{__name__="demo_lag_seconds_count", instance="127.0.0.1:8080", job="augur"}`:                                   3,
		`{__name__="demo_size_bytes", instance="127.0.0.1:8080", job="augur", quantile="0.5"}`:                          0.7,
		`{__name__="demo_size_bytes_sum", instance="127.0.0.1:8080", job="augur"}`:                                      3.9,
		`{__name__="demo_size_bytes_count", instance="127.0.0.1:8080", job="augur"}`:                                    3,
	}
	for k, v := range want {
		g, ok := got[k]
		if !ok || math.Abs(g-v) > 1e-9 {
			keys := make([]string, 0, len(got))
			for k := range got {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			t.Errorf("%s = %v (present %v), want %v; have:\n%s", k, g, ok, v, strings.Join(keys, "\n"))
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d samples, want %d", len(got), len(want))
	}
}

// TestScrapeLoopIntoStore: the loop appends at once and at every tick,
// PromQL answers the series, a series that disappears is marked stale at
// the next scrape (so a query never sees the old and the new verdict
// together), and Stop ends the loop.
func TestScrapeLoopIntoStore(t *testing.T) {
	st := storetest.Open(t)
	reg, _, g := registry()
	clock := &fakeClock{now: time.Now().Truncate(time.Second), tick: make(chan time.Time)}
	s := selfscrape.New(reg, st, selfscrape.Target{Job: "augur", Instance: "127.0.0.1:8080"}, selfscrape.DefaultConfig(), nil,
		selfscrape.WithClock(clock.Now, clock.Ticker))
	s.Start()
	stopped := false
	defer func() {
		if !stopped {
			s.Stop()
		}
	}()
	first := clock.now
	waitFor(t, st, `demo_verdict{job="augur",verdict="running"}`, first, 1)

	queries := []struct {
		expr string
		want float64
	}{
		{`demo_requests_total{job="augur",instance="127.0.0.1:8080",outcome="pass"}`, 3},
		{`histogram_quantile(0.5, sum by (le) (demo_lag_seconds_bucket{job="augur"}))`, 0.75},
		{`demo_lag_seconds_count{job="augur"}`, 3},
		{`up{job="augur"}`, 1},
		{`scrape_samples_scraped{job="augur"}`, 10},
	}
	for _, q := range queries {
		t.Run(q.expr, func(t *testing.T) {
			v := storetest.Vector(t, st, q.expr, first)
			if len(v) != 1 || math.Abs(v[0].F-q.want) > 1e-9 {
				t.Errorf("%s = %v, want one sample %v", q.expr, v, q.want)
			}
		})
	}

	// The verdict changes: the running series goes, pass comes.
	g.Reset()
	g.WithLabelValues("pass", "exported").Set(1)
	clock.now = first.Add(15 * time.Second)
	clock.tick <- clock.now
	waitFor(t, st, `demo_verdict{job="augur",verdict="pass"}`, clock.now, 1)
	if v := storetest.Vector(t, st, `count(demo_verdict{job="augur"})`, clock.now); len(v) != 1 || v[0].F != 1 {
		t.Errorf("count of verdict series after the change = %v, want 1 (the old one marked stale)", v)
	}
	s.Stop()
	stopped = true
	select {
	case clock.tick <- time.Now():
		t.Error("the loop still runs after Stop")
	case <-time.After(50 * time.Millisecond):
	}
}

// waitFor polls the store until expr has n samples at ts: PromQL sees
// committed samples only.
func waitFor(t *testing.T, st *store.Store, expr string, ts time.Time, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, _, err := st.Instant(context.Background(), expr, ts)
		if err != nil {
			t.Fatal(err)
		}
		vec, _ := v.(promql.Vector)
		if len(vec) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d samples at %s, want %d", expr, len(vec), ts, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  selfscrape.Config
		want string
	}{
		{"defaults", selfscrape.DefaultConfig(), ""},
		{"off ignores the interval", selfscrape.Config{}, ""},
		{"too short", selfscrape.Config{Enabled: true, Interval: 100 * time.Millisecond}, "self_scrape.interval: must be at least 1s, got 100ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err == nil) != (tt.want == "") || (err != nil && err.Error() != tt.want) {
				t.Errorf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}
