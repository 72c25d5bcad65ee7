package app

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

// writeLatency appends per-pod latency samples for version every 15 s over
// [start, end]: pod i of every version reads base + i, so versions with
// the same base are identical.
func writeLatency(t *testing.T, srv *Server, version string, base float64, start, end time.Time) {
	t.Helper()
	app := srv.Store().Appender(context.Background())
	for ts := start; !ts.After(end); ts = ts.Add(15 * time.Second) {
		for pod := range 3 {
			ls := labels.FromStrings("__name__", "checkout_latency_seconds", "version", version, "pod", fmt.Sprintf("%s-%d", version, pod))
			v := base + float64(pod)*0.01 + float64(ts.Unix()%60)/6000
			if _, err := app.Append(0, ls, ts.UnixMilli(), v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
}

// latencyExperiment creates over HTTP an experiment comparing canary with
// v1 over the last lifetime (already due when start is in the past).
func latencyExperiment(t *testing.T, srv *Server, name, canary, start string, lifetime time.Duration) analysis.Experiment {
	t.Helper()
	spec := fmt.Sprintf(`apiVersion: augur/v1
name: %s
cohorts: {baseline: 'version="v1"', canary: 'version="%s"'}
timing: {start: "%s", interval: %s, lifetime: %s}
step: 15s
metrics:
  - {name: latency, query: 'checkout_latency_seconds{${cohort}}', judge: {type: mannwhitney, direction: increase}}
`, name, canary, start, lifetime, lifetime)
	var x analysis.Experiment
	getJSON(t, http.MethodPost, srv.URL()+"/api/v1/experiments", spec, http.StatusCreated, &x)
	return x
}

// scrapeMetrics reads /metrics with the Prometheus text parser.
func scrapeMetrics(t *testing.T, srv *Server) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(srv.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("/metrics: %d %s", resp.StatusCode, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bufio.NewReader(resp.Body))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for name, mf := range mfs {
		out[name] = mf
	}
	return out
}

// series returns the values of a family's series whose labels include want.
func series(mfs map[string]*dto.MetricFamily, family string, want map[string]string) []float64 {
	var out []float64
	mf := mfs[family]
	if mf == nil {
		return nil
	}
next:
	for _, m := range mf.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			out = append(out, m.GetGauge().GetValue())
		case m.Counter != nil:
			out = append(out, m.GetCounter().GetValue())
		case m.Histogram != nil:
			out = append(out, float64(m.GetHistogram().GetSampleCount()))
		}
	}
	return out
}

// kedaQuery replays KEDA's prometheus scaler (kedacore/keda
// pkg/scalers/prometheus_scaler.go, ExecutePromQuery): GET
// {serverAddress}/api/v1/query?query=<escaped>&time=<RFC 3339, UTC>, 2xx
// only, zero or one result, value[1] parsed as a float.
func kedaQuery(t *testing.T, serverAddress, query string) (float64, error) {
	t.Helper()
	ts := time.Now().UTC().Format(time.RFC3339)
	u := fmt.Sprintf("%s/api/v1/query?query=%s&time=%s", serverAddress, url.QueryEscape(query), ts)
	resp, err := http.Get(u)
	if err != nil {
		return -1, err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return -1, fmt.Errorf("prometheus query api returned error. status: %d", resp.StatusCode)
	}
	var result struct {
		Status string `json:"status"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric struct{} `json:"metric"`
				Value  []any    `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&result); err != nil {
		return -1, err
	}
	switch {
	case len(result.Data.Result) == 0:
		return -1, fmt.Errorf("prometheus metrics 'prometheus' target may be lost, the result is empty")
	case len(result.Data.Result) > 1:
		return -1, fmt.Errorf("prometheus query %s returned multiple elements", query)
	case len(result.Data.Result[0].Value) < 2:
		return -1, fmt.Errorf("prometheus query %s didn't return enough values", query)
	}
	v, err := strconv.ParseFloat(result.Data.Result[0].Value[1].(string), 64)
	if err != nil {
		return -1, err
	}
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return -1, fmt.Errorf("prometheus query returns %f", v)
	}
	return v, nil
}

