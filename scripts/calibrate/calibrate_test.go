package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/augurhq/augur/cmd/augur/app"
	"github.com/augurhq/augur/collector"
)

// inProcess starts augur's server in this process, with the default
// configuration, on a loopback port and an empty data directory.
type inProcess struct{ t *testing.T }

func (b inProcess) start(ctx context.Context) (string, func(), error) {
	cfg := app.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.OTLPGRPC.Listen, cfg.Jaeger.Listen = "", ""
	cfg.Store.Dir = b.t.TempDir()
	srv, err := app.NewServer(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return "", nil, err
	}
	srv.Start()
	return srv.URL(), func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}, nil
}

func testRunner(t *testing.T, reps int) *runner {
	t.Helper()
	specs, err := loadSpecs(classes(), "")
	if err != nil {
		t.Fatal(err)
	}
	return &runner{
		backend: inProcess{t}, specs: specs, bounds: collector.DefaultDurationBuckets(),
		reps: reps, batch: reps, senders: 2, seriesPerWrite: 2000, seed: 7,
		timeout: time.Minute, endLag: 3 * time.Minute, now: time.Now,
	}
}

func mustClass(t *testing.T, name string) class {
	t.Helper()
	cs, err := selectClasses(name)
	if err != nil {
		t.Fatal(err)
	}
	return cs[0]
}

// TestSmoke runs a few replicates of an A/A class and of the clearest
// regression, judged every 5 minutes with canary.yaml and every minute
// with sequential.yaml, through the real ingest path and experiments API:
// every replicate gets a final verdict with its spec's metrics, the counts
// add up, and the +10 % latency shift judged every 5 minutes is detected by
// augur and by both references in most replicates.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server and judges replicates")
	}
	metrics := map[string]int{"canary.yaml": 3, "sequential.yaml": 3}
	// 60 looks cost more: two replicates of the monitoring class.
	for _, tc := range []struct {
		name string
		reps int
	}{{"independent", 4}, {"latency-10", 4}, {"monitor-latency-10", 2}} {
		name, reps := tc.name, tc.reps
		t.Run(name, func(t *testing.T) {
			c := mustClass(t, name)
			res, err := testRunner(t, reps).runClass(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			if res.spec != c.spec || metrics[res.spec] == 0 {
				t.Fatalf("judged with %q, want the class's %q", res.spec, c.spec)
			}
			s := summarise(res)
			if s.n != reps || s.missing != 0 {
				t.Fatalf("%d replicates, %d without a final verdict; want %d, 0", s.n, s.missing, reps)
			}
			for _, rr := range res.reps {
				if rr.err != nil {
					t.Fatalf("replicate %d: %v", rr.rep, rr.err)
				}
				if len(rr.out.classes) != metrics[res.spec] {
					t.Errorf("replicate %d: metrics %v, want the %d of %s", rr.rep, rr.out.classes, metrics[res.spec], res.spec)
				}
			}
			if sum := s.fails + s.inconclusive + s.passes + s.marginal + s.errors + s.missing; sum != s.n {
				t.Errorf("outcomes add up to %d of %d replicates", sum, s.n)
			}
			if len(s.timeToFail) != s.fails {
				t.Errorf("%d times to fail for %d failed runs", len(s.timeToFail), s.fails)
			}
			for _, ttf := range s.timeToFail {
				if ttf < float64(c.intervalMinutes) || ttf > 60 {
					t.Errorf("time to fail %v min outside the hour's looks", ttf)
				}
			}
			if name == "latency-10" {
				if s.fails < reps-1 || s.perPod < reps-1 {
					t.Errorf("+10 %% latency detected by augur in %d and by the per-pod reference in %d of %d replicates; want most", s.fails, s.perPod, reps)
				}
			}
		})
	}
}

