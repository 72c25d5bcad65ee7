// Package conformance drives Argo Rollouts' own metric providers against a
// live augur serve.
package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/argoproj/argo-rollouts/metricproviders/kayenta"
	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	log "github.com/sirupsen/logrus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/augurhq/augur/cmd/augur/app"
	"github.com/augurhq/augur/cmd/augur/simulate"
)

// kayentaConfig is a Kayenta canary config of the kind users store for
// Argo Rollouts: Prometheus queries on the latency of the checkout
// service, the cohort chosen by ${scope} (the version label).
const kayentaConfig = `{
  "name": "checkout-latency",
  "applications": ["checkout"],
  "judge": {"name": "NetflixACAJudge-v1.0", "judgeConfigurations": {}},
  "metrics": [
    {"name": "p90 latency",
     "query": {"type": "prometheus", "customInlineTemplate": "PromQL:histogram_quantile(0.9, sum by (le, instance) (rate(http_server_request_duration_seconds_bucket{service_name=\"checkout\",service_version=\"${scope}\"}[2m])))"},
     "groups": ["latency"], "analysisConfigurations": {"canary": {"direction": "increase"}}, "scopeName": "default"},
    {"name": "p50 server span latency",
     "query": {"type": "prometheus", "customInlineTemplate": "PromQL:histogram_quantile(0.5, sum by (le, service_instance_id) (rate(augur_span_duration_seconds_bucket{service_name=\"checkout\",span_kind=\"server\",service_version=\"${scope}\"}[2m])))"},
     "groups": ["latency"], "analysisConfigurations": {"canary": {"direction": "increase"}}, "scopeName": "default"}
  ],
  "classifier": {"groupWeights": {"latency": 100}}
}`

// startAugur runs augur serve in-process on a loopback port.
func startAugur(t *testing.T) *app.Server {
	t.Helper()
	cfg := app.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.Store.Dir = t.TempDir()
	cfg.OTLPGRPC.Listen, cfg.Jaeger.Listen = "127.0.0.1:0", "127.0.0.1:0"
	srv, err := app.NewServer(cfg, slog.New(slog.DiscardHandler))
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

// sendTraffic pushes the checkout service's telemetry (OTLP traces and
// metrics) for v1 and v2 over [start, end]; regressed slows v2 down.
func sendTraffic(t *testing.T, url string, start, end time.Time, regressed bool) {
	t.Helper()
	sim := simulate.DefaultConfig()
	sim.Endpoint, sim.Start, sim.End, sim.Seed = url, start, end, 11
	if regressed {
		sim.Cohorts[1].LatencyMedian = sim.Cohorts[1].LatencyMedian * 135 / 100
	}
	if _, err := simulate.Run(context.Background(), sim); err != nil {
		t.Fatal(err)
	}
}

func storeConfig(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Post(url+"/kayenta/canaryConfig", "application/json", bytes.NewBufferString(kayentaConfig))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out struct{ CanaryConfigID string }
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &out) != nil || out.CanaryConfigID == "" {
		t.Fatalf("POST /kayenta/canaryConfig: %d %s", resp.StatusCode, b)
	}
}

