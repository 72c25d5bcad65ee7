package msteams

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/augurhq/augur/alerting/notify"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// The Workflows trigger URL's shape; its sig parameter is the secret.
const (
	hookPath  = "/workflows/6f1c2a9e8b7d4c3f/triggers/manual/paths/invoke"
	hookQuery = "api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=Zq8vR2nK5tW1yH4mB7xC0dF3gJ6"
	secretSig = "Zq8vR2nK5tW1yH4mB7xC0dF3gJ6"
)

func ptr(v float64) *float64 { return &v }

func failMessage() notify.Message {
	at := time.Date(2026, 3, 14, 9, 41, 5, 0, time.UTC)
	return notify.Message{
		ID: "msg_2Vn8Qm4kT1", Event: notify.EventVerdict, Receiver: "payments-teams",
		ExperimentID: "exp_01HZX8K4M2", RunID: "run_01HZX9A7QF", Name: "checkout-canary",
		Labels:  map[string]string{"team": "payments", "service": "checkout"},
		Verdict: "fail", Severity: notify.SeverityCritical, Score: ptr(41.7),
		Reason: "2 of 9 metrics failed: p99 latency and 5xx ratio are worse in the canary",
		Failing: []notify.Metric{
			{Name: "http_p99_latency_seconds", Classification: "high", Reason: "canary 0.412s vs baseline 0.238s (+73%), Mann-Whitney p=0.0004"},
			{Name: "http_5xx_ratio", Classification: "high", Reason: "canary 1.9% vs baseline 0.3%, above the 1% critical bound"},
		},
		ReportURL: "https://augur.example.com/api/v1/experiments/exp_01HZX8K4M2",
		At:        at, StartedAt: at.Add(-30 * time.Minute),
	}
}

func TestGolden(t *testing.T) {
	pass := failMessage()
	pass.Verdict, pass.Severity, pass.Score, pass.Failing, pass.Resolved = "pass", notify.SeverityInfo, ptr(96.2), nil, true
	pass.Reason = "all 9 metrics pass; score 96.2 is above the pass score 80"
	interval := failMessage()
	interval.Event, interval.Verdict, interval.Severity = notify.EventIntervalFailed, "marginal", notify.SeverityWarning
	interval.Score = ptr(71.0)
	interval.Reason = "interval 3 of 6 scored 71.0, below the pass score 80 (failure_limit 2 not reached)"
	interval.Failing = interval.Failing[:1]
	for _, tc := range []struct {
		name string
		m    notify.Message
	}{
		{"fail", failMessage()},
		{"pass_resolved", pass},
		{"interval_failed", interval},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := json.MarshalIndent(render(tc.m), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", tc.name+".json"), append(got, '\n'))
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the rendering:\n%s", path, got)
	}
}

// TestReplay replays the Workflows webhook contract: the message activity
// with one Adaptive Card attachment
// (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using),
// answered 202 Accepted by the flow's "When a Teams webhook request is
// received" trigger; Logic Apps' error bodies ({"error":{"code","message"}})
// with 400 for a body the flow cannot read, 401/404 for a bad signature or
// a deleted flow, 429 with Retry-After when the flow is throttled
// (https://learn.microsoft.com/en-us/power-automate/limits-and-config),
// and 5xx retried.
func TestReplay(t *testing.T) {
	for _, tc := range []struct {
		name      string
		status    int
		body      string
		header    string
		wantErr   bool
		permanent bool
		after     time.Duration
	}{
		{"accepted", 202, "", "", false, false, 0},
		{"ok", 200, "", "", false, false, 0},
		{"bad request", 400, `{"error":{"code":"InvalidRequestContent","message":"The request content is not valid and could not be deserialized"}}`, "", true, true, 0},
		{"bad signature", 401, `{"error":{"code":"DirectApiAuthorizationRequired","message":"The request must be authenticated only by Shared Access scheme."}}`, "", true, true, 0},
		{"flow deleted", 404, `{"error":{"code":"WorkflowNotFound","message":"The workflow was not found."}}`, "", true, true, 0},
		{"throttled", 429, `{"error":{"code":"WorkflowTriggerIsThrottled","message":"rate limit"}}`, "17", true, false, 17 * time.Second},
		{"gateway", 502, `{"error":{"code":"BadGateway","message":"upstream"}}`, "", true, false, 0},
		{"server error", 500, "", "", true, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got struct {
				Type        string `json:"type"`
				Attachments []struct {
					ContentType string         `json:"contentType"`
					Content     map[string]any `json:"content"`
				} `json:"attachments"`
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || r.URL.Path != hookPath || r.URL.Query().Get("sig") != secretSig {
					t.Errorf("%s %s, want POST to the signed trigger URL", r.Method, r.URL)
				}
				if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("Content-Type %q", ct)
				}
				if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
					t.Errorf("body is not JSON: %v", err)
				}
				if tc.header != "" {
					w.Header().Set("Retry-After", tc.header)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			err := newNotifier(t, srv.URL+hookPath+"?"+hookQuery).Notify(context.Background(), failMessage())
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if got.Type != "message" || len(got.Attachments) != 1 ||
				got.Attachments[0].ContentType != "application/vnd.microsoft.card.adaptive" ||
				got.Attachments[0].Content["type"] != "AdaptiveCard" || got.Attachments[0].Content["version"] != "1.4" {
				t.Errorf("not a message with one Adaptive Card 1.4: %+v", got)
			}
			if err == nil {
				return
			}
			noSecret(t, err)
			if notify.IsPermanent(err) != tc.permanent {
				t.Errorf("permanent %v, want %v (%v)", notify.IsPermanent(err), tc.permanent, err)
			}
			if d, _ := notify.RetryAfter(err); d != tc.after {
				t.Errorf("retry after %v, want %v", d, tc.after)
			}
		})
	}
}

