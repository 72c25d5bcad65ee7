package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// mapResolver answers from a table, and from the system's resolver for
// names not in it; calls counts the lookups from the table.
type mapResolver struct {
	mu    sync.Mutex
	calls int
	// answers are returned in turn; the last one repeats.
	answers map[string][][]netip.Addr
}

func (r *mapResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.answers[host]
	if !ok {
		return net.DefaultResolver.LookupNetIP(ctx, network, host)
	}
	i := min(r.calls, len(a)-1)
	r.calls++
	return a[i], nil
}

func addrs(s ...string) []netip.Addr {
	out := make([]netip.Addr, len(s))
	for i, a := range s {
		out[i] = netip.MustParseAddr(a)
	}
	return out
}

func hitServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func get(t *testing.T, c *http.Client, url string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	return resp, err
}

func TestGuardRefusesLoopbackByDefault(t *testing.T) {
	srv, hits := hitServer(t)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	res := &mapResolver{answers: map[string][][]netip.Addr{"canary.example": {addrs("127.0.0.1")}}}

	// A server on ::1, where the machine has IPv6 loopback.
	var v6URL string
	if ln, err := net.Listen("tcp", "[::1]:0"); err == nil {
		v6 := httptest.NewUnstartedServer(srv.Config.Handler)
		v6.Listener.Close()
		v6.Listener = ln
		v6.Start()
		t.Cleanup(v6.Close)
		v6URL = v6.URL
	}

	for _, tc := range []struct {
		name, url, host string
	}{
		{"ipv4 loopback", "http://127.0.0.1:" + port + "/", "127.0.0.1"},
		{"ipv6 loopback", v6URL + "/", "::1"},
		{"localhost", "http://localhost:" + port + "/", "localhost"},
		{"name resolving to loopback", "http://canary.example:" + port + "/", "canary.example"},
		{"ipv4-mapped loopback", "http://[::ffff:127.0.0.1]:" + port + "/", "::ffff:127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.url == "/" {
				t.Skip("no IPv6 loopback on this machine")
			}
			before := hits.Load()
			c, err := NewHTTPClient(DefaultHTTPConfig(), Guard{Resolver: res})
			if err != nil {
				t.Fatal(err)
			}
			_, err = get(t, c, tc.url)
			if !errors.Is(err, ErrRefusedAddress) || !IsPermanent(err) {
				t.Fatalf("default guard: err %v, want a permanent refusal", err)
			}
			if !strings.Contains(err.Error(), tc.host) || !strings.Contains(err.Error(), "loopback") {
				t.Errorf("error %q names neither the host nor the rule", err)
			}
			if hits.Load() != before {
				t.Fatal("the refused request reached the server")
			}

			c, err = NewHTTPClient(DefaultHTTPConfig(), Guard{Resolver: res, AllowLoopback: true})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := get(t, c, tc.url)
			if err != nil || resp.StatusCode != http.StatusNoContent {
				t.Fatalf("allow_loopback: %v %v", resp, err)
			}
			if hits.Load() != before+1 {
				t.Fatal("the allowed request did not reach the server")
			}
		})
	}
}

