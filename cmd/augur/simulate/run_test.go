package simulate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

var testStart = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testConfig is a 30-minute run of a baseline and a canary whose latency
// median is 1.5× and error rate 5× the baseline's.
func testConfig(endpoint string) Config {
	cfg := DefaultConfig()
	cfg.Endpoint = endpoint
	cfg.Start = testStart
	cfg.End = testStart.Add(30 * time.Minute)
	cfg.Seed = 42
	cfg.Cohorts = []Cohort{
		{Version: "v1", Instances: 3, RPS: 20, LatencyMedian: 100 * time.Millisecond, LatencySigma: 0.35, ErrorRate: 0.01, CPUPerRequest: 0.004},
		{Version: "v2", Instances: 2, RPS: 20, LatencyMedian: 150 * time.Millisecond, LatencySigma: 0.35, ErrorRate: 0.05, CPUPerRequest: 0.006},
	}
	return cfg
}

// sigmas is how many standard deviations the statistical assertions allow.
// With a fixed seed the outcome is deterministic anyway; 5σ keeps the tests
// valid for any seed (a false failure is ~1 in 10^6 per assertion).
const sigmas = 5

func cohortByVersion(cfg Config, v string) Cohort {
	for _, c := range cfg.Cohorts {
		if c.Version == v {
			return c
		}
	}
	panic("no cohort " + v)
}

