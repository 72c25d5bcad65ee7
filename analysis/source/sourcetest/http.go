package sourcetest

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/augurhq/augur/analysis"
)

// HTTP is how a source speaking HTTP takes part in RunHTTP.
type HTTP struct {
	// New builds the source under test; the cases fill in the spec's url,
	// credentials, headers, org_id and tls.
	New func(spec analysis.SourceSpec) (analysis.Source, error)
	// Probe is a well-formed query; Answer answers it with no data.
	Probe  analysis.Query
	Answer http.HandlerFunc
}

// recorder is a test server that keeps the last request it answered.
type recorder struct {
	srv  *httptest.Server
	mu   sync.Mutex
	last *http.Request
}

// serve starts a server answering with h.Answer: plain HTTP when tlsCfg
// is nil, else TLS with tlsCfg (its certificate filled in by httptest).
func serve(t *testing.T, h HTTP, tlsCfg *tls.Config, closeConns bool) *recorder {
	rec := &recorder{}
	rec.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.last = r.Clone(context.Background())
		rec.mu.Unlock()
		if closeConns {
			w.Header().Set("Connection", "close")
		}
		h.Answer(w, r)
	}))
	rec.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	if tlsCfg == nil {
		rec.srv.Start()
	} else {
		rec.srv.TLS = tlsCfg
		rec.srv.StartTLS()
	}
	t.Cleanup(rec.srv.Close)
	return rec
}

func (r *recorder) request(t *testing.T) *http.Request {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil {
		t.Fatal("the server received no request")
	}
	return r.last
}

// fetch builds a source for spec and runs the probe.
func (h HTTP) fetch(t *testing.T, spec analysis.SourceSpec) error {
	t.Helper()
	src, err := h.New(spec)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	_, err = src.Fetch(context.Background(), h.Probe)
	return err
}

// RunHTTP checks that the source authenticates as configured, sends its
// headers and tenant, re-reads rotated secrets, and sets up TLS: CA file,
// server name, skipping verification, client certificates.
func RunHTTP(t *testing.T, h HTTP) {
	t.Run("credentials and headers", func(t *testing.T) { runCredentials(t, h) })
	t.Run("rotated secrets", func(t *testing.T) { runRotation(t, h) })
	t.Run("tls", func(t *testing.T) { runTLS(t, h) })
}

func runCredentials(t *testing.T, h HTTP) {
	cases := []struct {
		name  string
		spec  func(dir string) analysis.SourceSpec
		check func(t *testing.T, r *http.Request)
	}{{
		name: "none",
		spec: func(string) analysis.SourceSpec { return analysis.SourceSpec{} },
		check: func(t *testing.T, r *http.Request) {
			if a, o := r.Header.Get("Authorization"), r.Header.Get("X-Scope-OrgID"); a != "" || o != "" {
				t.Errorf("Authorization %q, X-Scope-OrgID %q; want neither", a, o)
			}
		},
	}, {
		name: "bearer token",
		spec: func(string) analysis.SourceSpec { return analysis.SourceSpec{BearerToken: "s3cret-token"} },
		check: func(t *testing.T, r *http.Request) {
			if got := r.Header.Get("Authorization"); got != "Bearer s3cret-token" {
				t.Errorf("Authorization = %q", got)
			}
		},
	}, {
		name: "basic auth",
		spec: func(string) analysis.SourceSpec {
			return analysis.SourceSpec{BasicAuth: &analysis.BasicAuth{Username: "augur", Password: "pa:ss word"}}
		},
		check: func(t *testing.T, r *http.Request) {
			if u, p, ok := r.BasicAuth(); !ok || u != "augur" || p != "pa:ss word" {
				t.Errorf("basic auth = %q, %q, %v", u, p, ok)
			}
		},
	}, {
		name: "basic auth with a password file",
		spec: func(dir string) analysis.SourceSpec {
			return analysis.SourceSpec{BasicAuth: &analysis.BasicAuth{Username: "augur", PasswordFile: writeFile(t, dir, "pw", "from-file\n")}}
		},
		check: func(t *testing.T, r *http.Request) {
			if u, p, ok := r.BasicAuth(); !ok || u != "augur" || p != "from-file" {
				t.Errorf("basic auth = %q, %q, %v", u, p, ok)
			}
		},
	}, {
		name: "custom headers, Host and tenant",
		spec: func(string) analysis.SourceSpec {
			return analysis.SourceSpec{Headers: map[string]string{"X-Team": "canary", "host": "query.example"}, OrgID: "tenant-1"}
		},
		check: func(t *testing.T, r *http.Request) {
			if got := r.Header.Get("X-Team"); got != "canary" {
				t.Errorf("X-Team = %q", got)
			}
			if got := r.Header.Get("X-Scope-OrgID"); got != "tenant-1" {
				t.Errorf("X-Scope-OrgID = %q", got)
			}
			if r.Host != "query.example" {
				t.Errorf("Host = %q", r.Host)
			}
		},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := serve(t, h, nil, false)
			spec := c.spec(t.TempDir())
			spec.URL = rec.srv.URL
			if err := h.fetch(t, spec); err != nil {
				t.Fatal(err)
			}
			c.check(t, rec.request(t))
		})
	}
}

func runRotation(t *testing.T, h HTTP) {
	cases := []struct {
		name string
		spec func(file string) analysis.SourceSpec
		got  func(r *http.Request) string
	}{
		{"bearer token file", func(f string) analysis.SourceSpec { return analysis.SourceSpec{BearerTokenFile: f} },
			func(r *http.Request) string { return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ") }},
		{"password file", func(f string) analysis.SourceSpec {
			return analysis.SourceSpec{BasicAuth: &analysis.BasicAuth{Username: "augur", PasswordFile: f}}
		}, func(r *http.Request) string { _, p, _ := r.BasicAuth(); return p }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := serve(t, h, nil, false)
			dir := t.TempDir()
			file := writeFile(t, dir, "secret", "first\n")
			spec := c.spec(file)
			spec.URL = rec.srv.URL
			src, err := h.New(spec)
			if err != nil {
				t.Fatal(err)
			}
			for _, secret := range []string{"first", "second"} {
				writeFile(t, dir, "secret", secret+"\n")
				if _, err := src.Fetch(context.Background(), h.Probe); err != nil {
					t.Fatal(err)
				}
				if got := c.got(rec.request(t)); got != secret {
					t.Errorf("server received %q, want %q", got, secret)
				}
			}
		})
	}
}