// TestKayentaProvider drives Argo Rollouts' kayenta metric provider
// (metricproviders/kayenta, v1.8.3, with its own HTTP client) against
// augur's /kayenta API: Run looks the config up by name and starts an
// execution; Resume (called directly instead of after the provider's 15 s
// delay) polls it until complete and classifies the score against the
// thresholds.
func TestKayentaProvider(t *testing.T) {
	for _, tc := range []struct {
		name      string
		regressed bool
		want      v1alpha1.AnalysisPhase
	}{
		{"regressed canary fails", true, v1alpha1.AnalysisPhaseFailed},
		{"healthy canary succeeds", false, v1alpha1.AnalysisPhaseSuccessful},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startAugur(t)
			now := time.Now().UTC().Truncate(time.Second)
			start := now.Add(-10 * time.Minute)
			sendTraffic(t, srv.URL(), start.Add(-3*time.Minute), now, tc.regressed)
			storeConfig(t, srv.URL())

			// The shipped AnalysisTemplate, its args resolved by Argo's own
			// run factory and metric resolution, as the controller does.
			tmpl := shippedTemplate(t, "kayenta.yaml")
			run := argoRun(t, tmpl, map[string]string{
				"stable-hash": "v1", "canary-hash": "v2", "augur-url": srv.URL(),
				"start-time": start.Format(time.RFC3339), "end-time": now.Format(time.RFC3339),
			})
			metric := run.metrics[0]
			started := metav1.NewTime(start)
			run.run.Status.StartedAt = &started
			p := kayenta.NewKayentaProvider(*log.NewEntry(log.New()), kayenta.NewHttpClient())

			m := p.Run(run.run, metric)
			if m.Phase != v1alpha1.AnalysisPhaseRunning || m.Metadata["canaryExecutionId"] == "" {
				t.Fatalf("Run: phase %s, message %q, metadata %v", m.Phase, m.Message, m.Metadata)
			}
			deadline := time.Now().Add(time.Minute)
			for m.Phase == v1alpha1.AnalysisPhaseRunning {
				if time.Now().After(deadline) {
					t.Fatalf("execution %s still running after a minute", m.Metadata["canaryExecutionId"])
				}
				time.Sleep(100 * time.Millisecond)
				m = p.Resume(run.run, metric, m)
			}
			if m.Phase != tc.want {
				t.Fatalf("phase %s (score %q, message %q), want %s", m.Phase, m.Value, m.Message, tc.want)
			}
			t.Logf("execution %s: %s, score %s", m.Metadata["canaryExecutionId"], m.Phase, m.Value)
		})
	}
}

// TestStandaloneAnalysis replays a Spinnaker-style client of Kayenta's
// standalone canary analysis (kayenta-standalone-canary-analysis:
// StandaloneCanaryAnalysisController, CanaryAnalysisExecutionRequest)
// against the live server: three 10-minute judgements of a window that
// has passed, polled until complete.
func TestStandaloneAnalysis(t *testing.T) {
	srv := startAugur(t)
	now := time.Now().UTC().Truncate(time.Second)
	start := now.Add(-30 * time.Minute)
	sendTraffic(t, srv.URL(), start.Add(-3*time.Minute), now, true)
	body := `{"canaryConfig":` + kayentaConfig + `,"executionRequest":{
		"scopes":[{"scopeName":"default","controlScope":"v1","experimentScope":"v2","step":"15",
			"startTimeIso":"` + start.Format(time.RFC3339) + `","endTimeIso":"` + now.Format(time.RFC3339) + `"}],
		"thresholds":{"pass":90,"marginal":75},"analysisIntervalMins":10}}`
	var started struct{ CanaryAnalysisExecutionID string }
	if code := postJSON(t, srv.URL()+"/kayenta/standalone_canary_analysis?application=checkout&user=ci", body, &started); code != http.StatusOK || started.CanaryAnalysisExecutionID == "" {
		t.Fatalf("POST: %d %+v", code, started)
	}
	var doc struct {
		Complete bool
		Status   string
		Result   *struct {
			DidPassThresholds      bool
			CanaryScores           []float64
			CanaryExecutionResults []struct{ ExecutionStatus string }
		} `json:"canaryAnalysisExecutionResult"`
	}
	deadline := time.Now().Add(time.Minute)
	for !doc.Complete {
		if time.Now().After(deadline) {
			t.Fatal("not complete after a minute")
		}
		time.Sleep(100 * time.Millisecond)
		resp, err := http.Get(srv.URL() + "/kayenta/standalone_canary_analysis/" + started.CanaryAnalysisExecutionID)
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&doc)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET: %d %v", resp.StatusCode, err)
		}
	}
	if doc.Status != "succeeded" || doc.Result == nil || doc.Result.DidPassThresholds || len(doc.Result.CanaryExecutionResults) == 0 ||
		len(doc.Result.CanaryScores) != len(doc.Result.CanaryExecutionResults) {
		t.Fatalf("complete: status %s, result %+v; want succeeded, a regressed canary not passing, a score per judgement", doc.Status, doc.Result)
	}
	t.Logf("judgements %d, scores %v", len(doc.Result.CanaryExecutionResults), doc.Result.CanaryScores)
	if last := doc.Result.CanaryScores[len(doc.Result.CanaryScores)-1]; last >= 75 {
		t.Errorf("scores %v: the regressed canary's last score is not below marginal", doc.Result.CanaryScores)
	}
}

func postJSON(t *testing.T, url, body string, out any) int {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("%s: %d %s", url, resp.StatusCode, b)
	}
	return resp.StatusCode
}