func TestRunTraffic(t *testing.T) {
	rec, srv := newRecorder(t)
	cfg := testConfig(srv.URL)
	stats, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(rec.problems) > 0 {
		t.Fatalf("receiver saw protocol problems: %q", rec.problems)
	}
	spans := rec.spans()
	points := rec.points()
	startNs, endNs := pcommon.NewTimestampFromTime(cfg.Start), pcommon.NewTimestampFromTime(cfg.End)
	dur := cfg.End.Sub(cfg.Start).Seconds()

	// Index server spans and check every span's shape.
	servers := map[string][]ptrace.Span{} // by version
	byID := map[pcommon.SpanID]span{}
	var children []span
	for _, sp := range spans {
		s := sp.s
		if _, dup := byID[s.SpanID()]; dup {
			t.Fatalf("duplicate span ID %s", s.SpanID())
		}
		byID[s.SpanID()] = sp
		if s.TraceID().IsEmpty() || s.SpanID().IsEmpty() {
			t.Fatalf("span %q with an empty trace or span ID", s.Name())
		}
		if s.StartTimestamp() < startNs || s.EndTimestamp() > endNs || s.EndTimestamp() < s.StartTimestamp() {
			t.Fatalf("span %q [%v, %v] outside [%v, %v]", s.Name(), s.StartTimestamp(), s.EndTimestamp(), startNs, endNs)
		}
		if sp.scope != scopeName {
			t.Fatalf("scope %q", sp.scope)
		}
		switch s.Kind() {
		case ptrace.SpanKindServer:
			v, _ := sp.resource[attrServiceVersion].(string)
			servers[v] = append(servers[v], s)
		case ptrace.SpanKindClient:
			children = append(children, sp)
		default:
			t.Fatalf("span %q has kind %s", s.Name(), s.Kind())
		}
	}

	t.Run("resource attributes", func(t *testing.T) {
		check := func(what string, res map[string]any) {
			t.Helper()
			v, _ := res[attrServiceVersion].(string)
			c := cohortByVersion(cfg, v) // panics on an unknown version
			id, _ := res[attrServiceInstance].(string)
			var okID bool
			for i := range c.Instances {
				okID = okID || id == fmt.Sprintf("checkout-%s-%d", v, i)
			}
			if res[attrServiceName] != "checkout" || res[attrEnvironment] != "demo" || !okID || len(res) != 4 {
				t.Fatalf("%s resource %v", what, res)
			}
		}
		for _, sp := range spans {
			check("span", sp.resource)
		}
		for _, p := range points {
			check("metric", p.resource)
		}
	})

	t.Run("span count, errors and latency per cohort", func(t *testing.T) {
		var medians []float64
		for _, c := range cfg.Cohorts {
			got := servers[c.Version]
			// Arrivals are Poisson: mean and variance RPS·duration. The
			// few requests still running at End (about RPS × mean latency)
			// are not sent.
			meanLat := c.LatencyMedian.Seconds() * math.Exp(c.LatencySigma*c.LatencySigma/2)
			want := c.RPS*dur - c.RPS*meanLat
			tol := sigmas * math.Sqrt(c.RPS*dur)
			if math.Abs(float64(len(got))-want) > tol {
				t.Errorf("%s: %d server spans, want %.0f ± %.0f", c.Version, len(got), want, tol)
			}
			n := float64(len(got))

			errs := 0
			lat := make([]float64, 0, len(got))
			for _, s := range got {
				if s.Status().Code() == ptrace.StatusCodeError {
					errs++
				}
				lat = append(lat, float64(s.EndTimestamp()-s.StartTimestamp())/1e9)
			}
			// Binomial: sd = sqrt(p(1-p)/n).
			frac := float64(errs) / n
			if tol := sigmas * math.Sqrt(c.ErrorRate*(1-c.ErrorRate)/n); math.Abs(frac-c.ErrorRate) > tol {
				t.Errorf("%s: error fraction %.4f, want %.4f ± %.4f", c.Version, frac, c.ErrorRate, tol)
			}
			if cs := stats.PerCohort[c.Version]; cs.ServerSpans != len(got) || cs.Errors != errs {
				t.Errorf("%s: stats %+v, received %d server spans with %d errors", c.Version, cs, len(got), errs)
			}

			// The sample median of a log-normal has sd ≈ 1/(2 f(m) √n)
			// with density f(m) = 1/(m σ √(2π)), i.e. m σ √(π/2) / √n.
			slices.Sort(lat)
			med := lat[len(lat)/2]
			m := c.LatencyMedian.Seconds()
			if tol := sigmas * m * c.LatencySigma * math.Sqrt(math.Pi/2) / math.Sqrt(n); math.Abs(med-m) > tol {
				t.Errorf("%s: latency median %.4fs, want %.4fs ± %.4fs", c.Version, med, m, tol)
			}
			medians = append(medians, med)
		}
		if ratio := medians[1] / medians[0]; ratio < 1.4 {
			t.Errorf("canary median is %.2f× the baseline's, want ≈1.5×", ratio)
		}
	})

	t.Run("span attributes", func(t *testing.T) {
		opCount := map[string]int{}
		for _, list := range servers {
			for _, s := range list {
				opCount[s.Name()]++
				method, route, err := splitOperation(s.Name())
				if err != nil || !slices.Contains(cfg.Operations, s.Name()) {
					t.Fatalf("span name %q is not an operation", s.Name())
				}
				a := s.Attributes().AsRaw()
				code := int64(200)
				wantStatus := ptrace.StatusCodeUnset
				if s.Status().Code() == ptrace.StatusCodeError {
					code, wantStatus = 500, ptrace.StatusCodeError
				}
				if a[attrMethod] != method || a[attrRoute] != route || a[attrStatusCode] != code || s.Status().Code() != wantStatus || !s.ParentSpanID().IsEmpty() {
					t.Fatalf("server span %q: attributes %v, status %s, parent %s", s.Name(), a, s.Status().Code(), s.ParentSpanID())
				}
			}
		}
		// Operations are chosen uniformly: each count is binomial(n, 1/k).
		n := float64(stats.ServerSpans)
		p := 1 / float64(len(cfg.Operations))
		for _, op := range cfg.Operations {
			if tol := sigmas * math.Sqrt(n*p*(1-p)); math.Abs(float64(opCount[op])-n*p) > tol {
				t.Errorf("operation %q: %d requests, want %.0f ± %.0f", op, opCount[op], n*p, tol)
			}
		}
	})

	t.Run("child spans", func(t *testing.T) {
		if len(children) != stats.ServerSpans {
			t.Fatalf("%d child spans for %d requests", len(children), stats.ServerSpans)
		}
		seen := map[pcommon.SpanID]bool{}
		for _, ch := range children {
			c := ch.s
			parent, ok := byID[c.ParentSpanID()]
			if !ok || parent.s.Kind() != ptrace.SpanKindServer || seen[c.ParentSpanID()] {
				t.Fatalf("child %q: parent %s missing, not SERVER or shared", c.Name(), c.ParentSpanID())
			}
			seen[c.ParentSpanID()] = true
			p := parent.s
			if c.TraceID() != p.TraceID() || c.StartTimestamp() < p.StartTimestamp() || c.EndTimestamp() > p.EndTimestamp() ||
				parent.req != ch.req || parent.resource[attrServiceInstance] != ch.resource[attrServiceInstance] {
				t.Fatalf("child %q does not sit inside its parent %q", c.Name(), p.Name())
			}
			if _, ok := c.Attributes().Get("db.system.name"); !ok {
				t.Fatalf("child %q without db.system.name", c.Name())
			}
		}
	})

	t.Run("time order of trace exports", func(t *testing.T) {
		// Within a cohort, every export's spans end no earlier than those
		// of the export before it, and one export covers at most Batch.
		type window struct{ lo, hi pcommon.Timestamp }
		windows := map[string]map[int]*window{}
		for _, sp := range spans {
			if sp.s.Kind() != ptrace.SpanKindServer {
				continue
			}
			v := sp.resource[attrServiceVersion].(string)
			if windows[v] == nil {
				windows[v] = map[int]*window{}
			}
			w := windows[v][sp.req]
			if w == nil {
				w = &window{lo: sp.s.EndTimestamp(), hi: sp.s.EndTimestamp()}
				windows[v][sp.req] = w
			}
			w.lo, w.hi = min(w.lo, sp.s.EndTimestamp()), max(w.hi, sp.s.EndTimestamp())
		}
		for v, ws := range windows {
			reqs := slices.Sorted(func(yield func(int) bool) {
				for r := range ws {
					if !yield(r) {
						return
					}
				}
			})
			wantReqs := int(math.Ceil(dur / cfg.Batch.Seconds()))
			if len(reqs) != wantReqs {
				t.Errorf("%s: %d trace exports, want %d", v, len(reqs), wantReqs)
			}
			for i, r := range reqs {
				w := ws[r]
				if time.Duration(w.hi-w.lo) >= cfg.Batch {
					t.Errorf("%s: export %d spans %s of ends", v, r, time.Duration(w.hi-w.lo))
				}
				if i > 0 && w.lo < ws[reqs[i-1]].hi {
					t.Errorf("%s: export %d has a span ending before one in the previous export", v, r)
				}
			}
		}
	})

	t.Run("metrics", func(t *testing.T) {
		type key struct{ inst, metric, route string }
		series := map[key][]point{}
		for _, p := range points {
			inst := p.resource[attrServiceInstance].(string)
			route := ""
			if p.metric.Type() == pmetric.MetricTypeHistogram {
				r, _ := p.hist.Attributes().Get(attrRoute)
				route = r.Str()
			}
			k := key{inst, p.metric.Name(), route}
			series[k] = append(series[k], p)
		}
		insts := 0
		for _, c := range cfg.Cohorts {
			insts += c.Instances
		}
		if want := insts * (2 + len(cfg.Operations)); len(series) != want {
			t.Fatalf("%d series, want %d", len(series), want)
		}
		exports := int(math.Ceil(dur / cfg.MetricInterval.Seconds()))
		// Per instance and route: how many requests the spans show, their
		// total duration and the instance's request count.
		type agg struct {
			n   uint64
			sum float64
		}
		fromSpans := map[key]agg{}
		reqPerInst := map[string]int{}
		for _, sp := range spans {
			if sp.s.Kind() != ptrace.SpanKindServer {
				continue
			}
			inst := sp.resource[attrServiceInstance].(string)
			route, _ := sp.s.Attributes().Get(attrRoute)
			k := key{inst, metricDuration, route.Str()}
			a := fromSpans[k]
			a.n++
			a.sum += float64(sp.s.EndTimestamp()-sp.s.StartTimestamp()) / 1e9
			fromSpans[k] = a
			reqPerInst[inst]++
		}
		total := 0
		for k, ps := range series {
			total += len(ps)
			if len(ps) != exports {
				t.Errorf("%v: %d points, want one per %s: %d", k, len(ps), cfg.MetricInterval, exports)
			}
			m := ps[0].metric
			for i, p := range ps {
				ts, st := p.times()
				if ts <= startNs || ts > endNs {
					t.Fatalf("%v: timestamp %v outside (Start, End]", k, ts)
				}
				if i > 0 {
					if prevTS, _ := ps[i-1].times(); ts <= prevTS {
						t.Fatalf("%v: point %d at %v not after %v", k, i, ts, prevTS)
					}
				}
				switch m.Name() {
				case metricCPU:
					if m.Type() != pmetric.MetricTypeSum || !m.Sum().IsMonotonic() || m.Sum().AggregationTemporality() != pmetric.AggregationTemporalityCumulative || m.Unit() != "s" || st != startNs {
						t.Fatalf("%v: not a cumulative monotonic sum in s starting at Start", k)
					}
					if i > 0 && p.num.DoubleValue() < ps[i-1].num.DoubleValue() {
						t.Fatalf("%v: cumulative sum decreased at point %d", k, i)
					}
				case metricMemory:
					if m.Type() != pmetric.MetricTypeGauge || m.Unit() != "By" {
						t.Fatalf("%v: not a gauge in By", k)
					}
					if v := p.num.IntValue(); v < 150<<20 || v > 250<<20 {
						t.Fatalf("%v: memory %d bytes, want ~200 MiB", k, v)
					}
				case metricDuration:
					h := p.hist
					if m.Type() != pmetric.MetricTypeHistogram || m.Histogram().AggregationTemporality() != pmetric.AggregationTemporalityCumulative || m.Unit() != "s" || st != startNs {
						t.Fatalf("%v: not a cumulative histogram in s starting at Start", k)
					}
					if !slices.Equal(h.ExplicitBounds().AsRaw(), durationBounds) || h.BucketCounts().Len() != len(durationBounds)+1 {
						t.Fatalf("%v: bounds %v, %d buckets", k, h.ExplicitBounds().AsRaw(), h.BucketCounts().Len())
					}
					var sum uint64
					for b, c := range h.BucketCounts().All() {
						sum += c
						if i > 0 && c < ps[i-1].hist.BucketCounts().At(b) {
							t.Fatalf("%v: bucket %d decreased at point %d", k, b, i)
						}
					}
					if sum != h.Count() {
						t.Fatalf("%v: buckets sum to %d, count %d", k, sum, h.Count())
					}
					if i > 0 && (h.Count() < ps[i-1].hist.Count() || h.Sum() < ps[i-1].hist.Sum()) {
						t.Fatalf("%v: count or sum decreased at point %d", k, i)
					}
				default:
					t.Fatalf("unexpected metric %q", m.Name())
				}
			}
			last := ps[len(ps)-1]
			switch m.Name() {
			case metricDuration:
				// The final cumulative histogram is exactly the spans sent.
				want := fromSpans[k]
				if last.hist.Timestamp() != endNs || last.hist.Count() != want.n || math.Abs(last.hist.Sum()-want.sum) > 1e-6*want.sum {
					t.Errorf("%v: final histogram count %d sum %.3f at %v, spans show %d and %.3f at %v",
						k, last.hist.Count(), last.hist.Sum(), last.hist.Timestamp(), want.n, want.sum, endNs)
				}
			case metricCPU:
				// Each request costs CPUPerRequest·U(0.8, 1.2): mean
				// CPUPerRequest, sd 0.2/√3 of it.
				v := strings.Split(k.inst, "-")[1]
				c := cohortByVersion(cfg, v)
				n := float64(reqPerInst[k.inst])
				want := n * c.CPUPerRequest
				tol := sigmas * math.Sqrt(n) * c.CPUPerRequest * cpuNoise / math.Sqrt(3)
				if got := last.num.DoubleValue(); math.Abs(got-want) > tol {
					t.Errorf("%v: final CPU %.3fs, want %.3f ± %.3f", k, got, want, tol)
				}
			}
		}
		if total != stats.MetricPoints {
			t.Errorf("received %d points, stats say %d", total, stats.MetricPoints)
		}
	})

	t.Run("stats", func(t *testing.T) {
		rec.mu.Lock()
		requests := len(rec.traces) + len(rec.metrics)
		rec.mu.Unlock()
		nServer, errs := 0, 0
		for _, sp := range spans {
			if sp.s.Kind() == ptrace.SpanKindServer {
				nServer++
				if sp.s.Status().Code() == ptrace.StatusCodeError {
					errs++
				}
			}
		}
		if stats.Spans != len(spans) || stats.ServerSpans != nServer || stats.Errors != errs || stats.Requests != requests ||
			stats.RejectedSpans != 0 || stats.RejectedPoints != 0 || len(stats.PerCohort) != len(cfg.Cohorts) {
			t.Errorf("stats %+v; received %d spans, %d server spans, %d errors in %d requests", stats, len(spans), nServer, errs, requests)
		}
	})
}

