package email

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/augurhq/augur/alerting/notify"
)

// debianPython is the interpreter python3-aiosmtpd is installed for.
const debianPython = "/usr/bin/python3"

type smtpd struct {
	addr   string
	outdir string
}

// received is what testdata/smtpd.py stores for each message.
type received struct {
	MailFrom  string   `json:"mail_from"`
	RcptTos   []string `json:"rcpt_tos"`
	TLS       bool     `json:"tls"`
	Mechanism string   `json:"mechanism"`
	Data      string   `json:"data"`
}

// startSMTPD runs testdata/smtpd.py on a loopback port; with cert and key it
// requires STARTTLS and AUTH.
func startSMTPD(t *testing.T, cert, key string) *smtpd {
	t.Helper()
	if err := exec.Command(debianPython, "-c", "import aiosmtpd").Run(); err != nil {
		t.Skipf("no SMTP server to test against: %s cannot import aiosmtpd (install python3-aiosmtpd, scripts/deps.sh): %v", debianPython, err)
	}
	outdir := t.TempDir()
	args := []string{"testdata/smtpd.py", outdir}
	if cert != "" {
		args = append(args, cert, key)
	}
	cmd := exec.Command(debianPython, args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("smtpd stderr:\n%s", stderr.String())
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("smtpd did not start: %v", err)
	}
	return &smtpd{addr: net.JoinHostPort("127.0.0.1", strings.TrimSpace(line)), outdir: outdir}
}

func (s *smtpd) messages(t *testing.T) []received {
	t.Helper()
	var out []received
	for i := 0; ; i++ {
		b, err := os.ReadFile(filepath.Join(s.outdir, strconv.Itoa(i)+".json"))
		if err != nil {
			return out
		}
		var r received
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
}

// testCert writes a self-signed certificate for 127.0.0.1 and its key.
func testCert(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtp.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"smtp.test"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	_ = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	return certFile, keyFile
}

func message() notify.Message {
	score := 41.25
	return notify.Message{
		ID: "msg_verdict_exp1_run1", Event: notify.EventVerdict, ExperimentID: "exp1", RunID: "run1",
		Name: `checkout <script>alert(1)</script>`, Verdict: "fail", Severity: notify.SeverityCritical, Score: &score,
		Reason: "2 of 5 metrics failed",
		Failing: []notify.Metric{
			{Name: "latency_p99", Classification: "fail", Reason: `p99 a < b & "c" +40%`},
			{Name: "errors", Classification: "fail", Reason: "5xx rate 3× baseline"},
		},
		ReportURL: "https://augur.example/api/v1/experiments/exp1",
	}
}

// parts reads the message and returns its headers and its text and HTML
// parts, decoded.
func parts(t *testing.T, data string) (mail.Header, string, string) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	got := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(p) // quoted-printable is decoded by the reader
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		got[ct] = string(b)
	}
	if len(got) != 2 {
		t.Fatalf("parts %v", got)
	}
	return msg.Header, got["text/plain"], got["text/html"]
}