func TestGuardRules(t *testing.T) {
	for _, tc := range []struct {
		ip    string
		rule  string // "" = allowed by the zero Guard
		allow Guard  // a guard that allows it ("" rule when it cannot be allowed)
	}{
		{"169.254.169.254", "link-local", Guard{AllowLinkLocal: true}},
		{"fe80::1", "link-local", Guard{AllowLinkLocal: true}},
		{"10.1.2.3", "private", Guard{AllowPrivate: true}},
		{"192.168.0.1", "private", Guard{AllowPrivate: true}},
		{"fd00::1", "private", Guard{AllowPrivate: true}},
		{"127.0.0.2", "loopback", Guard{AllowLoopback: true}},
		{"0.0.0.0", "unspecified", Guard{}},
		{"::", "unspecified", Guard{}},
		{"224.0.0.1", "multicast", Guard{}},
		{"ff02::1", "multicast", Guard{}},
		{"203.0.113.7", "", Guard{}},
		{"2001:db8::1", "", Guard{}},
	} {
		t.Run(tc.ip, func(t *testing.T) {
			ip := netip.MustParseAddr(tc.ip)
			err := Guard{}.check("h", ip)
			if tc.rule == "" {
				if err != nil {
					t.Fatalf("public address refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.rule) || !strings.Contains(err.Error(), tc.ip) {
				t.Fatalf("err %v, want the rule %q and the address", err, tc.rule)
			}
			allowed := tc.allow.AllowLoopback || tc.allow.AllowLinkLocal || tc.allow.AllowPrivate
			if err := tc.allow.check("h", ip); (err == nil) != allowed {
				t.Fatalf("with %+v: %v", tc.allow, err)
			}
		})
	}
}

// The metadata address is refused before anything is dialed.
func TestGuardRefusesMetadataAddress(t *testing.T) {
	var dialed []string
	g := Guard{dial: func(_ context.Context, _, addr string) (net.Conn, error) {
		dialed = append(dialed, addr)
		return nil, errors.New("not dialed in tests")
	}}
	c, err := NewHTTPClient(DefaultHTTPConfig(), g)
	if err != nil {
		t.Fatal(err)
	}
	_, err = get(t, c, "http://169.254.169.254/latest/meta-data/")
	if !errors.Is(err, ErrRefusedAddress) || len(dialed) != 0 {
		t.Fatalf("err %v, dialed %v", err, dialed)
	}
	g.AllowLinkLocal = true
	c, _ = NewHTTPClient(DefaultHTTPConfig(), g)
	_, err = get(t, c, "http://169.254.169.254/latest/meta-data/")
	if errors.Is(err, ErrRefusedAddress) || len(dialed) != 1 || dialed[0] != "169.254.169.254:80" {
		t.Fatalf("allow_link_local: err %v, dialed %v", err, dialed)
	}
}

func TestGuardRedirects(t *testing.T) {
	second, hits := hitServer(t)
	_, port, _ := net.SplitHostPort(second.Listener.Addr().String())
	first := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://localhost:"+port+"/elsewhere", http.StatusFound)
	}))
	t.Cleanup(first.Close)

	for _, tc := range []struct {
		name    string
		guard   Guard
		status  int
		reached bool
	}{
		{"not followed by default", Guard{AllowLoopback: true}, http.StatusFound, false},
		{"followed when allowed", Guard{AllowLoopback: true, FollowRedirects: true}, http.StatusNoContent, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := hits.Load()
			c, err := NewHTTPClient(DefaultHTTPConfig(), tc.guard)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := get(t, c, first.URL)
			if err != nil || resp.StatusCode != tc.status {
				t.Fatalf("resp %v err %v, want %d", resp, err, tc.status)
			}
			if (hits.Load() > before) != tc.reached {
				t.Fatalf("second host reached: %v, want %v", hits.Load() > before, tc.reached)
			}
			if !tc.reached {
				resp.Body = http.NoBody
				if err := CheckResponse("r", resp, time.Now()); !IsPermanent(err) {
					t.Errorf("a redirect not followed is %v, want permanent", err)
				}
			}
		})
	}
	// A followed redirect is checked again: loopback stays refused.
	public := &mapResolver{answers: map[string][][]netip.Addr{
		"hook.example": {addrs("203.0.113.7")}, "localhost": {addrs("127.0.0.1")}}}
	g := Guard{FollowRedirects: true, Resolver: public, dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, first.Listener.Addr().String())
	}}
	c, _ := NewHTTPClient(DefaultHTTPConfig(), g)
	before := hits.Load()
	if _, err := get(t, c, "http://hook.example/"); !errors.Is(err, ErrRefusedAddress) || hits.Load() != before {
		t.Fatalf("redirect to loopback: err %v", err)
	}
}

// A resolver that answers a public address, then loopback, cannot bring a
// request to loopback: the address checked is the address dialed, and an
// answer with any loopback address is refused whole.
func TestGuardDNSRebinding(t *testing.T) {
	srv, hits := hitServer(t)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	res := &mapResolver{answers: map[string][][]netip.Addr{
		"rebind.example": {addrs("203.0.113.7"), addrs("127.0.0.1")},
		"mixed.example":  {addrs("203.0.113.7", "127.0.0.1")},
	}}
	var dialed []string
	g := Guard{Resolver: res, dial: func(_ context.Context, _, addr string) (net.Conn, error) {
		dialed = append(dialed, addr)
		return nil, errors.New("public addresses are not dialed in tests")
	}}
	c, err := NewHTTPClient(DefaultHTTPConfig(), g)
	if err != nil {
		t.Fatal(err)
	}
	// First lookup: public; the dialer gets that very address, no name.
	_, err = get(t, c, "http://rebind.example:"+port+"/")
	if errors.Is(err, ErrRefusedAddress) || len(dialed) != 1 || dialed[0] != "203.0.113.7:"+port || res.calls != 1 {
		t.Fatalf("first: err %v dialed %v lookups %d", err, dialed, res.calls)
	}
	// Second lookup: loopback, refused.
	_, err = get(t, c, "http://rebind.example:"+port+"/")
	if !errors.Is(err, ErrRefusedAddress) || len(dialed) != 1 {
		t.Fatalf("second: err %v dialed %v", err, dialed)
	}
	res.calls = 0
	_, err = get(t, c, "http://mixed.example:"+port+"/")
	if !errors.Is(err, ErrRefusedAddress) || len(dialed) != 1 {
		t.Fatalf("mixed answer: err %v dialed %v", err, dialed)
	}
	if hits.Load() != 0 {
		t.Fatal("loopback reached")
	}
}