// spanIdentity is what must repeat exactly for a given seed.
type spanIdentity struct {
	version    string
	trace      pcommon.TraceID
	id         pcommon.SpanID
	start, end pcommon.Timestamp
	name       string
	status     ptrace.StatusCode
	instance   string
	kind       ptrace.SpanKind
	parent     pcommon.SpanID
}

func runIdentities(t *testing.T, mutate func(*Config)) ([]spanIdentity, []point) {
	t.Helper()
	rec, srv := newRecorder(t)
	cfg := testConfig(srv.URL)
	cfg.End = cfg.Start.Add(5 * time.Minute)
	mutate(&cfg)
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatalf("Run: %v", err)
	}
	var out []spanIdentity
	for _, sp := range rec.spans() {
		s := sp.s
		out = append(out, spanIdentity{
			version: sp.resource[attrServiceVersion].(string), trace: s.TraceID(), id: s.SpanID(),
			start: s.StartTimestamp(), end: s.EndTimestamp(), name: s.Name(), status: s.Status().Code(),
			instance: sp.resource[attrServiceInstance].(string), kind: s.Kind(), parent: s.ParentSpanID(),
		})
	}
	// The two cohorts may interleave in any order; compare each cohort's
	// own sequence.
	slices.SortStableFunc(out, func(a, b spanIdentity) int { return strings.Compare(a.version, b.version) })
	return out, rec.points()
}

