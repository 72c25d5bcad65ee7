package alertmanager

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/augurhq/augur/alerting/notify"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func message() notify.Message {
	score := 41.25
	return notify.Message{
		ID: "msg_1", Event: notify.EventVerdict, ExperimentID: "exp1", RunID: "run1", Name: "checkout",
		Labels:  map[string]string{"team": "payments", "app.kubernetes.io/name": "checkout", "alertname": "spoofed", "empty": ""},
		Verdict: "fail", Severity: notify.SeverityCritical, Score: &score, Reason: "2 of 5 metrics failed",
		Failing: []notify.Metric{
			{Name: "latency_p99", Classification: "fail", Reason: "p99 +40%"},
			{Name: "errors", Classification: "fail", Reason: "5xx rate 3x baseline"},
		},
		ReportURL: "https://augur.example/api/v1/experiments/exp1",
		At:        time.Date(2026, 3, 1, 11, 59, 0, 0, time.UTC),
	}
}

// TestAlertsGolden pins the body of POST /api/v2/alerts for each kind of
// message (go test -update rewrites testdata/*.json).
func TestAlertsGolden(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	pass := message()
	pass.Verdict, pass.Severity, pass.Failing, pass.Reason = "pass", notify.SeverityInfo, nil, "all metrics passed"
	resolved := message()
	resolved.Resolved = true
	marginal := message()
	marginal.Verdict = "marginal"
	for _, tc := range []struct {
		name string
		msg  notify.Message
	}{
		{"fail", message()},
		{"marginal", marginal},
		{"pass", pass},
		{"resolved", resolved},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := json.MarshalIndent(Alerts(tc.msg, now, time.Hour), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.name+".json")
			if *update {
				if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if strings.TrimSpace(string(want)) != string(got) {
				t.Fatalf("body differs from %s:\n%s", path, got)
			}
		})
	}
	started := message()
	started.Event, started.Verdict = notify.EventRunStarted, ""
	if a := Alerts(started, now, time.Hour); a != nil {
		t.Fatalf("a run's start posts %v", a)
	}
}

// TestAlertsSemantics checks the rules the golden files show.
func TestAlertsSemantics(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	alerts := Alerts(message(), now, 90*time.Minute)
	active := 0
	for _, a := range alerts {
		if a.Labels["experiment"] != "exp1" || a.Labels["name"] != "checkout" || a.Labels["team"] != "payments" ||
			a.Labels["app_kubernetes_io_name"] != "checkout" || a.Labels["alertname"] == "spoofed" {
			t.Errorf("labels %v", a.Labels)
		}
		if _, ok := a.Labels["empty"]; ok {
			t.Errorf("empty label kept: %v", a.Labels)
		}
		if a.EndsAt.After(now) {
			active++
			if a.Labels["alertname"] != "AugurCanaryFailed" || a.Labels["severity"] != "critical" || !a.EndsAt.Equal(now.Add(90*time.Minute)) {
				t.Errorf("firing alert %+v", a)
			}
			if !strings.Contains(a.Annotations["description"], "latency_p99 (fail): p99 +40%") || a.Annotations["report_url"] == "" {
				t.Errorf("annotations %v", a.Annotations)
			}
		}
	}
	if active != 1 {
		t.Fatalf("%d active alerts, want 1", active)
	}
	for _, tc := range []struct{ in, want string }{
		{"team", "team"}, {"app.kubernetes.io/name", "app_kubernetes_io_name"}, {"9lives", "_9lives"}, {"", "_"},
	} {
		if got := labelName(tc.in); got != tc.want {
			t.Errorf("labelName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNotifyAcrossAlertmanagers(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, r.URL.Path+" "+string(b))
		mu.Unlock()
	}))
	defer ok.Close()
	status := func(code int, retryAfter string) string {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			http.Error(w, "nope", code)
		}))
		t.Cleanup(s.Close)
		return s.URL
	}
	down := "http://" + closedPort(t)
	bad1, bad2 := status(400, ""), status(400, "")
	limited := status(429, "30")
	for _, tc := range []struct {
		name      string
		urls      []string
		wantErr   bool
		permanent bool
		after     time.Duration
	}{
		{"one down, one takes it", []string{down, ok.URL + "/am"}, false, false, 0},
		{"all down: retryable", []string{down, down}, true, false, 0},
		{"all refuse: permanent", []string{bad1, bad2}, true, true, 0},
		{"one refuses, one down: retryable", []string{bad1, down}, true, false, 0},
		{"one refuses, one rate-limited: retry after", []string{bad1, limited}, true, false, 30 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.URLs = tc.urls
			n, err := New("am", cfg, notify.Guard{AllowLoopback: true})
			if err != nil {
				t.Fatal(err)
			}
			err = n.Notify(context.Background(), message())
			if (err != nil) != tc.wantErr || (err != nil && notify.IsPermanent(err) != tc.permanent) {
				t.Fatalf("err %v, want error %v permanent %v", err, tc.wantErr, tc.permanent)
			}
			if d, _ := notify.RetryAfter(err); d != tc.after {
				t.Fatalf("retry after %v, want %v", d, tc.after)
			}
		})
	}
	if len(bodies) != 1 || !strings.HasPrefix(bodies[0], "/am/api/v2/alerts [") {
		t.Fatalf("bodies %v", bodies)
	}
	// The guard applies: loopback is refused by default, permanently.
	cfg := DefaultConfig()
	cfg.URLs = []string{ok.URL}
	n, _ := New("am", cfg, notify.Guard{})
	if err := n.Notify(context.Background(), message()); !notify.IsPermanent(err) || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("err %v", err)
	}
}