func TestHTTPClientCredentialsFromFiles(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("Authorization")+"|"+r.Header.Get("X-Team"))
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	tok := filepath.Join(dir, "token")
	pw := filepath.Join(dir, "pw")
	for _, tc := range []struct {
		name  string
		cfg   func(*HTTPConfig)
		write func()
		want  []string
	}{
		{"bearer, rotated between requests", func(c *HTTPConfig) { c.BearerTokenFile = tok },
			func() { _ = os.WriteFile(tok, []byte("second\n"), 0o600) },
			[]string{"Bearer first|canary", "Bearer second|canary"}},
		{"basic", func(c *HTTPConfig) { c.BasicAuth = &BasicAuth{Username: "u", PasswordFile: pw} },
			func() {}, []string{"Basic dTpw|canary", "Basic dTpw|canary"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got = nil
			_ = os.WriteFile(tok, []byte("first\n"), 0o600)
			_ = os.WriteFile(pw, []byte("p"), 0o600)
			cfg := DefaultHTTPConfig()
			cfg.Headers = map[string]string{"X-Team": "canary"}
			tc.cfg(&cfg)
			c, err := NewHTTPClient(cfg, Guard{AllowLoopback: true})
			if err != nil {
				t.Fatal(err)
			}
			_, _ = get(t, c, srv.URL)
			tc.write()
			_, _ = get(t, c, srv.URL)
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	// A missing file fails the request, naming the setting, not a secret.
	cfg := DefaultHTTPConfig()
	cfg.BearerTokenFile = filepath.Join(dir, "absent")
	c, _ := NewHTTPClient(cfg, Guard{AllowLoopback: true})
	if _, err := get(t, c, srv.URL); err == nil || !strings.Contains(err.Error(), "bearer_token_file") {
		t.Fatalf("err %v", err)
	}
}

func TestHTTPConfigValidate(t *testing.T) {
	cfg := HTTPConfig{
		BearerTokenFile: "t",
		BasicAuth:       &BasicAuth{Username: "u"},
		TLS:             TLSConfig{CertFile: "c"},
		Headers:         map[string]string{"webhook-signature": "x"},
	}
	err := cfg.Validate("r.http")
	for _, want := range []string{"r.http.timeout", "exclusive", "r.http.basic_auth", "r.http.tls", "webhook-signature"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %q", err, want)
		}
	}
	if err := DefaultHTTPConfig().Validate("r"); err != nil {
		t.Fatal(err)
	}
}

func TestHTTPClientTLS(t *testing.T) {
	var peers atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peers.Store(int32(len(r.TLS.PeerCertificates)))
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	srv.StartTLS()
	t.Cleanup(srv.Close)

	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	_ = os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600)
	// The server's own pair doubles as a client certificate.
	key, err := x509.MarshalPKCS8PrivateKey(srv.TLS.Certificates[0].PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	_ = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	for _, tc := range []struct {
		name      string
		tls       TLSConfig
		url       string
		wantErr   string
		wantPeers int32
	}{
		{"system roots refuse a test CA", TLSConfig{}, srv.URL, "certificate", 0},
		{"ca_file", TLSConfig{CAFile: ca}, srv.URL, "", 0},
		{"server_name checked", TLSConfig{CAFile: ca, ServerName: "wrong.example"}, srv.URL, "wrong.example", 0},
		{"server_name for a name the URL lacks", TLSConfig{CAFile: ca, ServerName: "example.com"}, "https://127.0.0.1:" + port, "", 0},
		{"client certificate", TLSConfig{CAFile: ca, CertFile: certFile, KeyFile: keyFile}, srv.URL, "", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			peers.Store(-1)
			cfg := DefaultHTTPConfig()
			cfg.TLS = tc.tls
			c, err := NewHTTPClient(cfg, Guard{AllowLoopback: true})
			if err != nil {
				t.Fatal(err)
			}
			_, err = get(t, c, tc.url)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if peers.Load() != tc.wantPeers {
				t.Fatalf("client certificates %d, want %d", peers.Load(), tc.wantPeers)
			}
		})
	}
}
