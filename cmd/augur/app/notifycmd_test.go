package app

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/augurhq/augur/alerting/notify"
)

// receipt is what the test receiver got.
type receipt struct {
	header http.Header
	body   []byte
}

// receiverServer answers every request with status (and Retry-After when
// set) and records them.
func receiverServer(t *testing.T, status int, retryAfter, answer string) (*httptest.Server, func() []receipt) {
	t.Helper()
	var mu sync.Mutex
	var got []receipt
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, receipt{r.Header.Clone(), b})
		mu.Unlock()
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []receipt {
		mu.Lock()
		defer mu.Unlock()
		return append([]receipt(nil), got...)
	}
}

func writeTestFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// A whsec_ secret of 32 bytes.
var testSecretKey = bytes.Repeat([]byte{7}, 32)

// notifyConfig is a server configuration whose receivers post to url: a
// signed webhook and a Slack incoming webhook at /services/T0/B0/SECRET,
// both allowed to reach loopback (the test server), and one that is not.
func notifyConfig(t *testing.T, url string) string {
	t.Helper()
	dir := t.TempDir()
	secret := writeTestFile(t, dir, "secret", "whsec_"+base64.StdEncoding.EncodeToString(testSecretKey)+"\n")
	return writeTestFile(t, dir, "augur.yaml", fmt.Sprintf(`
http:
  external_url: https://augur.example.com/
notify:
  receivers:
  - name: ops-webhook
    webhook:
      url: %[1]s/hook
      secret_files: [%[2]s]
    guard:
      allow_loopback: true
  - name: slack-releases
    slack:
      webhook_url: %[1]s/services/T0/B0/SECRET
    guard:
      allow_loopback: true
  - name: guarded
    webhook:
      url: %[1]s/hook
`, url, secret))
}