func TestRunDeterministic(t *testing.T) {
	base, basePoints := runIdentities(t, func(*Config) {})
	tests := []struct {
		name     string
		mutate   func(*Config)
		sameIDs  bool // same sequence of spans in the same order
		sameSet  bool // same spans, in any order
		samePnts bool
	}{
		{"same seed", func(*Config) {}, true, true, true},
		{"same seed, sequential sending", func(c *Config) { c.Concurrency = 1 }, true, true, true},
		// Batching changes how spans are grouped into exports, not which
		// spans exist.
		{"same seed, other batch size", func(c *Config) { c.Batch = 37 * time.Second }, false, true, false},
		{"other seed", func(c *Config) { c.Seed++ }, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, gotPoints := runIdentities(t, tt.mutate)
			if tt.sameIDs && !slices.Equal(got, base) {
				t.Errorf("span sequence differs from the first run")
			}
			key := func(a, b spanIdentity) int {
				if c := strings.Compare(a.version, b.version); c != 0 {
					return c
				}
				return slices.Compare(a.id[:], b.id[:])
			}
			g, b := slices.Clone(got), slices.Clone(base)
			slices.SortFunc(g, key)
			slices.SortFunc(b, key)
			if eq := slices.Equal(g, b); eq != tt.sameSet {
				t.Errorf("same set of spans = %v, want %v", eq, tt.sameSet)
			}
			if tt.samePnts {
				if len(gotPoints) != len(basePoints) {
					t.Fatalf("%d points, first run %d", len(gotPoints), len(basePoints))
				}
				// Points of different cohorts may arrive interleaved;
				// compare per series in arrival order.
				flat := func(ps []point) map[string][]string {
					m := map[string][]string{}
					for _, p := range ps {
						k := fmt.Sprint(p.resource[attrServiceInstance], p.metric.Name())
						var v string
						if p.metric.Type() == pmetric.MetricTypeHistogram {
							v = fmt.Sprint(p.hist.Timestamp(), p.hist.Attributes().AsRaw(), p.hist.Count(), p.hist.Sum(), p.hist.BucketCounts().AsRaw())
						} else {
							v = fmt.Sprint(p.num.Timestamp(), p.num.DoubleValue(), p.num.IntValue())
						}
						m[k] = append(m[k], v)
					}
					return m
				}
				gm, bm := flat(gotPoints), flat(basePoints)
				for k, v := range bm {
					if !slices.Equal(gm[k], v) {
						t.Errorf("series %s differs from the first run", k)
					}
				}
			}
		})
	}
}

