package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/augurhq/augur/alerting/notify"
	"github.com/augurhq/augur/alerting/outbox"
	"github.com/augurhq/augur/alerting/route"
	"github.com/augurhq/augur/alerting/signedwebhook"
	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/cmd/augur/simulate"
	"github.com/augurhq/augur/judges"
)

// DemoOptions configures Demo.
type DemoOptions struct {
	// Healthy injects no regression into the canary.
	Healthy bool
	// Duration is the simulated traffic window (an hour by default).
	Duration time.Duration
	// Seed makes the traffic reproducible.
	Seed int64
	// Logger receives the server's log (discarded when nil).
	Logger *slog.Logger
	// Keep keeps the server up after the verdict, until ctx ends, so that
	// its report can be opened in a browser.
	Keep bool
}

// DemoResult is what the demo observed.
type DemoResult struct {
	Verdict  analysis.Verdict
	Webhook  *analysis.Verdict // the verdict as the webhook listener received it
	Traffic  simulate.Stats
	Logs     demoLogStats
	Duration time.Duration
}

// Demo runs the whole canary flow in one process: a server on a free
// loopback port with a temporary data directory, an hour of OTLP traffic
// and logs from a checkout service (baseline v1, canary v2 with an injected
// latency and error-rate regression and a new error signature in its logs
// unless Healthy) sent over HTTP, a webhook
// listener, and a canary experiment over that hour. It prints the
// per-metric table, the verdict and the webhook receipt to out.
func Demo(ctx context.Context, out io.Writer, opts DemoOptions) (DemoResult, error) {
	began := time.Now()
	if opts.Duration == 0 {
		opts.Duration = time.Hour
	}
	if opts.Seed == 0 {
		opts.Seed = 42
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	dir, err := os.MkdirTemp("", "augur-demo-")
	if err != nil {
		return DemoResult{}, fmt.Errorf("temporary data dir: %w", err)
	}
	defer os.RemoveAll(dir)

	hook, err := startWebhookListener()
	if err != nil {
		return DemoResult{}, err
	}
	defer hook.close()

	cfg := DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.OTLPGRPC.Listen, cfg.Jaeger.Listen = "", "" // the demo sends OTLP/HTTP only
	cfg.Store.Dir = dir
	cfg.Notify = demoNotify(hook.url)
	srv, err := NewServer(cfg, logger)
	if err != nil {
		return DemoResult{}, err
	}
	srv.Start()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	end := time.Now().UTC().Truncate(time.Minute)
	start := end.Add(-opts.Duration)
	sim := simulate.DefaultConfig()
	sim.Endpoint, sim.Start, sim.End, sim.Seed = srv.URL(), start, end, opts.Seed
	regression := "none (--healthy)"
	if !opts.Healthy {
		c := &sim.Cohorts[1]
		c.LatencyMedian = c.LatencyMedian * 135 / 100
		c.ErrorRate = 0.03
		regression = fmt.Sprintf("canary latency ×1.35, error rate %.1f%% → %.1f%%, a new error in its logs", sim.Cohorts[0].ErrorRate*100, c.ErrorRate*100)
	}
	fmt.Fprintf(out, "augur demo: server %s, data %s\n", srv.URL(), dir)
	fmt.Fprintf(out, "sending %s of OTLP traffic for service %q: baseline %s, canary %s; regression: %s\n",
		opts.Duration, sim.Service, sim.Cohorts[0].Version, sim.Cohorts[1].Version, regression)
	stats, err := simulate.Run(ctx, sim)
	if err != nil {
		return DemoResult{}, fmt.Errorf("send traffic: %w", err)
	}
	logStats, err := sendDemoLogs(ctx, srv.URL(), demoLogOptions{Service: sim.Service, Start: start, End: end, Seed: opts.Seed,
		Versions: [2]string{sim.Cohorts[0].Version, sim.Cohorts[1].Version}, NewSignature: !opts.Healthy})
	if err != nil {
		return DemoResult{}, err
	}
	fmt.Fprintf(out, "sent %d spans (%d errors) and %d metric points in %d requests, %d log records (%d of the new error) in %d requests\n\n",
		stats.Spans, stats.Errors, stats.MetricPoints, stats.Requests, logStats.Records, logStats.Signature, logStats.Requests)

	spec := DemoSpec(start, end)
	exp, err := postSpec(ctx, srv.URL(), spec)
	if err != nil {
		return DemoResult{}, err
	}
	fmt.Fprintf(out, "report: %s\n\n", ReportURL(srv.URL(), exp.ID))
	v, err := waitVerdict(ctx, srv.URL(), exp.ID)
	if err != nil {
		return DemoResult{}, err
	}
	PrintVerdict(out, v)
	PrintPatterns(out, v)

	res := DemoResult{Verdict: v, Traffic: stats, Logs: logStats}
	select {
	case got := <-hook.got:
		res.Webhook = &got
		fmt.Fprintf(out, "webhook: received verdict %q for experiment %s at %s\n", got.Verdict, got.ExperimentID, hook.url)
	case <-time.After(15 * time.Second):
		return res, fmt.Errorf("webhook: no verdict arrived at %s within 15s", hook.url)
	case <-ctx.Done():
		return res, ctx.Err()
	}
	res.Duration = time.Since(began)
	fmt.Fprintf(out, "demo finished in %s\n", res.Duration.Round(time.Millisecond))
	if opts.Keep {
		fmt.Fprintf(out, "\nserving %s until interrupted (Ctrl-C): open the report at %s\n", srv.URL(), ReportURL(srv.URL(), exp.ID))
		<-ctx.Done()
		fmt.Fprintln(out, "interrupted: stopping the server")
	}
	return res, nil
}

// ReportURL is the web report of an experiment on the server at base.
func ReportURL(base, id string) string {
	return strings.TrimSuffix(base, "/") + "/experiments/" + url.PathEscape(id)
}

// DemoSpec is the experiment the demo runs: latency quantiles and error
// rate from the span-derived RED series, request latency from the OTLP
// histogram, CPU from the OTLP counter, a memory ceiling, and the error and
// warning log patterns (critical: a new error signature fails the run).
func DemoSpec(start, end time.Time) analysis.Spec {
	at := start.UTC()
	spans := `service_name="checkout",span_kind="server",${cohort}`
	upper := 512.0 * 1024 * 1024
	mw := func(dir string) analysis.JudgeSpec {
		return analysis.JudgeSpec{Type: analysis.JudgeMannWhitney, Direction: judges.Direction(dir)}
	}
	spec := analysis.Spec{
		APIVersion: analysis.APIVersion,
		Kind:       analysis.KindCanary,
		Name:       "checkout-v2-canary",
		Labels:     map[string]string{"team": "payments", "service": "checkout"},
		Cohorts: analysis.Cohorts{
			Baseline: &analysis.Cohort{Selector: `service_version="v1"`},
			Canary:   &analysis.Cohort{Selector: `service_version="v2"`},
		},
		Timing: analysis.Timing{Start: &analysis.StartTime{At: &at}, Lifetime: analysis.Duration(end.Sub(start))},
		Step:   analysis.Duration(time.Minute),
		Metrics: []analysis.MetricSpec{
			// Every query keeps the pod (service_instance_id on span
			// series, instance on OTLP metrics): pods are the unit.
			{Name: "latency_p50", Judge: mw("increase"),
				Query: `histogram_quantile(0.5, sum by (le, service_instance_id) (rate(augur_span_duration_seconds_bucket{` + spans + `}[2m])))`},
			{Name: "latency_p99", Judge: mw("increase"),
				Query: `histogram_quantile(0.99, sum by (le, service_instance_id) (rate(augur_span_duration_seconds_bucket{` + spans + `}[2m])))`},
			{Name: "latency_requests", Kind: analysis.KindHistogram, Judge: mw("increase"),
				Query: `sum by (service_instance_id) (increase(augur_span_duration_seconds{` + spans + `}[${window}]))`},
			{Name: "error_rate", Judge: analysis.JudgeSpec{Type: analysis.JudgeProportion}, Critical: true,
				Query:      `sum by (service_instance_id) (increase(augur_span_errors_total{` + spans + `}[${window}]))`,
				TotalQuery: `sum by (service_instance_id) (increase(augur_span_requests_total{` + spans + `}[${window}]))`},
			{Name: "http_p90_otlp", Judge: mw("increase"),
				Query: `histogram_quantile(0.9, sum by (le, instance) (rate(http_server_request_duration_seconds_bucket{service_name="checkout",${cohort}}[2m])))`},
			{Name: "cpu_per_request", Judge: mw("increase"),
				Query: `sum by (instance) (rate(process_cpu_time_seconds_total{service_name="checkout",${cohort}}[2m])) / sum by (instance) (rate(http_server_request_duration_seconds_count{service_name="checkout",${cohort}}[2m]))`},
			{Name: "memory_max", Judge: analysis.JudgeSpec{Type: analysis.JudgeThreshold, Aggregate: "max", Upper: &upper},
				Query: `max(process_memory_usage_bytes{service_name="checkout",${cohort}})`},
			// Its own 0.1 % of false fails over the run: a new signature
			// is caught at far less.
			{Name: "error_log_patterns", Kind: analysis.KindLogPatterns, Critical: true,
				Judge:      analysis.JudgeSpec{Type: analysis.JudgePatterns, Confidence: 0.999},
				Query:      `sum by (pattern_id) (increase(augur_log_pattern_records_total{service_name="checkout",severity=~"error|warn",${cohort}}[${window}]))`,
				TotalQuery: `sum(increase(augur_log_records_total{service_name="checkout",${cohort}}[${window}]))`},
		},
	}
	spec.SetDefaults()
	return spec
}

func postSpec(ctx context.Context, base string, spec analysis.Spec) (analysis.Experiment, error) {
	body, err := json.Marshal(spec)
	if err != nil {
		return analysis.Experiment{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/experiments", bytes.NewReader(body))
	if err != nil {
		return analysis.Experiment{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	var exp analysis.Experiment
	if err := doJSON(req, http.StatusCreated, &exp); err != nil {
		return exp, fmt.Errorf("create experiment: %w", err)
	}
	return exp, nil
}

func waitVerdict(ctx context.Context, base, id string) (analysis.Verdict, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/experiments/"+id+"/verdict?wait=60s", nil)
	if err != nil {
		return analysis.Verdict{}, err
	}
	var v analysis.Verdict
	if err := doJSON(req, http.StatusOK, &v); err != nil {
		return v, fmt.Errorf("get verdict: %w", err)
	}
	if v.Verdict == "" {
		return v, fmt.Errorf("get verdict: experiment %s has no verdict yet", id)
	}
	return v, nil
}

func doJSON(req *http.Request, want int, out any) error {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(b))
	}
	return json.Unmarshal(b, out)
}

// webhookListener is the demo's stand-in for a rollout controller.
type webhookListener struct {
	url string
	srv *http.Server
	got chan analysis.Verdict
}

// demoNotify routes every verdict to the demo's webhook listener, a
// receiver on loopback (which the guard refuses unless allowed).
func demoNotify(url string) outbox.Config {
	c := outbox.DefaultConfig()
	hook := signedwebhook.DefaultConfig()
	hook.URL = url
	c.Receivers = []outbox.ReceiverConfig{{Name: "demo-webhook", Webhook: &hook, Guard: notify.Guard{AllowLoopback: true}}}
	c.Route = &route.RouteConfig{Receiver: "demo-webhook", GroupBy: []string{"experiment_id"}, GroupWait: "0s"}
	c.Delivery.PollInterval = 100 * time.Millisecond
	return c
}

func startWebhookListener() (*webhookListener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("webhook listener: %w", err)
	}
	w := &webhookListener{url: "http://" + ln.Addr().String() + "/hooks/verdict", got: make(chan analysis.Verdict, 4)}
	w.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var v analysis.Verdict
		if err := json.NewDecoder(r.Body).Decode(&v); err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case w.got <- v:
		default:
		}
		rw.WriteHeader(http.StatusNoContent)
	})}
	go func() { _ = w.srv.Serve(ln) }()
	return w, nil
}

func (w *webhookListener) close() { _ = w.srv.Close() }
