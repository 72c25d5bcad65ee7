package slack

import (
	"context"
	"encoding/json"
	"errors"
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
	"unicode/utf8"

	"github.com/augurhq/augur/alerting/notify"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// secretPath is the token part of the webhook URL; no error may show it.
const secretPath = "/services/T024BE7LD/B01GH1Q9XYZ/kX9sQ2lV7pR4wZ8mN3bC6dF1"

func score(v float64) *float64 { return &v }

func failMessage() notify.Message {
	at := time.Date(2026, 3, 14, 9, 41, 5, 0, time.UTC)
	return notify.Message{
		ID: "msg_2Vn8Qm4kT1", Event: notify.EventVerdict, Receiver: "payments-slack",
		ExperimentID: "exp_01HZX8K4M2", RunID: "run_01HZX9A7QF", Name: "checkout-canary",
		Labels:  map[string]string{"team": "payments", "service": "checkout"},
		Verdict: "fail", Severity: notify.SeverityCritical, Score: score(41.7),
		Reason: "2 of 9 metrics failed: p99 latency and 5xx ratio are worse in the canary",
		Failing: []notify.Metric{
			{Name: "http_p99_latency_seconds", Classification: "high", Reason: "canary 0.412s vs baseline 0.238s (+73%), Mann-Whitney p=0.0004"},
			{Name: "http_5xx_ratio", Classification: "high", Reason: "canary 1.9% vs baseline 0.3%, above the 1% critical bound"},
		},
		ReportURL: "https://augur.example.com/api/v1/experiments/exp_01HZX8K4M2",
		At:        at, StartedAt: at.Add(-30 * time.Minute),
	}
}

func passMessage() notify.Message {
	m := failMessage()
	m.ID, m.Verdict, m.Severity, m.Score, m.Failing, m.Resolved = "msg_2Vn8Qm9zW3", "pass", notify.SeverityInfo, score(96.2), nil, true
	m.Reason = "all 9 metrics pass; score 96.2 is above the pass score 80"
	return m
}

func TestGolden(t *testing.T) {
	inconclusive := failMessage()
	inconclusive.Verdict, inconclusive.Severity, inconclusive.Score, inconclusive.Failing = "inconclusive", notify.SeverityWarning, nil, nil
	inconclusive.Reason = "baseline has 14 samples of http_p99_latency_seconds, fewer than the 50 needed"
	cfg := DefaultConfig()
	cfg.Channel, cfg.Username = "#deploys", "augur"
	for _, tc := range []struct {
		name string
		cfg  Config
		m    notify.Message
	}{
		{"fail", DefaultConfig(), failMessage()},
		{"pass_resolved", DefaultConfig(), passMessage()},
		{"inconclusive_with_overrides", cfg, inconclusive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := json.MarshalIndent(render(tc.cfg, tc.m), "", "  ")
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

// TestReplay replays the incoming webhook contract: 200 "ok"; the plain
// text error codes with their statuses as Slack lists them
// (https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks,
// and https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks,
// "Handling errors": invalid_payload, no_service, channel_not_found,
// channel_is_archived, action_prohibited, ...); 429 with Retry-After
// (https://docs.slack.dev/apis/web-api/rate-limits); 5xx retried.
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
		{"ok", 200, "ok", "", false, false, 0},
		{"invalid payload", 400, "invalid_payload", "", true, true, 0},
		{"user not found", 400, "user_not_found", "", true, true, 0},
		{"invalid token", 403, "invalid_token", "", true, true, 0},
		{"action prohibited", 403, "action_prohibited", "", true, true, 0},
		{"no service (revoked webhook)", 404, "no_service", "", true, true, 0},
		{"channel not found", 404, "channel_not_found", "", true, true, 0},
		{"channel archived", 410, "channel_is_archived", "", true, true, 0},
		{"rate limited", 429, "rate_limited", "30", true, false, 30 * time.Second},
		{"rollup error", 500, "rollup_error", "", true, false, 0},
		{"unavailable", 503, "", "", true, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got map[string]any
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || r.URL.Path != secretPath {
					t.Errorf("%s %s, want POST to the webhook path", r.Method, r.URL.Path)
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
				w.Header().Set("Content-Type", "text/plain")
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			n := newNotifier(t, srv.URL+secretPath)
			err := n.Notify(context.Background(), failMessage())
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if got["blocks"] == nil || got["attachments"] == nil || got["text"] == "" {
				t.Error("Slack did not get the text, blocks and attachments")
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
			if tc.body != "" && !strings.Contains(err.Error(), tc.body) {
				t.Errorf("error %q does not carry Slack's code %q", err, tc.body)
			}
		})
	}
}

func TestTransportErrorHidesURL(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	hook := srv.URL + secretPath
	srv.Close() // nothing listens any more: connection refused
	err := newNotifier(t, hook).Notify(context.Background(), failMessage())
	if err == nil {
		t.Fatal("no error from a closed server")
	}
	noSecret(t, err)
	if notify.IsPermanent(err) {
		t.Errorf("a transport error is retryable: %v", err)
	}
}

// TestOversizedMessage sends 400 failing metrics with long reasons: every
// text stays inside Slack's limits, and the message says it was cut.
func TestOversizedMessage(t *testing.T) {
	m := failMessage()
	m.Reason = strings.Repeat("the canary's error budget burn is far above the baseline's; ", 80)
	m.Name = strings.Repeat("very-long-experiment-name-", 10)
	m.Failing = nil
	for i := range 400 {
		m.Failing = append(m.Failing, notify.Metric{Name: fmt.Sprintf("metric_%03d", i), Classification: "high",
			Reason: strings.Repeat("worse ", 30)})
	}
	var raw []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ = io.ReadAll(r.Body)
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	if err := newNotifier(t, srv.URL+secretPath).Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	var p payload
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	blocks := append(p.Blocks, p.Attachments[0].Blocks...)
	if len(blocks) > maxBlocks {
		t.Errorf("%d blocks", len(blocks))
	}
	var texts []string
	for _, b := range blocks {
		limit := maxText
		if b.Type == "header" {
			limit = maxHeader
		}
		if b.Text != nil {
			if n := utf8.RuneCountInString(b.Text.Text); n > limit {
				t.Errorf("%s block text of %d characters, limit %d", b.Type, n, limit)
			}
			texts = append(texts, b.Text.Text)
		}
		for _, f := range b.Fields {
			if n := utf8.RuneCountInString(f.Text); n > maxField {
				t.Errorf("field of %d characters", n)
			}
		}
	}
	all := strings.Join(texts, "\n")
	if !strings.Contains(all, truncatedNote) {
		t.Error("the cut reason has no note")
	}
	if !strings.Contains(all, "more; the report lists them all") {
		t.Error("the cut metric list does not say how many were left out")
	}
	if n := utf8.RuneCountInString(p.Text); n > maxFallback {
		t.Errorf("fallback text of %d characters", n)
	}
}

// TestWebhookFileRereadAndHidden rotates the webhook URL in its file
// between two messages, and checks a file that went missing is named
// without its content.
func TestWebhookFileRereadAndHidden(t *testing.T) {
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "slack-url")
	if err := os.WriteFile(file, []byte(srv.URL+"/services/A/B/first\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.WebhookURLFile = file
	n, err := New(cfg, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := n.Notify(ctx, failMessage()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(srv.URL+"/services/A/B/second"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := n.Notify(ctx, failMessage()); err != nil {
		t.Fatal(err)
	}
	if want := []string{"/services/A/B/first", "/services/A/B/second"}; fmt.Sprint(paths) != fmt.Sprint(want) {
		t.Errorf("paths %v, want %v", paths, want)
	}
	if err := os.WriteFile(file, []byte("not a url "+secretPath), 0o600); err != nil {
		t.Fatal(err)
	}
	err = n.Notify(ctx, failMessage())
	if err == nil || !strings.Contains(err.Error(), "webhook_url_file") {
		t.Fatalf("err %v, want one naming webhook_url_file", err)
	}
	noSecret(t, err)
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
		want   []string
	}{
		{"valid", func(c *Config) { c.WebhookURL = "https://hooks.slack.com" + secretPath }, nil},
		{"none", func(*Config) {}, []string{"slack.webhook_url: one of"}},
		{"both", func(c *Config) { c.WebhookURL, c.WebhookURLFile = "https://x.test/a", "/f" }, []string{"not both"}},
		{"not a url", func(c *Config) { c.WebhookURL = "hooks.slack.com" + secretPath }, []string{"slack.webhook_url: not an absolute"}},
		{"every field", func(c *Config) { c.Channel, c.Timeout = "#a b", 0 }, []string{"slack.webhook_url", "slack.channel", "slack.timeout"}},
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
	if _, err := New(DefaultConfig(), nil); err == nil {
		t.Error("New accepted an invalid config")
	}
	cfg := DefaultConfig()
	cfg.WebhookURL = "https://hooks.slack.com" + secretPath
	if _, err := New(cfg, nil); err == nil {
		t.Error("New accepted a nil client")
	}
}

func newNotifier(t *testing.T, hook string) *Notifier {
	t.Helper()
	cfg := DefaultConfig()
	cfg.WebhookURL = hook
	n, err := New(cfg, http.DefaultClient)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func noSecret(t *testing.T, err error) {
	t.Helper()
	for _, s := range []string{"kX9sQ2lV7pR4wZ8mN3bC6dF1", "B01GH1Q9XYZ"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q shows the webhook secret", err)
		}
	}
}

// TestTimeout: a webhook that never answers costs one Timeout, and the
// retryable error says so without the URL.
func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release) // before Close, which waits for the handler
	cfg := DefaultConfig()
	cfg.WebhookURL, cfg.Timeout = srv.URL+secretPath, 50*time.Millisecond
	n, err := New(cfg, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	err = n.Notify(context.Background(), failMessage())
	if !errors.Is(err, context.DeadlineExceeded) || notify.IsPermanent(err) {
		t.Fatalf("err %v, want a retryable deadline", err)
	}
	noSecret(t, err)
}

// TestCutKeepsEscapes: a reason of escaped characters cut to the limit
// does not end in half an escape.
func TestCutKeepsEscapes(t *testing.T) {
	for _, r := range []string{"<", "&", ">", "a<"} {
		t.Run(r, func(t *testing.T) {
			got := cut(escape(strings.Repeat(r, 2*maxText)), maxText)
			if utf8.RuneCountInString(got) > maxText {
				t.Fatalf("%d characters", utf8.RuneCountInString(got))
			}
			body := strings.TrimSuffix(got, truncatedNote)
			if i := strings.LastIndexByte(body, '&'); i >= 0 && !strings.Contains(body[i:], ";") {
				t.Errorf("ends in a broken escape: %q", body[i:])
			}
		})
	}
}