func TestRunHTTPErrors(t *testing.T) {
	defer func(d time.Duration) { retryBaseDelay = d }(retryBaseDelay)
	retryBaseDelay = time.Millisecond

	long := strings.Repeat("x", 300)
	always := func(code int) func(string, int) int { return func(string, int) int { return code } }
	tests := []struct {
		name string
		// status answers the n-th request (from 1) to path; 0 accepts it.
		status       func(path string, n int) int
		body         string
		wantErr      []string // substrings of the error; nil means success
		wantAttempts int      // requests the server saw before Run gave up (0: don't check)
	}{
		{"400 is not retried", always(400), "bad payload: unknown field", []string{"400", "bad payload: unknown field", "/v1/traces"}, 1},
		{"500 is not retried", always(500), "boom", []string{"500", "boom"}, 1},
		{"body cut at 200 bytes", always(400), long, []string{"400", long[:200] + `"`}, 1},
		{"503 then success", func(_ string, n int) int {
			if n <= 2 {
				return 503
			}
			return 0
		}, "busy", nil, 0},
		{"429 until attempts run out", always(429), "slow down", []string{"429", "slow down", fmt.Sprintf("after %d attempts", maxAttempts)}, maxAttempts},
		{"metrics endpoint failing", func(path string, n int) int {
			if path == "/v1/metrics" {
				return 413
			}
			return 0
		}, "too large", []string{"413", "/v1/metrics", "too large"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			perPath := map[string]int{}
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				n.Add(1)
				mu.Lock()
				perPath[r.URL.Path]++
				k := perPath[r.URL.Path]
				mu.Unlock()
				if code := tt.status(r.URL.Path, k); code != 0 {
					http.Error(w, tt.body, code)
				}
			}))
			defer srv.Close()
			cfg := testConfig(srv.URL)
			cfg.End = cfg.Start.Add(time.Minute)
			cfg.Cohorts = cfg.Cohorts[:1]
			_, err := Run(context.Background(), cfg)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Run succeeded, want an error containing %q", tt.wantErr)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if strings.Contains(err.Error(), strings.Repeat("x", 201)) {
				t.Errorf("error carries more than 200 bytes of body")
			}
			var se *StatusError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *StatusError", err)
			}
			if tt.wantAttempts > 0 && int(n.Load()) != tt.wantAttempts {
				t.Errorf("server saw %d requests, want %d", n.Load(), tt.wantAttempts)
			}
		})
	}
}

