package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/augurhq/augur/alerting/alertmanager"
	"github.com/augurhq/augur/alerting/notify"
	"github.com/augurhq/augur/alerting/outbox"
	"github.com/augurhq/augur/alerting/route"
	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

// verdictCatcher is a webhook receiver keeping every verdict it gets.
type verdictCatcher struct {
	url      string
	mu       sync.Mutex
	verdicts []analysis.Verdict
}

func newVerdictCatcher(t *testing.T) *verdictCatcher {
	t.Helper()
	vc := &verdictCatcher{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v analysis.Verdict
		if err := json.NewDecoder(r.Body).Decode(&v); err == nil {
			vc.mu.Lock()
			vc.verdicts = append(vc.verdicts, v)
			vc.mu.Unlock()
		}
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	vc.url = "http://" + ln.Addr().String() + "/hook"
	return vc
}

func (vc *verdictCatcher) got() []analysis.Verdict {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	return append([]analysis.Verdict(nil), vc.verdicts...)
}

// allowSpecURLs lets specs' webhooks reach the test's receivers on
// loopback, quickly.
func allowSpecURLs(c *Config) {
	c.Notify.AllowSpecURLs = true
	c.Notify.SpecURLs.Guard.AllowLoopback = true
	c.Notify.Delivery.PollInterval = 20 * time.Millisecond
}

// alertCanary creates, through the API, a running experiment whose first
// interval is a minute away, aborted by alerts matching sets.
func alertCanary(t *testing.T, srv *Server, name, sets, hook string) analysis.Experiment {
	t.Helper()
	spec := fmt.Sprintf(`apiVersion: augur/v1
name: %s
cohorts: {baseline: 'service_version="v1"', canary: 'service_version="v2"'}
timing: {interval: 1m, lifetime: 10m}
metrics:
  - {name: latency, query: 'rate(augur_span_duration_seconds_sum{${cohort}}[1m])', judge: {type: mannwhitney}}
abort_on_alert: [%s]
webhooks: [%q]
`, name, sets, hook)
	resp, err := http.Post(srv.URL()+"/api/v1/experiments", "application/yaml", strings.NewReader(spec))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e analysis.Experiment
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("create %s: %s %s", name, resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatal(err)
	}
	return e
}

// checkAbortedByAlert checks that the experiment's run ended as fail with
// the alert in its reason, that the verdict went to the webhook, and that
// the abort is an event of the experiment.
func checkAbortedByAlert(t *testing.T, srv *Server, e analysis.Experiment, hook *verdictCatcher, alert string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	x, err := srv.Manager().Wait(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := "alert " + alert + " fired at "
	if x.Status != string(analysis.RunAborted) || x.Verdict == nil || x.Verdict.Verdict != judges.OutcomeFail || !strings.HasPrefix(x.Verdict.Reason, want) {
		t.Fatalf("%s: status %s verdict %+v, want fail with reason %q...", e.Spec.Name, x.Status, x.Verdict, want)
	}
	// The verdict leaves through the outbox, after the commit.
	for deadline := time.Now().Add(10 * time.Second); len(hook.got()) == 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if vs := hook.got(); len(vs) != 1 || vs[0].Verdict != judges.OutcomeFail || vs[0].Reason != x.Verdict.Reason {
		t.Errorf("webhook got %+v, want the one fail verdict", vs)
	}
	resp, err := http.Get(srv.URL() + "/api/v1/experiments/" + e.ID + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var evs struct{ Events []analysis.Event }
	if err := json.NewDecoder(resp.Body).Decode(&evs); err != nil {
		t.Fatal(err)
	}
	if len(evs.Events) != 1 || evs.Events[0].Source != "alertmanager" || evs.Events[0].Message != x.Verdict.Reason {
		t.Errorf("events %+v", evs.Events)
	}
}

// TestAlertmanagerWebhookAbortsCanary: through a real augur serve, a
// version 4 Alertmanager webhook with a firing alert on the checkout
// service ends the checkout canary as fail (its verdict delivered), and
// leaves the search canary running; a resolved alert changes nothing.
func TestAlertmanagerWebhookAbortsCanary(t *testing.T) {
	srv := startServer(t, allowSpecURLs)
	hook, other := newVerdictCatcher(t), newVerdictCatcher(t)
	checkout := alertCanary(t, srv, "checkout-canary", `'service="checkout"'`, hook.url)
	search := alertCanary(t, srv, "search-canary", `'{service="search", severity=~"critical|page"}'`, other.url)
	post := func(status string) map[string]any {
		t.Helper()
		body := fmt.Sprintf(`{"version":"4","groupKey":"{}:{}","truncatedAlerts":0,"status":%[1]q,"receiver":"augur",
			"groupLabels":{},"commonLabels":{"service":"checkout"},"commonAnnotations":{},"externalURL":"http://127.0.0.1:9093",
			"alerts":[{"status":%[1]q,"labels":{"alertname":"HighErrorRate","service":"checkout","severity":"page"},"annotations":{},
			"startsAt":"2026-12-03T20:04:05Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"","fingerprint":"1"}]}`, status)
		resp, err := http.Post(srv.URL()+"/api/v1/alerts/alertmanager", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("webhook: %s %v %v", resp.Status, out, err)
		}
		return out
	}
	if out := post("resolved"); len(out["aborted"].([]any)) != 0 {
		t.Fatalf("a resolved alert aborted %v", out)
	}
	out := post("firing")
	aborted := out["aborted"].([]any)
	if len(aborted) != 1 || aborted[0].(map[string]any)["experiment_id"] != checkout.ID {
		t.Fatalf("aborted %v, want only %s", out, checkout.ID)
	}
	checkAbortedByAlert(t, srv, checkout, hook, `HighErrorRate{service="checkout", severity="page"}`)
	if x, _ := srv.Manager().Get(context.Background(), search.ID); x.Status != string(analysis.RunRunning) {
		t.Errorf("search canary: %s, want running", x.Status)
	}
	if out := post("firing"); len(out["aborted"].([]any)) != 0 {
		t.Errorf("the ended run was aborted again: %v", out)
	}
}

// alertmanagerBinary is Debian's prometheus-alertmanager.
const alertmanagerBinary = "/usr/bin/prometheus-alertmanager"

// TestRealAlertmanagerLoop: Debian's Alertmanager both ways. Its
// webhook_configs receiver points at augur: an alert posted to its
// /api/v2/alerts reaches augur, which ends the matching canary as fail.
// augur's alertmanager receiver points at it: the fail verdict appears in
// its /api/v2/alerts as AugurCanaryFailed with the experiment's labels
// (routed back to augur, it aborts nothing else), and a later run of the
// experiment that a user aborts resolves it.
func TestRealAlertmanagerLoop(t *testing.T) {
	if _, err := os.Stat(alertmanagerBinary); err != nil {
		t.Skipf("no Alertmanager to test against: %s is missing (install prometheus-alertmanager)", alertmanagerBinary)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	base := "http://" + addr
	srv := startServer(t, func(c *Config) {
		allowSpecURLs(c)
		am := alertmanager.DefaultConfig()
		am.URLs = []string{base}
		c.Notify.Receivers = []outbox.ReceiverConfig{{Name: "am", Alertmanager: &am, Guard: notify.Guard{AllowLoopback: true}}}
		c.Notify.Route = &route.RouteConfig{Receiver: "am", GroupBy: []string{"experiment_id"}, GroupWait: "0s", GroupInterval: "1s"}
		c.Notify.Delivery.Backoff, c.Notify.Delivery.MaxBackoff = 50*time.Millisecond, 200*time.Millisecond
	})
	hook := newVerdictCatcher(t)
	checkout := alertCanary(t, srv, "checkout-canary", `'{service="checkout", severity=~"critical|page"}'`, hook.url)

	dir := t.TempDir()
	cfg := filepath.Join(dir, "alertmanager.yml")
	conf := fmt.Sprintf(`route:
  receiver: augur
  group_by: [service]
  group_wait: 50ms
  group_interval: 1s
receivers:
  - name: augur
    webhook_configs:
      - url: %q
        send_resolved: true
`, srv.URL()+"/api/v1/alerts/alertmanager")
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	cmd := exec.Command(alertmanagerBinary, "--config.file="+cfg, "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address=")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("alertmanager:\n%s", logs.String())
		}
	})
	for i := 0; ; i++ {
		resp, err := http.Get(base + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if i == 200 {
			t.Fatal("alertmanager did not become ready")
		}
		time.Sleep(25 * time.Millisecond)
	}
	alert := `[{"labels":{"alertname":"HighErrorRate","service":"checkout","severity":"critical"},"annotations":{"summary":"5xx above 5 %"}}]`
	resp, err := http.Post(base+"/api/v2/alerts", "application/json", strings.NewReader(alert))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/v2/alerts: %s", resp.Status)
	}
	checkAbortedByAlert(t, srv, checkout, hook, `HighErrorRate{service="checkout", severity="critical"}`)

	// augur's own alert, as Alertmanager holds it.
	augurAlerts := func() []map[string]string {
		t.Helper()
		resp, err := http.Get(base + "/api/v2/alerts?active=true&silenced=true&inhibited=true&filter=" + url.QueryEscape(`alertname=~"AugurCanary.*"`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var as []struct {
			Labels map[string]string      `json:"labels"`
			Status struct{ State string } `json:"status"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&as); err != nil {
			t.Fatal(err)
		}
		var out []map[string]string
		for _, a := range as {
			if a.Status.State == "active" {
				out = append(out, a.Labels)
			}
		}
		return out
	}
	var active []map[string]string
	for deadline := time.Now().Add(15 * time.Second); len(active) == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		active = augurAlerts()
	}
	if len(active) != 1 || active[0]["alertname"] != "AugurCanaryFailed" || active[0]["experiment"] != checkout.ID ||
		active[0]["name"] != "checkout-canary" || active[0]["severity"] != "critical" {
		t.Fatalf("Alertmanager's active augur alerts %v, want AugurCanaryFailed for %s", active, checkout.ID)
	}
	// A new run of the experiment, aborted by a user, resolves it.
	for _, step := range []string{"start", "abort"} {
		resp, err := http.Post(srv.URL()+"/api/v1/experiments/"+checkout.ID+"/"+step, "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s", step, resp.Status)
		}
	}
	for deadline := time.Now().Add(15 * time.Second); len(active) > 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		active = augurAlerts()
	}
	if len(active) != 0 {
		t.Errorf("augur's alert still active after the experiment's next run ended: %v", active)
	}
	// Routed back to augur, augur's own alert ended nothing: one event,
	// the abort by HighErrorRate.
	var evs struct{ Events []analysis.Event }
	resp, err = http.Get(srv.URL() + "/api/v1/experiments/" + checkout.ID + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&evs); err != nil || len(evs.Events) != 1 {
		t.Errorf("events %+v (%v), want the one abort", evs.Events, err)
	}
}
