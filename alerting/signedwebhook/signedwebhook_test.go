package signedwebhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/augurhq/augur/alerting/notify"
)

// verify is a Standard Webhooks verifier written from the specification
// (spec/standard-webhooks.md of standard-webhooks/standard-webhooks:
// "Signature scheme" and "Verifying webhooks"), independent of Sign: the
// signed content is "msg_id.timestamp.payload", the key is the base64 after
// "whsec_", the header holds space-separated "version,signature" pairs and
// one matching v1 pair suffices; the timestamp must be within tolerance.
func verify(secret string, h http.Header, body []byte, now time.Time) error {
	id, tsText, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || tsText == "" || sigs == "" {
		return errors.New("missing headers")
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return errors.New("timestamp out of tolerance")
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + tsText + "." + string(body)))
	want := mac.Sum(nil)
	for _, pair := range strings.Fields(sigs) {
		version, sig, ok := strings.Cut(pair, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("no matching signature")
}

// The test vector the specification's libraries share (libraries/go/
// webhook_test.go, TestWebhookSign, of standard-webhooks/standard-webhooks).
const (
	vecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vecID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vecTS     = 1614265330
	vecBody   = `{"test": 2432232314}`
	vecSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSpecTestVector(t *testing.T) {
	h := http.Header{}
	h.Set("webhook-id", vecID)
	h.Set("webhook-timestamp", strconv.Itoa(vecTS))
	h.Set("webhook-signature", vecSig)
	if err := verify(vecSecret, h, []byte(vecBody), time.Unix(vecTS, 0)); err != nil {
		t.Fatalf("the verifier refuses the published vector: %v", err)
	}
	key, err := DecodeSecret(vecSecret)
	if err != nil {
		t.Fatal(err)
	}
	if got := Sign([][]byte{key}, vecID, vecTS, []byte(vecBody)); got != vecSig {
		t.Fatalf("Sign = %s, want %s", got, vecSig)
	}
}

type receipt struct {
	header http.Header
	body   []byte
}

type receiver struct {
	mu     sync.Mutex
	got    []receipt
	status int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.got = append(r.got, receipt{req.Header.Clone(), b})
	status := r.status
	r.mu.Unlock()
	if status != 0 {
		http.Error(w, "secret internals", status)
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func message() notify.Message {
	score := 41.5
	return notify.Message{
		ID: "msg_verdict_exp1_run1", Event: notify.EventVerdict, ExperimentID: "exp1", RunID: "run1",
		Name: "checkout", Verdict: "fail", Severity: notify.SeverityCritical, Score: &score,
		Reason:  "2 of 5 metrics failed",
		Failing: []notify.Metric{{Name: "latency_p99", Classification: "fail", Reason: "p99 +40%"}},
		Payload: []byte(`{"experiment_id":"exp1","verdict":"fail"}`),
	}
}

func TestNotifySigned(t *testing.T) {
	dir := t.TempDir()
	oldSecret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("an old key of thirty-two bytes!!"))
	newSecret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("the new key, also 32 bytes long."))
	oldFile := writeFile(t, dir, "old", oldSecret)
	newFile := writeFile(t, dir, "new", newSecret)
	now := time.Unix(1_800_000_000, 0)

	noPayload := message()
	noPayload.Payload = nil
	for _, tc := range []struct {
		name     string
		cfg      func(*Config)
		msg      notify.Message
		wantBody string
		secrets  []string // each must verify alone
	}{
		{"verdict payload", func(*Config) {}, message(), `{"experiment_id":"exp1","verdict":"fail"}`, []string{oldSecret}},
		{"message when no payload", func(*Config) {}, noPayload, `"name":"checkout"`, []string{oldSecret}},
		{"template", func(c *Config) {
			c.Body = `{{.Name}} {{.Verdict}}{{range .Failing}} {{.Name}}: {{.Reason}}{{end}}`
			c.ContentType = "text/plain"
		}, message(), "checkout fail latency_p99: p99 +40%", []string{oldSecret}},
		{"rotation: both secrets sign", func(c *Config) { c.SecretFiles = []string{oldFile, newFile} },
			message(), `"verdict":"fail"`, []string{oldSecret, newSecret}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rcv := &receiver{}
			srv := httptest.NewServer(rcv)
			defer srv.Close()
			cfg := DefaultConfig()
			cfg.URL = srv.URL + "/hook"
			cfg.SecretFiles = []string{oldFile}
			cfg.HTTP.Headers = map[string]string{"X-Team": "payments"}
			tc.cfg(&cfg)
			n, err := New("hook", cfg, notify.Guard{AllowLoopback: true})
			if err != nil {
				t.Fatal(err)
			}
			n.now = func() time.Time { return now }
			if err := n.Notify(context.Background(), tc.msg); err != nil {
				t.Fatal(err)
			}
			now = now.Add(time.Minute) // a retry: same id, a new timestamp
			if err := n.Notify(context.Background(), tc.msg); err != nil {
				t.Fatal(err)
			}
			if len(rcv.got) != 2 {
				t.Fatalf("%d requests", len(rcv.got))
			}
			r := rcv.got[0]
			if !strings.Contains(string(r.body), tc.wantBody) {
				t.Errorf("body %s, want %s", r.body, tc.wantBody)
			}
			if r.header.Get("Content-Type") != cfg.ContentType || r.header.Get("X-Team") != "payments" {
				t.Errorf("headers %v", r.header)
			}
			if r.header.Get("webhook-id") != tc.msg.ID || rcv.got[1].header.Get("webhook-id") != tc.msg.ID {
				t.Errorf("webhook-id %q, %q, want %q on every attempt", r.header.Get("webhook-id"), rcv.got[1].header.Get("webhook-id"), tc.msg.ID)
			}
			if n := len(strings.Fields(r.header.Get("webhook-signature"))); n != len(cfg.SecretFiles) {
				t.Errorf("%d signatures for %d secrets", n, len(cfg.SecretFiles))
			}
			for _, s := range tc.secrets {
				for i, r := range rcv.got {
					if err := verify(s, r.header, r.body, now); err != nil {
						t.Errorf("attempt %d, secret %s...: %v", i, s[:10], err)
					}
				}
			}
			// Tampering is refused by the verifier.
			if err := verify(tc.secrets[0], r.header, append([]byte(" "), r.body...), now); err == nil {
				t.Error("tampered body verified")
			}
			h := r.header.Clone()
			h.Set("webhook-timestamp", strconv.FormatInt(now.Unix()-30, 10))
			if err := verify(tc.secrets[0], h, r.body, now); err == nil {
				t.Error("tampered timestamp verified")
			}
			if err := verify(tc.secrets[0], r.header, r.body, now.Add(time.Hour)); err == nil {
				t.Error("a stale timestamp verified")
			}
			other := "whsec_" + base64.StdEncoding.EncodeToString([]byte("somebody else's key, 32 bytes.."))
			if err := verify(other, r.header, r.body, now); err == nil {
				t.Error("verified with a secret that was not configured")
			}
		})
	}
}

func TestNotifyErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name      string
		status    int
		cfg       func(*Config)
		guard     notify.Guard
		permanent bool
		contains  string
		delivered bool
	}{
		{"template fails to render", 0, func(c *Config) { c.Body = "{{.Nope}}" }, notify.Guard{AllowLoopback: true}, true, "body template", false},
		{"4xx", http.StatusBadRequest, func(*Config) {}, notify.Guard{AllowLoopback: true}, true, "400", true},
		{"429 retryable", http.StatusTooManyRequests, func(*Config) {}, notify.Guard{AllowLoopback: true}, false, "429", true},
		{"5xx retryable", http.StatusBadGateway, func(*Config) {}, notify.Guard{AllowLoopback: true}, false, "502", true},
		{"loopback refused by default", 0, func(*Config) {}, notify.Guard{}, true, "loopback", false},
		{"bad secret", 0, func(c *Config) { c.SecretFiles = []string{writeFile(t, dir, "bad", "not-a-secret")} }, notify.Guard{AllowLoopback: true}, true, "whsec_", false},
		{"missing secret file", 0, func(c *Config) { c.SecretFiles = []string{filepath.Join(dir, "absent")} }, notify.Guard{AllowLoopback: true}, true, "absent", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rcv := &receiver{status: tc.status}
			srv := httptest.NewServer(rcv)
			defer srv.Close()
			cfg := DefaultConfig()
			cfg.URL = srv.URL
			tc.cfg(&cfg)
			n, err := New("hook", cfg, tc.guard)
			if err != nil {
				t.Fatal(err)
			}
			err = n.Notify(context.Background(), message())
			if err == nil || notify.IsPermanent(err) != tc.permanent || !strings.Contains(err.Error(), tc.contains) {
				t.Fatalf("err %v, want permanent=%v naming %q", err, tc.permanent, tc.contains)
			}
			if (len(rcv.got) > 0) != tc.delivered {
				t.Fatalf("requests %d", len(rcv.got))
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	cfg := Config{URL: "ftp://x", Body: "{{", SecretFiles: []string{""}}
	err := cfg.Validate("receivers.a.webhook")
	for _, want := range []string{".url", ".body", ".content_type", ".secret_files[0]", ".http.timeout"} {
		if err == nil || !strings.Contains(err.Error(), "receivers.a.webhook"+want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
	ok := DefaultConfig()
	ok.URL = "https://hooks.example/x"
	if err := ok.Validate("r"); err != nil {
		t.Fatal(err)
	}
}
