package grafana

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/augurhq/augur/alerting/notify"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const token = "glsa_Xy7pQ2mV9kR4tW8zB1nC5dF0gH3jK6lM_5e1a9c2b"

// fakeGrafana replays POST /api/annotations as Grafana's handler answers
// it (grafana/grafana pkg/api/annotations.go PostAnnotation, the body
// bound to dtos.PostAnnotationsCmd of pkg/api/dtos/annotations.go): 401
// without a valid token, 403 for a token without the permission, 400
// "bad request data" for a body that does not bind and "Failed to save
// annotation" for an empty text, else 200 {"message":"Annotation
// added","id":N}. status forces an answer (429, 500) instead.
type fakeGrafana struct {
	mu     sync.Mutex
	bodies [][]byte
	status int
	nextID int64
	viewer bool
}

func (g *fakeGrafana) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.Method != http.MethodPost || r.URL.Path != "/grafana/api/annotations" {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"message":"Not found"}`))
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+token {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"message":"Invalid API key","traceID":""}`))
		return
	}
	if g.viewer {
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"accessErrorId":"ACE1","message":"You'll need additional permissions to perform this action. Permissions needed: annotations:create","title":"Access denied"}`))
		return
	}
	if g.status != 0 {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(g.status)
		_, _ = w.Write([]byte(`{"message":"busy"}`))
		return
	}
	var cmd struct {
		DashboardID  int64           `json:"dashboardId"`
		DashboardUID string          `json:"dashboardUID"`
		PanelID      int64           `json:"panelId"`
		Time         int64           `json:"time"`
		TimeEnd      int64           `json:"timeEnd"`
		Text         string          `json:"text"`
		Tags         []string        `json:"tags"`
		Data         json.RawMessage `json:"data"`
	}
	var buf bytes.Buffer
	dec := json.NewDecoder(strings.NewReader(readAll(r, &buf)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cmd); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"message":"bad request data"}`))
		return
	}
	if cmd.Text == "" {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"message":"Failed to save annotation"}`))
		return
	}
	g.bodies = append(g.bodies, buf.Bytes())
	g.nextID++
	_ = json.NewEncoder(w).Encode(map[string]any{"message": "Annotation added", "id": g.nextID})
}

func readAll(r *http.Request, buf *bytes.Buffer) string {
	_, _ = buf.ReadFrom(r.Body)
	return buf.String()
}

func ptr(v float64) *float64 { return &v }

func failMessage() notify.Message {
	at := time.Date(2026, 3, 14, 9, 41, 5, 0, time.UTC)
	return notify.Message{
		ID: "msg_2Vn8Qm4kT1", Event: notify.EventVerdict, Receiver: "grafana",
		ExperimentID: "exp_01HZX8K4M2", RunID: "run_01HZX9A7QF", Name: "checkout-canary",
		Verdict: "fail", Severity: notify.SeverityCritical, Score: ptr(41.7),
		Reason: "2 of 9 metrics failed: p99 latency and 5xx ratio are worse in the canary",
		Failing: []notify.Metric{
			{Name: "http_p99_latency_seconds", Classification: "high", Reason: "canary 0.412s vs baseline 0.238s (+73%)"},
		},
		ReportURL: "https://augur.example.com/experiments/exp_01HZX8K4M2",
		At:        at, StartedAt: at.Add(-30 * time.Minute),
	}
}

func start(t *testing.T, g *fakeGrafana, mutate func(*Config)) *Notifier {
	t.Helper()
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	tok := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tok, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.URL, cfg.TokenFile = srv.URL+"/grafana", tok
	cfg.Tags = []string{"env:prod"}
	if mutate != nil {
		mutate(&cfg)
	}
	n, err := New("grafana", cfg, notify.Guard{AllowLoopback: true})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestGolden: the request body of a verdict (a region over the run), a
// run's start (a point) and a hostile name (escaped), as Grafana takes it.
func TestGolden(t *testing.T) {
	started := failMessage()
	started.Event, started.Verdict, started.Score, started.Reason, started.Failing = notify.EventRunStarted, "", nil, "", nil
	started.At = started.StartedAt
	hostile := failMessage()
	hostile.Name = `<img src=x onerror=alert(1)>`
	hostile.Reason = `"quoted" & <script>alert(2)</script>`
	hostile.ReportURL = "javascript:alert(3)"
	for _, tc := range []struct {
		name   string
		m      notify.Message
		mutate func(*Config)
	}{
		{"verdict", failMessage(), func(c *Config) { c.DashboardUID, c.PanelID = "augur-experiment", 4 }},
		{"started", started, nil},
		{"hostile", hostile, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &fakeGrafana{}
			n := start(t, g, tc.mutate)
			if err := n.Notify(context.Background(), tc.m); err != nil {
				t.Fatal(err)
			}
			if len(g.bodies) != 1 {
				t.Fatalf("%d annotations posted", len(g.bodies))
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, g.bodies[0], "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			path := filepath.Join("testdata", tc.name+".json")
			if *update {
				if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(pretty.Bytes(), want) {
				t.Errorf("body:\n%s\nwant:\n%s", pretty.Bytes(), want)
			}
			if tc.name == "hostile" {
				var a Annotation
				if err := json.Unmarshal(g.bodies[0], &a); err != nil {
					t.Fatal(err)
				}
				for _, bad := range []string{"<img", "<script", "javascript:"} {
					if strings.Contains(a.Text, bad) {
						t.Errorf("the text carries %q unescaped: %s", bad, a.Text)
					}
				}
			}
		})
	}
}

// TestAnswers: how each of Grafana's answers is classified.
func TestAnswers(t *testing.T) {
	for _, tc := range []struct {
		name      string
		g         *fakeGrafana
		badToken  bool
		permanent bool
		retry     time.Duration
		ok        bool
	}{
		{name: "added", g: &fakeGrafana{}, ok: true},
		{name: "invalid token", g: &fakeGrafana{}, badToken: true, permanent: true},
		{name: "no permission", g: &fakeGrafana{viewer: true}, permanent: true},
		{name: "rate limited", g: &fakeGrafana{status: http.StatusTooManyRequests}, retry: 7 * time.Second},
		{name: "server error", g: &fakeGrafana{status: http.StatusInternalServerError}},
		{name: "bad request", g: &fakeGrafana{status: http.StatusBadRequest}, permanent: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := start(t, tc.g, nil)
			if tc.badToken {
				if err := os.WriteFile(n.cfg.TokenFile, []byte("glsa_wrong"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := n.Notify(context.Background(), failMessage())
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			if notify.IsPermanent(err) != tc.permanent {
				t.Errorf("permanent %v, want %v: %v", notify.IsPermanent(err), tc.permanent, err)
			}
			if d, _ := notify.RetryAfter(err); d != tc.retry {
				t.Errorf("retry after %s, want %s", d, tc.retry)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("the error shows the token: %v", err)
			}
		})
	}
	t.Run("not grafana", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("<html>hello</html>")) }))
		defer srv.Close()
		n := start(t, &fakeGrafana{}, func(c *Config) { c.URL = srv.URL })
		if err := n.Notify(context.Background(), failMessage()); !notify.IsPermanent(err) || !strings.Contains(err.Error(), "without an annotation id") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("guard", func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.URL, cfg.TokenFile = "http://127.0.0.1:1", filepath.Join(t.TempDir(), "token")
		if err := os.WriteFile(cfg.TokenFile, []byte(token), 0o600); err != nil {
			t.Fatal(err)
		}
		n, err := New("g", cfg, notify.Guard{})
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Notify(context.Background(), failMessage()); !notify.IsPermanent(err) || !strings.Contains(err.Error(), "refused") {
			t.Errorf("loopback refused by default: %v", err)
		}
	})
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want []string
	}{
		{"empty", DefaultConfig(), []string{"x.url:", "x.token_file:"}},
		{"bad values", Config{URL: "ftp://g", TokenFile: "/t", PanelID: 3, Tags: []string{" "}},
			[]string{"x.url:", "x.panel_id: needs dashboard_uid", "x.tags[0]", "x.timeout"}},
		{"credentials in the URL", Config{URL: "https://admin:pw@g.example.com", TokenFile: "/t", Timeout: time.Second},
			[]string{"x.url: must not carry credentials"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate("x")
			if err == nil {
				t.Fatal("valid")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "pw@") {
				t.Errorf("shows the password: %v", err)
			}
		})
	}
	ok := Config{URL: "https://grafana.example.com/sub", TokenFile: "/t", Timeout: time.Second}
	if err := ok.Validate("x"); err != nil {
		t.Error(err)
	}
}