func TestSendThroughRealSMTPServer(t *testing.T) {
	cert, key := testCert(t)
	srv := startSMTPD(t, cert, key)
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for i, mech := range []string{"", "PLAIN", "LOGIN"} {
		t.Run("auth "+mech, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Smarthost = srv.addr
			cfg.From = "augur <augur@example.org>"
			cfg.To = []string{"oncall@example.org", "Team Payments <payments@example.org>"}
			cfg.Username, cfg.PasswordFile, cfg.AuthMechanism = "augur", pw, mech
			cfg.TLS.CAFile = cert
			n, err := New("mail", cfg, notify.Guard{AllowLoopback: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := n.Notify(context.Background(), message()); err != nil {
				t.Fatal(err)
			}
			msgs := srv.messages(t)
			if len(msgs) != i+1 {
				t.Fatalf("%d messages received", len(msgs))
			}
			r := msgs[i]
			wantMech := mech
			if wantMech == "" {
				wantMech = "PLAIN"
			}
			if !r.TLS || r.Mechanism != wantMech || r.MailFrom != "augur@example.org" ||
				strings.Join(r.RcptTos, ",") != "oncall@example.org,payments@example.org" {
				t.Fatalf("envelope %+v", r)
			}
			h, text, html := parts(t, r.Data)
			subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
			if err != nil || subject != "[augur] FAIL: checkout <script>alert(1)</script>" {
				t.Errorf("Subject %q (%v)", subject, err)
			}
			if got := h.Get("Message-ID"); got != "<msg_verdict_exp1_run1@example.org>" {
				t.Errorf("Message-ID %q", got)
			}
			if to, err := h.AddressList("To"); err != nil || len(to) != 2 || to[1].Name != "Team Payments" {
				t.Errorf("To %v %v", to, err)
			}
			if _, err := h.Date(); err != nil {
				t.Errorf("Date: %v", err)
			}
			for _, want := range []string{"checkout <script>alert(1)</script>", "score 41.2", `latency_p99 (fail): p99 a < b & "c" +40%`, "5xx rate 3× baseline", "Report: https://augur.example/api/v1/experiments/exp1"} {
				if !strings.Contains(text, want) {
					t.Errorf("text part lacks %q:\n%s", want, text)
				}
			}
			for _, want := range []string{"checkout &lt;script&gt;alert(1)&lt;/script&gt;", "p99 a &lt; b &amp; &#34;c&#34; &#43;40%", "5xx rate 3× baseline", `<a href="https://augur.example/api/v1/experiments/exp1">`} {
				if !strings.Contains(html, want) {
					t.Errorf("HTML part lacks %q:\n%s", want, html)
				}
			}
			if strings.Contains(html, "<script>") {
				t.Errorf("HTML part carries the name unescaped:\n%s", html)
			}
		})
	}
}

func TestSMTPRefusals(t *testing.T) {
	cert, key := testCert(t)
	tlsSrv := startSMTPD(t, cert, key)
	plainSrv := startSMTPD(t, "", "")
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	wrong := filepath.Join(dir, "wrong")
	_ = os.WriteFile(pw, []byte("s3cret"), 0o600)
	_ = os.WriteFile(wrong, []byte("guess"), 0o600)
	for _, tc := range []struct {
		name      string
		srv       *smtpd
		cfg       func(*Config)
		guard     notify.Guard
		permanent bool // false: retryable; nil error when delivered
		delivered bool
		contains  string
	}{
		{"5xx recipient", tlsSrv, func(c *Config) { c.To = []string{"reject@example.org"} }, notify.Guard{AllowLoopback: true}, true, false, "550"},
		{"4xx recipient", tlsSrv, func(c *Config) { c.To = []string{"busy@example.org"} }, notify.Guard{AllowLoopback: true}, false, false, "451"},
		{"wrong password", tlsSrv, func(c *Config) { c.PasswordFile = wrong }, notify.Guard{AllowLoopback: true}, true, false, "535"},
		{"no STARTTLS, required by default", plainSrv, func(c *Config) { c.Username, c.PasswordFile = "", "" }, notify.Guard{AllowLoopback: true}, true, false, "STARTTLS"},
		{"no STARTTLS, require_tls false", plainSrv, func(c *Config) { c.Username, c.PasswordFile, c.RequireTLS = "", "", false }, notify.Guard{AllowLoopback: true}, false, true, ""},
		{"untrusted certificate", tlsSrv, func(c *Config) { c.TLS.CAFile = "" }, notify.Guard{AllowLoopback: true}, false, false, "certificate"},
		{"loopback refused by default", tlsSrv, func(*Config) {}, notify.Guard{}, true, false, "loopback"},
		{"server down", &smtpd{addr: closedPort(t)}, func(*Config) {}, notify.Guard{AllowLoopback: true}, false, false, "refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Smarthost = tc.srv.addr
			cfg.From = "augur@example.org"
			cfg.To = []string{"oncall@example.org"}
			cfg.Username, cfg.PasswordFile = "augur", pw
			cfg.TLS.CAFile = cert
			cfg.Timeout = 5 * time.Second
			tc.cfg(&cfg)
			n, err := New("mail", cfg, tc.guard)
			if err != nil {
				t.Fatal(err)
			}
			before := 0
			if tc.srv.outdir != "" {
				before = len(tc.srv.messages(t))
			}
			err = n.Notify(context.Background(), message())
			if tc.delivered {
				if err != nil || len(tc.srv.messages(t)) != before+1 {
					t.Fatalf("not delivered: %v", err)
				}
				return
			}
			if err == nil || notify.IsPermanent(err) != tc.permanent || !strings.Contains(err.Error(), tc.contains) {
				t.Fatalf("err %v, want permanent=%v naming %q", err, tc.permanent, tc.contains)
			}
			if tc.srv.outdir != "" && len(tc.srv.messages(t)) != before {
				t.Fatal("a refused message was stored")
			}
		})
	}
}

func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestConfigValidate(t *testing.T) {
	cfg := Config{Smarthost: "smtp.example", From: "not an address", To: []string{"x"}, Username: "u", AuthMechanism: "CRAM-MD5"}
	err := cfg.Validate("receivers.m.email")
	for _, want := range []string{".smarthost", ".from", ".to[0]", ".hello", "password_file", ".auth_mechanism", ".timeout"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
	if err := (Config{}).Validate("r"); err == nil || !strings.Contains(err.Error(), "r.to: at least one") {
		t.Errorf("empty to: %v", err)
	}
	ok := DefaultConfig()
	ok.Smarthost, ok.From, ok.To = "smtp.example:587", "augur@example.org", []string{"a@example.org"}
	if err := ok.Validate("r"); err != nil {
		t.Fatal(err)
	}
}

func TestMessageID(t *testing.T) {
	for _, tc := range []struct{ id, from, want string }{
		{"msg_1", "augur@example.org", "<msg_1@example.org>"},
		{"a b<c>@d", "Augur <augur@mail.example>", "<a-b-c--d@mail.example>"},
		{"", "bad", "<augur@augur.invalid>"},
	} {
		t.Run(tc.id, func(t *testing.T) {
			if got := MessageID(tc.id, tc.from); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}
