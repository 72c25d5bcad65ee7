package pagerduty

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

// routingKey is a made-up 32-character integration key; no error may show
// it.
const routingKey = "R0ut1ngK3yD0N0tL34k9f8e7d6c5b4a3"

func ptr(v float64) *float64 { return &v }

func failMessage() notify.Message {
	at := time.Date(2026, 3, 14, 9, 41, 5, 0, time.UTC)
	return notify.Message{
		ID: "msg_2Vn8Qm4kT1", Event: notify.EventVerdict, Receiver: "payments-oncall",
		ExperimentID: "exp_01HZX8K4M2", RunID: "run_01HZX9A7QF", Name: "checkout-canary",
		Labels:  map[string]string{"team": "payments", "service": "checkout", "namespace": "shop"},
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

func config(url string) Config {
	cfg := DefaultConfig()
	cfg.RoutingKey = routingKey
	if url != "" {
		cfg.URL = url
	}
	return cfg
}

func TestGolden(t *testing.T) {
	pass := failMessage()
	pass.RunID, pass.Verdict, pass.Severity, pass.Score, pass.Failing = "run_01HZXC3N8R", "pass", notify.SeverityInfo, ptr(96.2), nil
	pass.Reason = "all 9 metrics pass"
	errored := failMessage()
	errored.Verdict, errored.Severity, errored.Score, errored.Failing = "error", notify.SeverityWarning, nil, nil
	errored.Reason = "prometheus: query http_5xx_ratio: 503 Service Unavailable"
	withError := config("")
	withError.TriggerOn = []string{"fail", "error"}
	withError.Component, withError.Group, withError.Class = "checkout", "shop", "canary"
	for _, tc := range []struct {
		name string
		cfg  Config
		m    notify.Message
	}{
		{"trigger_fail", config(""), failMessage()},
		{"resolve_pass", config(""), pass},
		{"trigger_error_configured", withError, errored},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, ok := build(tc.cfg, routingKey, tc.m)
			if !ok {
				t.Fatal("no event")
			}
			got, err := json.MarshalIndent(ev, "", "  ")
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

// TestActions: which messages trigger, which resolve, which send nothing,
// and that every run of one experiment shares one dedup_key.
func TestActions(t *testing.T) {
	msg := func(f func(*notify.Message)) notify.Message { m := failMessage(); f(&m); return m }
	for _, tc := range []struct {
		name      string
		triggerOn []string
		m         notify.Message
		action    string // "" = nothing sent
		severity  string
	}{
		{"fail triggers", nil, failMessage(), "trigger", "critical"},
		{"fail of another run, same key", nil, msg(func(m *notify.Message) { m.RunID = "run_2" }), "trigger", "critical"},
		{"pass resolves", nil, msg(func(m *notify.Message) { m.Verdict = "pass" }), "resolve", ""},
		{"end of the experiment resolves", nil, msg(func(m *notify.Message) { m.Resolved = true }), "resolve", ""},
		{"inconclusive is not paged by default", nil, msg(func(m *notify.Message) { m.Verdict = "inconclusive" }), "", ""},
		{"error is not paged by default", nil, msg(func(m *notify.Message) { m.Verdict = "error" }), "", ""},
		{"marginal is not paged by default", nil, msg(func(m *notify.Message) { m.Verdict = "marginal" }), "", ""},
		{"inconclusive when configured", []string{"fail", "inconclusive"}, msg(func(m *notify.Message) { m.Verdict = "inconclusive" }), "trigger", "warning"},
		{"error when configured", []string{"error"}, msg(func(m *notify.Message) { m.Verdict = "error" }), "trigger", "error"},
		{"a start sends nothing", nil, msg(func(m *notify.Message) { m.Event, m.Verdict = notify.EventRunStarted, "" }), "", ""},
		{"a failed interval sends nothing", nil, msg(func(m *notify.Message) { m.Event = notify.EventIntervalFailed }), "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []event
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var ev event
				if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
					t.Error(err)
				}
				got = append(got, ev)
				w.WriteHeader(http.StatusAccepted)
				_, _ = fmt.Fprintf(w, `{"status":"success","message":"Event processed","dedup_key":%q}`, ev.DedupKey)
			}))
			defer srv.Close()
			cfg := config(srv.URL + "/v2/enqueue")
			if tc.triggerOn != nil {
				cfg.TriggerOn = tc.triggerOn
			}
			n, err := New(cfg, srv.Client())
			if err != nil {
				t.Fatal(err)
			}
			if err := n.Notify(context.Background(), tc.m); err != nil {
				t.Fatal(err)
			}
			if tc.action == "" {
				if len(got) != 0 {
					t.Fatalf("sent %+v", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("%d events", len(got))
			}
			ev := got[0]
			if ev.EventAction != tc.action || ev.DedupKey != "augur-exp_01HZX8K4M2" || ev.RoutingKey != routingKey {
				t.Errorf("event %s %s", ev.EventAction, ev.DedupKey)
			}
			if tc.action == "resolve" && ev.Payload != nil {
				t.Error("a resolve carries a payload")
			}
			if tc.action == "trigger" && (ev.Payload == nil || ev.Payload.Severity != tc.severity || ev.Payload.Source != "augur") {
				t.Errorf("payload %+v, want severity %s", ev.Payload, tc.severity)
			}
		})
	}
}

// TestReplay replays the Events API v2 contract
// (PagerDuty/api-schema reference/events-v2/openapiv3.json, "API Response
// Codes & Retry Logic"): 202 with {"status":"success",...} taken; 400
// with {"status","message","errors"} not retried, its errors named; 429
// retried, after Retry-After when given; 5xx retried.
func TestReplay(t *testing.T) {
	for _, tc := range []struct {
		name      string
		status    int
		body      string
		header    string
		wantErr   bool
		permanent bool
		after     time.Duration
		contains  string
	}{
		{"accepted", 202, `{"status":"success","message":"Event processed","dedup_key":"augur-exp_01HZX8K4M2"}`, "", false, false, 0, ""},
		{"invalid event", 400, `{"status":"invalid event","message":"Event object is invalid","errors":["'payload.summary' is missing or blank","'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')"]}`,
			"", true, true, 0, "Event object is invalid: 'payload.summary' is missing or blank; 'payload.severity' is invalid"},
		{"bad routing key echoed", 400, `{"status":"invalid event","message":"Event object is invalid","errors":["Invalid routing key: ` + routingKey + `"]}`,
			"", true, true, 0, "Invalid routing key: " + notify.Redacted},
		{"unrecognized object", 400, `{"status":"Unrecognized object","message":"Event object format is unrecognized","errors":["JSON parse error"]}`,
			"", true, true, 0, "JSON parse error"},
		{"not JSON", 400, "Bad Request", "", true, true, 0, "Bad Request"},
		{"throttled", 429, `{"status":"throttle exceeded","message":"Requests for this service are arriving too quickly. Please retry later."}`, "", true, false, 0, "429"},
		{"throttled with Retry-After", 429, "", "20", true, false, 20 * time.Second, "429"},
		{"server error", 500, `{"status":"error","message":"Internal Server Error"}`, "", true, false, 0, "500"},
		{"bad gateway", 502, "", "", true, false, 0, "502"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || r.URL.Path != "/v2/enqueue" || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
					t.Errorf("%s %s %s", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
				}
				if tc.header != "" {
					w.Header().Set("Retry-After", tc.header)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			n, err := New(config(srv.URL+"/v2/enqueue"), srv.Client())
			if err != nil {
				t.Fatal(err)
			}
			err = n.Notify(context.Background(), failMessage())
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
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
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q does not contain %q", err, tc.contains)
			}
		})
	}
}