// verifySignature checks a Standard Webhooks signature from the
// specification (https://www.standardwebhooks.com, "Signature scheme"):
// base64 of HMAC-SHA256 over "id.timestamp.body", as "v1,<sig>".
func verifySignature(h http.Header, body []byte) bool {
	mac := hmac.New(sha256.New, testSecretKey)
	fmt.Fprintf(mac, "%s.%s.%s", h.Get("webhook-id"), h.Get("webhook-timestamp"), body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, s := range strings.Fields(h.Get("webhook-signature")) {
		if hmac.Equal([]byte(s), []byte(want)) {
			return true
		}
	}
	return false
}

func TestNotifyTestWebhook(t *testing.T) {
	for _, tt := range []struct {
		verdict, event string
		resolved       bool
		failing        int
		severity       string
	}{
		{"fail", "verdict", false, 1, "critical"},
		{"pass", "verdict", true, 0, "info"},
		{"marginal", "interval_failed", false, 1, "warning"},
		{"fail", "run_started", false, 0, "info"},
	} {
		t.Run(tt.verdict+"/"+tt.event, func(t *testing.T) {
			srv, got := receiverServer(t, 200, "", "ok")
			var out, errOut bytes.Buffer
			code := NotifyTest(context.Background(), &out, &errOut, NotifyTestArgs{
				ConfigFile: notifyConfig(t, srv.URL), Receiver: "ops-webhook", Verdict: tt.verdict, Event: tt.event})
			if code != NotifyDelivered || !strings.HasPrefix(out.String(), "delivered to ops-webhook") {
				t.Fatalf("exit %d, out %q, err %q; want 0 and delivered to ops-webhook", code, out.String(), errOut.String())
			}
			r := got()
			if len(r) != 1 {
				t.Fatalf("%d requests, want 1", len(r))
			}
			var m notify.Message
			if err := json.Unmarshal(r[0].body, &m); err != nil {
				t.Fatalf("%v: %s", err, r[0].body)
			}
			if !verifySignature(r[0].header, r[0].body) || r[0].header.Get("webhook-id") != m.ID || !strings.HasPrefix(m.ID, "augur-notify-test-") {
				t.Errorf("signature headers %v do not verify for message %s", r[0].header, m.ID)
			}
			if !strings.Contains(out.String(), m.ID) {
				t.Errorf("output %q does not name the message ID %s", out.String(), m.ID)
			}
			if m.Name != "augur-notify-test" || m.Labels["test"] != "true" || len(m.Labels) != 1 || m.ExperimentID != NotifyTestExperiment ||
				m.Receiver != "ops-webhook" || string(m.Event) != tt.event || m.Resolved != tt.resolved || len(m.Failing) != tt.failing ||
				m.Severity != tt.severity || m.ReportURL != "https://augur.example.com/experiments/augur-notify-test" ||
				!strings.Contains(m.Reason, "test message") {
				t.Errorf("message %+v", m)
			}
			if tt.event != "run_started" && (m.Verdict != tt.verdict || m.Score == nil) {
				t.Errorf("verdict %q score %v, want %s with a score", m.Verdict, m.Score, tt.verdict)
			}
			if tt.failing == 1 && (m.Failing[0].Reason == "" || strings.Contains(m.Failing[0].Reason, "\n")) {
				t.Errorf("failing metric %+v, want a one-line reason", m.Failing[0])
			}
		})
	}
}

// Two test messages never share an ID: a receiver de-duplicating on
// webhook-id would drop the second.
func TestNotifyTestFreshIDs(t *testing.T) {
	srv, got := receiverServer(t, 200, "", "ok")
	cfg := notifyConfig(t, srv.URL)
	for range 2 {
		if code := NotifyTest(context.Background(), io.Discard, io.Discard, NotifyTestArgs{ConfigFile: cfg, Receiver: "ops-webhook", Verdict: "fail", Event: "verdict"}); code != 0 {
			t.Fatalf("exit %d", code)
		}
	}
	r := got()
	if len(r) != 2 || r[0].header.Get("webhook-id") == r[1].header.Get("webhook-id") {
		t.Errorf("webhook-ids %q and %q, want two different", r[0].header.Get("webhook-id"), r[1].header.Get("webhook-id"))
	}
}

// Failures: what the receiver answered, and what the outbox would do. The
// Slack answers replay its documented contract: a rate-limited incoming
// webhook answers 429 "rate_limited" with Retry-After in seconds
// (https://docs.slack.dev/apis/web-api/rate-limits), a revoked one 404
// "no_service" (https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks).
func TestNotifyTestNotDelivered(t *testing.T) {
	for _, tt := range []struct {
		name       string
		receiver   string
		status     int
		retryAfter string
		answer     string
		requests   int
		want       []string
	}{
		{"slack rate limited", "slack-releases", 429, "30", "rate_limited", 1,
			[]string{"not delivered to slack-releases (slack)", "429", "rate_limited", "retryable", "after 30s", "Retry-After"}},
		{"slack webhook revoked", "slack-releases", 404, "", "no_service", 1,
			[]string{"not delivered to slack-releases (slack)", "no_service", "permanent", "dead-letter"}},
		{"webhook down", "ops-webhook", 503, "", "", 1,
			[]string{"not delivered to ops-webhook (webhook)", "503", "retryable", "5s (notify.delivery.backoff)", "up to 1d (notify.delivery.max_age)"}},
		{"loopback refused by the guard", "guarded", 200, "", "ok", 0,
			[]string{"not delivered to guarded (webhook)", "refused", "permanent"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, got := receiverServer(t, tt.status, tt.retryAfter, tt.answer)
			var out, errOut bytes.Buffer
			code := NotifyTest(context.Background(), &out, &errOut, NotifyTestArgs{
				ConfigFile: notifyConfig(t, srv.URL), Receiver: tt.receiver, Verdict: "fail", Event: "verdict"})
			if code != NotifyNotDelivered || out.Len() != 0 {
				t.Errorf("exit %d, out %q, want 1 and nothing on stdout", code, out.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut.String(), w) {
					t.Errorf("output %q does not mention %q", errOut.String(), w)
				}
			}
			if strings.Contains(errOut.String(), "SECRET") {
				t.Errorf("output %q quotes the Slack webhook URL", errOut.String())
			}
			if n := len(got()); n != tt.requests {
				t.Errorf("%d requests, want %d", n, tt.requests)
			}
		})
	}
}

func TestNotifyTestBadConfig(t *testing.T) {
	srv, got := receiverServer(t, 200, "", "ok")
	dir := t.TempDir()
	for _, tt := range []struct {
		name, config, receiver string
		want                   []string
	}{
		{"unknown receiver", notifyConfig(t, srv.URL), "pagerduty-oncall",
			[]string{`no receiver "pagerduty-oncall"`, "ops-webhook, slack-releases, guarded"}},
		{"no receivers at all", writeTestFile(t, dir, "empty.yaml", "listen: 127.0.0.1:0\n"), "x",
			[]string{`no receiver "x"`, "none are configured"}},
		{"unreadable config", filepath.Join(dir, "missing.yaml"), "x", []string{"read config"}},
		{"invalid receiver", writeTestFile(t, dir, "bad.yaml", "notify:\n  receivers:\n  - name: hook\n    webhook:\n      url: ftp://x\n"), "hook",
			[]string{"receiver hook is invalid", "webhook.url"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := NotifyTest(context.Background(), &out, &errOut, NotifyTestArgs{ConfigFile: tt.config, Receiver: tt.receiver, Verdict: "fail", Event: "verdict"})
			if code != NotifyBadConfig {
				t.Errorf("exit %d, want 2", code)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut.String(), w) {
					t.Errorf("output %q does not mention %q", errOut.String(), w)
				}
			}
		})
	}
	if n := len(got()); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}

// Only the named receiver is built: another receiver whose secret file is
// missing does not stop a test of this one.
func TestNotifyTestBuildsOnlyTheNamedReceiver(t *testing.T) {
	srv, got := receiverServer(t, 200, "", "ok")
	cfg := notifyConfig(t, srv.URL)
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	broken := string(b) + "  - name: broken\n    slack:\n      webhook_url_file: /nonexistent/slack-url\n"
	if err := os.WriteFile(cfg, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	var errOut bytes.Buffer
	if code := NotifyTest(context.Background(), io.Discard, &errOut, NotifyTestArgs{ConfigFile: cfg, Receiver: "ops-webhook", Verdict: "pass", Event: "verdict"}); code != 0 || len(got()) != 1 {
		t.Errorf("exit %d (%s), %d requests; want delivered", code, errOut.String(), len(got()))
	}
}
