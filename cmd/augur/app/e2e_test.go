package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/cmd/augur/simulate"
	"github.com/augurhq/augur/judges"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startServer runs a server on a random loopback port with a temp data dir.
func startServer(t *testing.T, mutate func(*Config)) *Server {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.Store.Dir = t.TempDir()
	cfg.OTLPGRPC.Listen, cfg.Jaeger.Listen = "127.0.0.1:0", "127.0.0.1:0"
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := NewServer(cfg, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return srv
}

func TestDemo(t *testing.T) {
	tests := []struct {
		name    string
		healthy bool
		want    judges.Outcome
		high    []string // metrics that must be classified high
	}{
		{"regressed canary fails", false, judges.OutcomeFail, []string{"latency_p50", "latency_p99", "error_rate", "http_p90_otlp", "error_log_patterns"}},
		{"healthy canary passes", true, judges.OutcomePass, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var out bytes.Buffer
			res, err := Demo(ctx, &out, DemoOptions{Healthy: tt.healthy})
			if err != nil {
				t.Fatalf("demo: %v\n%s", err, out.String())
			}
			if res.Verdict.Verdict != tt.want {
				t.Fatalf("verdict %s, want %s\n%s", res.Verdict.Verdict, tt.want, out.String())
			}
			if res.Webhook == nil || res.Webhook.Verdict != tt.want || res.Webhook.ExperimentID != res.Verdict.ExperimentID {
				t.Errorf("webhook got %+v", res.Webhook)
			}
			classes := map[string]judges.Classification{}
			for _, m := range res.Verdict.Metrics {
				classes[m.Name] = m.Classification
				if m.Baseline.N < 30 || m.Canary.N < 30 {
					t.Errorf("%s: too few points baseline %d canary %d", m.Name, m.Baseline.N, m.Canary.N)
				}
				if tt.healthy && m.Classification != judges.Pass {
					t.Errorf("healthy %s: %s (%s)", m.Name, m.Classification, m.Reason)
				}
			}
			for _, name := range tt.high {
				if classes[name] != judges.High {
					t.Errorf("%s: %s, want high", name, classes[name])
				}
			}
			for _, want := range []string{"METRIC", "latency_p99", "verdict: " + strings.ToUpper(string(tt.want)), "webhook: received verdict"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
			// The canary's new error signature, with an example line and
			// its trace ID; none when healthy.
			signature := regexp.MustCompile(`template: payment gateway timeout after <\*>: upstream <\*> reset the connection\n +example: +\d\d:\d\d:\d\d trace [0-9a-f]{32}: payment gateway timeout after 3000ms: upstream pgw-\d reset the connection\n`)
			if got := signature.MatchString(out.String()); got == tt.healthy {
				t.Errorf("output shows the new error signature with an example: %v, want %v\n%s", got, !tt.healthy, out.String())
			}
		})
	}
}

func sendTraffic(t *testing.T, srv *Server, start, end time.Time) {
	t.Helper()
	sim := simulate.DefaultConfig()
	sim.Endpoint, sim.Start, sim.End = srv.URL(), start, end
	if _, err := simulate.Run(context.Background(), sim); err != nil {
		t.Fatal(err)
	}
}

func sendLogs(t *testing.T, srv *Server, start, end time.Time, newSignature bool) demoLogStats {
	t.Helper()
	st, err := sendDemoLogs(context.Background(), srv.URL(), demoLogOptions{Service: "checkout", Start: start, End: end, Seed: 7,
		Versions: [2]string{"v1", "v2"}, NewSignature: newSignature})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func createExperiment(t *testing.T, srv *Server, spec analysis.Spec) analysis.Experiment {
	t.Helper()
	e, err := postSpec(context.Background(), srv.URL(), spec)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestNoDataCohortIsInconclusive(t *testing.T) {
	srv := startServer(t, nil)
	end := time.Now().Truncate(time.Minute)
	start := end.Add(-20 * time.Minute)
	sendTraffic(t, srv, start, end)
	sendLogs(t, srv, start, end, false)
	spec := DemoSpec(start, end)
	spec.Cohorts.Canary = &analysis.Cohort{Selector: `service_version="v3"`} // no such version was ever sent
	e := createExperiment(t, srv, spec)
	v, err := waitVerdict(context.Background(), srv.URL(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Verdict != judges.OutcomeInconclusive {
		t.Fatalf("verdict %s (%s), want inconclusive", v.Verdict, v.Reason)
	}
	for _, m := range v.Metrics {
		if m.Classification != judges.NoData || m.Canary.N != 0 || m.Baseline.N == 0 {
			t.Errorf("%s: %s canary n=%d baseline n=%d", m.Name, m.Classification, m.Canary.N, m.Baseline.N)
		}
	}
}

func TestInvalidSpecNamesField(t *testing.T) {
	srv := startServer(t, nil)
	body := `{"apiVersion":"augur/v1","name":"x","cohorts":{"baseline":"v=\"1\"","canary":"v=\"2\""},"timing":{"lifetime":"1h"},
	  "metrics":[{"name":"m","query":"rate(x[1m])","judge":{"type":"mannwhitney"}}]}`
	resp, err := http.Post(srv.URL()+"/api/v1/experiments", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct {
		Error  string `json:"error"`
		Fields []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"fields"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusUnprocessableEntity || len(e.Fields) != 1 || e.Fields[0].Field != "metrics[0].query" {
		t.Errorf("status %d, body %+v", resp.StatusCode, e)
	}
}

func TestUnknownExperiment404(t *testing.T) {
	srv := startServer(t, nil)
	for _, p := range []string{"/api/v1/experiments/nope", "/api/v1/experiments/nope/verdict"} {
		resp, err := http.Get(srv.URL() + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
}

func TestWebhookDownVerdictStillServed(t *testing.T) {
	srv := startServer(t, func(c *Config) {
		c.Notify.AllowSpecURLs = true
		c.Notify.SpecURLs.Guard.AllowLoopback = true
		c.Notify.Delivery.PollInterval = 20 * time.Millisecond
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + ln.Addr().String() + "/hook"
	ln.Close() // nothing listens there any more
	end := time.Now().Truncate(time.Minute)
	start := end.Add(-20 * time.Minute)
	sendTraffic(t, srv, start, end)
	sendLogs(t, srv, start, end, false)
	spec := DemoSpec(start, end)
	spec.Webhooks = []string{deadURL}
	e := createExperiment(t, srv, spec)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	v, err := waitVerdict(ctx, srv.URL(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Verdict != judges.OutcomePass {
		t.Errorf("verdict %s (%s), want pass", v.Verdict, v.Reason)
	}
	d := waitDelivery(t, srv.URL(), e.ID, "a failed attempt", func(d analysis.OutboxDelivery) bool { return d.Attempts >= 1 })
	if d.Status != analysis.DeliveryPending || d.Receiver != "spec.webhooks[0]" || !strings.Contains(d.LastError, "connection refused") {
		t.Errorf("delivery %+v, want pending after a refused connection", d)
	}
}

// queryScalar runs an instant query over HTTP and returns the single value.
func queryScalar(t *testing.T, srv *Server, q string, at time.Time) (float64, bool) {
	t.Helper()
	u := srv.URL() + "/api/v1/query?query=" + url.QueryEscape(q) + "&time=" + strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', 3, 64)
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
		Error string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if body.Status != "success" {
		t.Fatalf("query %s: %s", q, body.Error)
	}
	if len(body.Data.Result) == 0 {
		return 0, false
	}
	var f float64
	if err := json.Unmarshal([]byte(body.Data.Result[0].Value[1].(string)), &f); err != nil {
		t.Fatal(err)
	}
	return f, true
}

// TestUnknownSourceNamesField: a metric naming a source the server does not
// define, or defining its own while the server does not allow it, is
// refused at creation with the field named, not failed at run time.
func TestUnknownSourceNamesField(t *testing.T) {
	srv := startServer(t, nil)
	body := `apiVersion: augur/v1
name: x
cohorts: {baseline: 'v="1"', canary: 'v="2"'}
timing: {lifetime: 1h}
sources: {mine: {type: prometheus, url: "http://127.0.0.1:9"}}
metrics:
  - {name: a, source: mimir, query: 'x{${cohort}}', judge: {type: mannwhitney}}
  - {name: b, source: mine, query: 'x{${cohort}}', judge: {type: mannwhitney}}
`
	resp, err := http.Post(srv.URL()+"/api/v1/experiments", "application/yaml", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct {
		Fields []struct{ Field, Message string } `json:"fields"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusUnprocessableEntity || len(e.Fields) != 2 || e.Fields[0].Field != "metrics[0].source" || e.Fields[1].Field != "metrics[1].source" {
		t.Errorf("status %d, fields %+v", resp.StatusCode, e.Fields)
	}
	list, err := srv.Manager().List(context.Background())
	if err != nil || len(list) != 0 {
		t.Errorf("a refused spec left %d experiments (%v)", len(list), err)
	}
}