func TestTransportError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/v2/enqueue"
	srv.Close()
	n, err := New(config(url), http.DefaultClient)
	if err != nil {
		t.Fatal(err)
	}
	err = n.Notify(context.Background(), failMessage())
	if err == nil || notify.IsPermanent(err) {
		t.Fatalf("err %v, want a retryable error", err)
	}
	noSecret(t, err)
}

// TestOversizedEvent: a long reason and 300 failing metrics give a
// summary of at most 1,024 characters and a bounded custom_details.
func TestOversizedEvent(t *testing.T) {
	m := failMessage()
	m.Reason = strings.Repeat("the canary's error budget burn is far above the baseline's; ", 100)
	m.Failing = nil
	for i := range 300 {
		m.Failing = append(m.Failing, notify.Metric{Name: fmt.Sprintf("metric_%03d", i), Reason: strings.Repeat("worse ", 400)})
	}
	ev, ok := build(config(""), routingKey, m)
	if !ok {
		t.Fatal("no event")
	}
	if n := utf8.RuneCountInString(ev.Payload.Summary); n > maxSummary {
		t.Errorf("summary of %d characters", n)
	}
	if !strings.HasSuffix(ev.Payload.Summary, "…") {
		t.Error("the cut summary does not show it was cut")
	}
	d := ev.Payload.CustomDetails
	if len(d.Failing) != maxFailing || d.FailingOmitted != 300-maxFailing {
		t.Errorf("%d metrics listed, %d omitted", len(d.Failing), d.FailingOmitted)
	}
	b, _ := json.Marshal(ev)
	if len(b) > 512<<10 {
		t.Errorf("event of %d bytes, PagerDuty takes 512 KB", len(b))
	}
}