func TestRunPartialSuccess(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
		if r.URL.Path == "/v1/traces" {
			resp := ptraceotlp.NewExportResponse()
			resp.PartialSuccess().SetRejectedSpans(3)
			resp.PartialSuccess().SetErrorMessage("too old")
			b, _ := resp.MarshalProto()
			_, _ = w.Write(b)
			return
		}
		resp := pmetricotlp.NewExportResponse()
		resp.PartialSuccess().SetRejectedDataPoints(2)
		b, _ := resp.MarshalProto()
		_, _ = w.Write(b)
	}))
	defer srv.Close()
	cfg := testConfig(srv.URL)
	cfg.End = cfg.Start.Add(time.Minute)
	cfg.Cohorts = cfg.Cohorts[:1]
	stats, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	// One minute, 10 s batches, 15 s metric interval: 6 trace exports and
	// 4 metric exports.
	if stats.RejectedSpans != 6*3 || stats.RejectedPoints != 4*2 {
		t.Errorf("rejected spans %d, points %d; want 18 and 8", stats.RejectedSpans, stats.RejectedPoints)
	}
}

func TestRunCancel(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		cancel  time.Duration // after Run starts; <0: before
	}{
		{"already cancelled", func(w http.ResponseWriter, r *http.Request) {}, -1},
		{"while a request hangs", func(w http.ResponseWriter, r *http.Request) {
			// The server notices the client going away only once the
			// body has been read.
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}, 100 * time.Millisecond},
		{"during retry backoff", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "60")
			http.Error(w, "busy", http.StatusServiceUnavailable)
		}, 100 * time.Millisecond},
	}
	defer func(d time.Duration) { retryMaxDelay = d }(retryMaxDelay)
	retryMaxDelay = time.Minute
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			cfg := testConfig(srv.URL)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel < 0 {
				cancel()
			} else {
				time.AfterFunc(tt.cancel, cancel)
			}
			began := time.Now()
			stats, err := Run(ctx, cfg)
			took := time.Since(began)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Run error %v, want context.Canceled", err)
			}
			if took > tt.cancel+time.Second {
				t.Errorf("Run returned %s after start, cancelled at %s", took, tt.cancel)
			}
			if stats.Requests != 0 {
				t.Errorf("stats.Requests = %d, want 0", stats.Requests)
			}
		})
	}
}

func TestRunInvalidConfig(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	cfg := testConfig(srv.URL)
	cfg.Cohorts[0].ErrorRate = 2
	_, err := Run(context.Background(), cfg)
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "Cohorts[0].ErrorRate" {
		t.Fatalf("Run error %v, want a FieldError for Cohorts[0].ErrorRate", err)
	}
	if hits.Load() != 0 {
		t.Errorf("Run sent %d requests with an invalid config", hits.Load())
	}
}

func BenchmarkRunHour(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	defer srv.Close()
	cfg := DefaultConfig()
	cfg.Endpoint = srv.URL
	cfg.Start = testStart
	cfg.End = testStart.Add(time.Hour)
	var stats Stats
	for b.Loop() {
		var err error
		if stats, err = Run(context.Background(), cfg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(stats.Spans), "spans/op")
	b.ReportMetric(float64(stats.Requests), "requests/op")
}