func TestTransportErrorHidesURL(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	hook := srv.URL + hookPath + "?" + hookQuery
	srv.Close()
	err := newNotifier(t, hook).Notify(context.Background(), failMessage())
	if err == nil {
		t.Fatal("no error from a closed server")
	}
	noSecret(t, err)
	if notify.IsPermanent(err) {
		t.Errorf("a transport error is retryable: %v", err)
	}
}

// TestOversizedCard: 500 failing metrics with long reasons and a huge
// reason still make a card under Teams' 28 KB, listing MaxMetrics and
// saying how many more there are.
func TestOversizedCard(t *testing.T) {
	m := failMessage()
	m.Reason = strings.Repeat("the canary's error budget burn is far above the baseline's; ", 200)
	m.Failing = nil
	for i := range 500 {
		m.Failing = append(m.Failing, notify.Metric{Name: fmt.Sprintf("metric_%03d", i), Classification: "high",
			Reason: strings.Repeat("worse ", 200)})
	}
	var raw []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	if err := newNotifier(t, srv.URL+hookPath+"?"+hookQuery).Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if len(raw) > MaxMessageBytes {
		t.Errorf("card of %d bytes, Teams takes %d", len(raw), MaxMessageBytes)
	}
	s := string(raw)
	if !strings.Contains(s, truncatedNote) {
		t.Error("the cut reason has no note")
	}
	if !strings.Contains(s, fmt.Sprintf("and %d more; the report lists them all", 500-MaxMetrics)) {
		t.Error("the card does not say how many metrics it left out")
	}
	if strings.Contains(s, fmt.Sprintf("metric_%03d", MaxMetrics)) {
		t.Errorf("metric %d is listed", MaxMetrics)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
		want   []string
	}{
		{"valid", func(c *Config) {
			c.WebhookURL = "https://prod-12.westus.logic.azure.com:443" + hookPath + "?" + hookQuery
		}, nil},
		{"none", func(*Config) {}, []string{"msteams.webhook_url: one of"}},
		{"both", func(c *Config) { c.WebhookURL, c.WebhookURLFile = "https://x.test/a", "/f" }, []string{"not both"}},
		{"not a url", func(c *Config) { c.WebhookURL = "prod-12.westus.logic.azure.com" + hookPath + "?" + hookQuery }, []string{"msteams.webhook_url: not an absolute"}},
		{"every field", func(c *Config) { c.Timeout = -1 }, []string{"msteams.webhook_url", "msteams.timeout"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tc.mutate(&cfg)
			err := cfg.Validate()
			if (err == nil) != (tc.want == nil) {
				t.Fatalf("err %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not name %q", err, w)
				}
			}
			if err != nil {
				noSecret(t, err)
			}
		})
	}
	cfg := DefaultConfig()
	cfg.WebhookURLFile = filepath.Join(t.TempDir(), "missing")
	if _, err := New(cfg, http.DefaultClient); err == nil || !strings.Contains(err.Error(), "msteams.webhook_url_file") {
		t.Errorf("New with a missing file: %v", err)
	}
	cfg.WebhookURLFile = ""
	cfg.WebhookURL = "https://x.test" + hookPath + "?" + hookQuery
	if _, err := New(cfg, nil); err == nil {
		t.Error("New accepted a nil client")
	}
}

func newNotifier(t *testing.T, hook string) *Notifier {
	t.Helper()
	file := filepath.Join(t.TempDir(), "teams-url")
	if err := os.WriteFile(file, []byte(hook+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.WebhookURLFile = file
	n, err := New(cfg, http.DefaultClient)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func noSecret(t *testing.T, err error) {
	t.Helper()
	if strings.Contains(err.Error(), secretSig) {
		t.Errorf("error %q shows the webhook signature", err)
	}
}