// flaggerQuery replays Flagger's prometheus metric provider (fluxcd/flagger
// pkg/metrics/providers/prometheus.go, RunQuery): whitespace collapsed,
// GET {address}/api/v1/query?query=<escaped>, status < 400, no "values",
// the last result's value[1] parsed as a float, none or NaN an error.
func flaggerQuery(t *testing.T, address, query string) (float64, error) {
	t.Helper()
	query = strings.Join(strings.Fields(query), " ")
	resp, err := http.Get(address + "/api/v1/query?query=" + url.QueryEscape(query))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 {
		return 0, fmt.Errorf("error response: Status %d: %s", resp.StatusCode, b)
	}
	var result struct {
		Data struct {
			Result []struct {
				Value  []any `json:"value"`
				Values []any `json:"values"`
			}
		}
	}
	if err := json.Unmarshal(b, &result); err != nil {
		return 0, err
	}
	var value *float64
	for _, r := range result.Data.Result {
		if r.Values != nil {
			return 0, fmt.Errorf("multiple values returned")
		}
		if s, ok := r.Value[1].(string); ok {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return 0, err
			}
			value = &f
		}
	}
	if value == nil || math.IsNaN(*value) {
		return 0, fmt.Errorf("no values found")
	}
	return *value, nil
}

// TestExperimentSeries: a passing, a failing and a running experiment show
// their current verdict, one series each, in /metrics and, self-scraped,
// in PromQL over the embedded store as KEDA's prometheus scaler and
// Flagger's MetricTemplate query it.
func TestExperimentSeries(t *testing.T) {
	srv := startServer(t, func(c *Config) {
		c.SelfScrape.Interval = time.Second
		c.Analysis.Poll = 20 * time.Millisecond
	})
	end := time.Now().UTC().Truncate(15 * time.Second)
	start := end.Add(-11 * time.Minute)
	writeLatency(t, srv, "v1", 0.1, start, end)
	writeLatency(t, srv, "v2", 0.1, start, end)
	writeLatency(t, srv, "v3", 0.2, start, end)

	pass := latencyExperiment(t, srv, "healthy", "v2", "-10m", 10*time.Minute)
	fail := latencyExperiment(t, srv, "regressed", "v3", "-10m", 10*time.Minute)
	running := latencyExperiment(t, srv, "in-flight", "v2", "-1s", time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	want := map[string]judges.Outcome{pass.ID: judges.OutcomePass, fail.ID: judges.OutcomeFail}
	for id, outcome := range want {
		x, err := srv.Manager().Wait(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if x.Verdict == nil || x.Verdict.Verdict != outcome {
			t.Fatalf("experiment %s: verdict %+v, want %s", id, x.Verdict, outcome)
		}
	}
	want[running.ID] = verdictRunning

	t.Run("metrics endpoint", func(t *testing.T) {
		mfs := scrapeMetrics(t, srv)
		for id, outcome := range want {
			if got := series(mfs, "augur_experiment_verdict", map[string]string{"experiment": id}); len(got) != 1 {
				t.Errorf("%s: %d verdict series, want 1", id, len(got))
			}
			if got := series(mfs, "augur_experiment_verdict", map[string]string{"experiment": id, "verdict": string(outcome)}); len(got) != 1 || got[0] != 1 {
				t.Errorf("%s: verdict %s = %v, want [1]", id, outcome, got)
			}
		}
		if got := series(mfs, "augur_experiment_verdict", map[string]string{"experiment": pass.ID, "name": "healthy", "template": "", "key": ""}); len(got) != 1 {
			t.Errorf("healthy: name/template/key labels: %v", got)
		}
		if got := series(mfs, "augur_experiment_score", map[string]string{"experiment": pass.ID}); len(got) != 1 || got[0] < 50 {
			t.Errorf("healthy score = %v, want one high score", got)
		}
		if got := series(mfs, "augur_experiment_score", map[string]string{"experiment": fail.ID}); len(got) != 1 || got[0] > 50 {
			t.Errorf("regressed score = %v, want one low score", got)
		}
		if got := series(mfs, "augur_experiment_score", map[string]string{"experiment": running.ID}); len(got) != 0 {
			t.Errorf("running experiment with nothing judged has a score %v", got)
		}
		effect := series(mfs, "augur_metric_effect", map[string]string{"experiment": fail.ID, "metric": "latency", "variant": "canary", "scale": "ratio"})
		lo := series(mfs, "augur_metric_effect_lower", map[string]string{"experiment": fail.ID, "metric": "latency"})
		hi := series(mfs, "augur_metric_effect_upper", map[string]string{"experiment": fail.ID, "metric": "latency"})
		if len(effect) != 1 || len(lo) != 1 || len(hi) != 1 || !(lo[0] <= effect[0] && effect[0] <= hi[0]) || effect[0] < 1.5 || effect[0] > 2.5 {
			t.Errorf("regressed latency effect %v in [%v, %v], want a ratio of about 2 inside its bounds", effect, lo, hi)
		}
		if got := series(mfs, "augur_interval_judgements_total", map[string]string{"outcome": "fail"}); len(got) != 1 || got[0] < 1 {
			t.Errorf("judgements{outcome=fail} = %v", got)
		}
		if got := series(mfs, "augur_interval_judgements_total", map[string]string{"outcome": "pass"}); len(got) != 1 || got[0] < 1 {
			t.Errorf("judgements{outcome=pass} = %v", got)
		}
		if got := series(mfs, "augur_scheduling_lag_seconds", nil); len(got) != 1 || got[0] < 2 {
			t.Errorf("scheduling lag observations = %v, want at least 2", got)
		}
		if got := series(mfs, "augur_scheduling_backlog_intervals", nil); len(got) != 1 || got[0] != 0 {
			t.Errorf("backlog = %v, want [0]", got)
		}
	})

	t.Run("promql as KEDA and Flagger query it", func(t *testing.T) {
		for id, outcome := range want {
			q := fmt.Sprintf(`augur_experiment_verdict{job="augur",experiment=%q,verdict=%q}`, id, outcome)
			deadline := time.Now().Add(10 * time.Second)
			for {
				v, err := kedaQuery(t, srv.URL(), q)
				if err == nil && v == 1 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("KEDA query %s: %v, %v", q, v, err)
				}
				time.Sleep(50 * time.Millisecond)
			}
			// One series per experiment: a sum never double-counts.
			n, err := kedaQuery(t, srv.URL(), fmt.Sprintf(`count(augur_experiment_verdict{experiment=%q})`, id))
			if err != nil || n != 1 {
				t.Errorf("%s: %v verdict series in the store (%v), want 1", id, n, err)
			}
		}
		v, err := flaggerQuery(t, srv.URL(), fmt.Sprintf(`
			max(augur_experiment_score{
				experiment=%q
			})`, fail.ID))
		if err != nil || v > 50 {
			t.Errorf("Flagger MetricTemplate query: %v, %v; want the regressed run's low score", v, err)
		}
		if v, err := flaggerQuery(t, srv.URL(), "vector(1)"); err != nil || v != 1 {
			t.Errorf("Flagger IsOnline: %v, %v", v, err)
		}
	})
}

// TestExperimentSeriesRetention: an experiment whose run ended longer ago
// than metrics.experiment_retention has no series; one still running
// keeps its series.
func TestExperimentSeriesRetention(t *testing.T) {
	srv := startServer(t, func(c *Config) {
		c.Metrics.ExperimentRetention = time.Millisecond
		c.Analysis.Poll = 20 * time.Millisecond
	})
	end := time.Now().UTC().Truncate(15 * time.Second)
	writeLatency(t, srv, "v1", 0.1, end.Add(-6*time.Minute), end)
	writeLatency(t, srv, "v2", 0.1, end.Add(-6*time.Minute), end)
	ended := latencyExperiment(t, srv, "ended", "v2", "-5m", 5*time.Minute)
	running := latencyExperiment(t, srv, "in-flight", "v2", "-1s", time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := srv.Manager().Wait(ctx, ended.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // past the retention
	mfs := scrapeMetrics(t, srv)
	if got := series(mfs, "augur_experiment_verdict", map[string]string{"experiment": ended.ID}); len(got) != 0 {
		t.Errorf("ended experiment past retention: %v, want no series", got)
	}
	if got := series(mfs, "augur_experiment_verdict", map[string]string{"experiment": running.ID, "verdict": "running"}); len(got) != 1 {
		t.Errorf("running experiment: %v, want its series", got)
	}
}