func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestConfigValidate(t *testing.T) {
	err := Config{URLs: []string{"am:9093"}}.Validate("receivers.a.alertmanager")
	for _, want := range []string{".urls[0]", ".resolve_timeout", ".http.timeout"} {
		if err == nil || !strings.Contains(err.Error(), "receivers.a.alertmanager"+want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
	if err := DefaultConfig().Validate("r"); err == nil || !strings.Contains(err.Error(), "r.urls: at least one") {
		t.Errorf("no urls: %v", err)
	}
}

// alertmanagerBinary is Debian's prometheus-alertmanager (0.25).
const alertmanagerBinary = "/usr/bin/prometheus-alertmanager"

// startAlertmanager runs Alertmanager on a loopback port with a minimal
// config, no cluster and a temporary storage directory, and returns its
// base URL once it is ready.
func startAlertmanager(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(alertmanagerBinary); err != nil {
		t.Skipf("no Alertmanager to test against: %s is missing (install prometheus-alertmanager, scripts/deps.sh)", alertmanagerBinary)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfg, []byte("route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := closedPort(t)
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
	base := "http://" + addr
	for i := 0; i < 200; i++ {
		resp, err := http.Get(base + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatal("alertmanager did not become ready")
	return ""
}

// gettableAlert is the part of GET /api/v2/alerts the test reads.
type gettableAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	Status      struct {
		State string `json:"state"`
	} `json:"status"`
	EndsAt time.Time `json:"endsAt"`
}

func activeAlerts(t *testing.T, base, experiment string) []gettableAlert {
	t.Helper()
	q := url.Values{"filter": {fmt.Sprintf("experiment=%q", experiment)}}
	resp, err := http.Get(base + "/api/v2/alerts?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /api/v2/alerts: %s %s", resp.Status, b)
	}
	var out []gettableAlert
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRealAlertmanager raises a failing verdict on Debian's Alertmanager,
// reads it back from GET /api/v2/alerts with its labels, and resolves it.
func TestRealAlertmanager(t *testing.T) {
	base := startAlertmanager(t)
	cfg := DefaultConfig()
	cfg.URLs = []string{"http://" + closedPort(t), base} // one Alertmanager down
	n, err := New("am", cfg, notify.Guard{AllowLoopback: true})
	if err != nil {
		t.Fatal(err)
	}
	m := message()
	m.At = time.Now().Add(-time.Second)
	if err := n.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := activeAlerts(t, base, "exp1")
	if len(got) != 1 {
		t.Fatalf("%d active alerts, want 1: %+v", len(got), got)
	}
	a := got[0]
	for k, v := range map[string]string{
		"alertname": "AugurCanaryFailed", "severity": "critical", "experiment": "exp1", "name": "checkout",
		"team": "payments", "app_kubernetes_io_name": "checkout",
	} {
		if a.Labels[k] != v {
			t.Errorf("label %s = %q, want %q (labels %v)", k, a.Labels[k], v, a.Labels)
		}
	}
	if a.Status.State != "active" && a.Status.State != "unprocessed" {
		t.Errorf("state %q", a.Status.State)
	}
	if !strings.Contains(a.Annotations["description"], "latency_p99") || a.Annotations["report_url"] != m.ReportURL {
		t.Errorf("annotations %v", a.Annotations)
	}
	if d := time.Until(a.EndsAt); d < 55*time.Minute || d > time.Hour {
		t.Errorf("endsAt in %v, want the 1h resolve timeout", d)
	}

	m.Resolved, m.Verdict = true, "pass"
	if err := n.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if got := activeAlerts(t, base, "exp1"); len(got) != 0 {
		t.Fatalf("still active after the resolve: %+v", got)
	}
}