// TestRoutingKeyFile reads the key from a file for every event (rotation)
// and names the file, never the key, when it is wrong.
func TestRoutingKeyFile(t *testing.T) {
	var keys []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev event
		_ = json.NewDecoder(r.Body).Decode(&ev)
		keys = append(keys, ev.RoutingKey)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "pd-key")
	second := strings.Repeat("b", routingKeyLen)
	if err := os.WriteFile(file, []byte(routingKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config(srv.URL)
	cfg.RoutingKey, cfg.RoutingKeyFile = "", file
	n, err := New(cfg, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := n.Notify(ctx, failMessage()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(second), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := n.Notify(ctx, failMessage()); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(keys) != fmt.Sprint([]string{routingKey, second}) {
		t.Errorf("keys %v", keys)
	}
	if err := os.WriteFile(file, []byte(routingKey+"x"), 0o600); err != nil {
		t.Fatal(err)
	}
	err = n.Notify(ctx, failMessage())
	if err == nil || !strings.Contains(err.Error(), "pagerduty.routing_key_file") {
		t.Fatalf("err %v, want one naming routing_key_file", err)
	}
	noSecret(t, err)
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
		want   []string
	}{
		{"valid", func(*Config) {}, nil},
		{"no key", func(c *Config) { c.RoutingKey = "" }, []string{"pagerduty.routing_key: one of"}},
		{"both", func(c *Config) { c.RoutingKeyFile = "/k" }, []string{"not both"}},
		{"short key", func(c *Config) { c.RoutingKey = routingKey[:20] }, []string{"pagerduty.routing_key: must be 32 characters, got 20"}},
		{"every field", func(c *Config) {
			c.URL, c.TriggerOn, c.Source, c.Timeout = "events.pagerduty.com", []string{"fail", "pass"}, " ", 0
		}, []string{"pagerduty.url", `pagerduty.trigger_on: "pass"`, "pagerduty.source", "pagerduty.timeout"}},
		{"empty trigger_on", func(c *Config) { c.TriggerOn = nil }, []string{"pagerduty.trigger_on: must list"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config("")
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
				if strings.Contains(err.Error(), routingKey[:20]) {
					t.Errorf("%q shows part of the key", err)
				}
			}
		})
	}
	if _, err := New(config(""), nil); err == nil {
		t.Error("New accepted a nil client")
	}
}

func noSecret(t *testing.T, err error) {
	t.Helper()
	if strings.Contains(err.Error(), routingKey) {
		t.Errorf("error %q shows the routing key", err)
	}
}

// TestTimeout: an endpoint that never answers costs one Timeout, and the
// retryable error keeps the deadline without the routing key.
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
	cfg := config(srv.URL)
	cfg.Timeout = 50 * time.Millisecond
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