// TestIngestAddsUp checks the generated series as the server stores them:
// per cohort, the last value of each counter is the replicate's total.
func TestIngestAddsUp(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	r := testRunner(t, 2)
	c := mustClass(t, "error-spread")
	base, stop, err := r.backend.start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	end := time.Now().UTC().Truncate(time.Minute).Add(-3 * time.Minute)
	start := end.Add(-time.Hour)
	results := make([]repResult, 2)
	if err := r.ingest(context.Background(), writer{base: base, client: http.DefaultClient}, c, 0, 2, start, results); err != nil {
		t.Fatal(err)
	}
	g := generator{c: c, bounds: r.bounds, seed: r.seed}
	for rep := 0; rep < 2; rep++ {
		want := map[string]float64{}
		rp := g.generate(rep)
		for _, p := range rp.pods {
			v := "v1"
			if p.canary {
				v = "v2"
			}
			for t := 0; t < p.minutes; t++ {
				want[v+" requests"] += float64(p.requests[t])
				want[v+" errors"] += float64(p.errors[t])
			}
		}
		for _, q := range []struct{ key, expr string }{
			{"requests", `sum by (service_version) (augur_span_requests_total{rep="` + strconv.Itoa(rep) + `"})`},
			{"requests", `sum by (service_version) (augur_span_duration_seconds_bucket{le="+Inf",rep="` + strconv.Itoa(rep) + `"})`},
			{"requests", `sum by (service_version) (augur_span_duration_seconds_count{rep="` + strconv.Itoa(rep) + `"})`},
			{"errors", `sum by (service_version) (augur_span_errors_total{rep="` + strconv.Itoa(rep) + `"})`},
		} {
			got := instant(t, base, q.expr, end)
			for _, v := range []string{"v1", "v2"} {
				if got[v] != want[v+" "+q.key] || got[v] == 0 {
					t.Errorf("rep %d %s: %s = %v, want %v", rep, v, q.expr, got[v], want[v+" "+q.key])
				}
			}
		}
	}
}

// instant evaluates expr at ts and returns the value per service_version.
func instant(t *testing.T, base, expr string, ts time.Time) map[string]float64 {
	t.Helper()
	q := url.Values{"query": {expr}, "time": {strconv.FormatInt(ts.Unix(), 10)}}
	resp, err := http.Get(base + "/api/v1/query?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out struct {
		Data struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: %v: %s", expr, err, b)
	}
	got := map[string]float64{}
	for _, r := range out.Data.Result {
		s, _ := r.Value[1].(string)
		got[r.Metric["service_version"]], _ = strconv.ParseFloat(s, 64)
	}
	return got
}

// TestSpecsAccepted posts every built-in spec, filled in as for a
// replicate, to a real server: each must be accepted as it stands.
func TestSpecsAccepted(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	entries, err := specFiles.ReadDir("specs")
	if err != nil || len(entries) < 2 {
		t.Fatalf("built-in specs: %v, %v", entries, err)
	}
	base, stop, err := inProcess{t}.start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	a := api{base: base, client: http.DefaultClient}
	start := time.Now().UTC().Truncate(time.Minute).Add(-63 * time.Minute)
	for i, e := range entries {
		t.Run(e.Name(), func(t *testing.T) {
			tmpl, err := loadTemplate(e.Name())
			if err != nil {
				t.Fatal(err)
			}
			c := mustClass(t, "monitor")
			spec, err := render(tmpl, c, i, start)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.create(context.Background(), spec); err != nil {
				t.Errorf("%v\n%s", err, spec)
			}
		})
	}
}

// TestSpecPerClass: the monitoring classes are judged with the sequential
// spec, the others with canary.yaml, and -spec overrides every class.
func TestSpecPerClass(t *testing.T) {
	for _, c := range classes() {
		want := "canary.yaml"
		if c.monitoring() {
			want = "sequential.yaml"
		}
		if c.spec != want {
			t.Errorf("class %s: spec %s, want %s", c.name, c.spec, want)
		}
		r := runner{}
		if got := r.specName(c); got != want {
			t.Errorf("class %s without an override: %s, want %s", c.name, got, want)
		}
		r.override = "other.yaml"
		if got := r.specName(c); got != "other.yaml" {
			t.Errorf("class %s with -spec other.yaml: %s", c.name, got)
		}
	}
	specs, err := loadSpecs(classes(), "")
	if err != nil || len(specs) != 2 || specs["canary.yaml"] == nil || specs["sequential.yaml"] == nil {
		t.Errorf("every class's specs: %v, %v", specs, err)
	}
	specs, err = loadSpecs(classes(), "canary.yaml")
	if err != nil || len(specs) != 1 || specs["canary.yaml"] == nil {
		t.Errorf("with -spec canary.yaml: %v, %v", specs, err)
	}
	if _, err := loadSpecs(classes(), "testdata/no-such-spec.yaml"); err == nil {
		t.Error("a missing -spec file is accepted")
	}
}
