package sourcetest

import (
	"crypto/tls"
	"encoding/pem"
	"path/filepath"
	"strings"
	"testing"

	"github.com/augurhq/augur/analysis"
)

// tlsFiles are the PEM files the TLS cases configure sources with.
type tlsFiles struct {
	ca, cert, key string // the server's CA; the client's certificate and key
}

func runTLS(t *testing.T, h HTTP) {
	ca := newAuthority(t)
	requireClientCert := &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.pool}
	cases := []struct {
		name       string
		server     *tls.Config // nil: httptest's defaults
		spec       func(f tlsFiles) *analysis.TLSSpec
		wantErr    string // "" for success
		clientName string // the certificate the server must see
	}{
		{name: "CA file", spec: func(f tlsFiles) *analysis.TLSSpec { return &analysis.TLSSpec{CAFile: f.ca} }},
		{name: "unknown authority", spec: func(tlsFiles) *analysis.TLSSpec { return nil }, wantErr: "certificate"},
		{name: "server name", spec: func(f tlsFiles) *analysis.TLSSpec { return &analysis.TLSSpec{CAFile: f.ca, ServerName: "example.com"} }},
		{name: "wrong server name", spec: func(f tlsFiles) *analysis.TLSSpec { return &analysis.TLSSpec{CAFile: f.ca, ServerName: "other.test"} }, wantErr: "other.test"},
		{name: "insecure skip verify", spec: func(tlsFiles) *analysis.TLSSpec { return &analysis.TLSSpec{InsecureSkipVerify: true} }},
		{
			name:   "client certificate",
			server: requireClientCert,
			spec: func(f tlsFiles) *analysis.TLSSpec {
				return &analysis.TLSSpec{CAFile: f.ca, CertFile: f.cert, KeyFile: f.key}
			},
			clientName: "augur-client",
		},
		{
			name:    "client certificate missing",
			server:  requireClientCert,
			spec:    func(f tlsFiles) *analysis.TLSSpec { return &analysis.TLSSpec{CAFile: f.ca} },
			wantErr: "certificate required",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			server := c.server
			if server == nil {
				server = &tls.Config{}
			}
			rec := serve(t, h, server.Clone(), false)
			f := newTLSFiles(t, rec, ca, "augur-client")
			err := h.fetch(t, analysis.SourceSpec{URL: rec.srv.URL, TLS: c.spec(f)})
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatal(err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Fatalf("error %v; want one mentioning %q", err, c.wantErr)
			}
			if c.clientName != "" {
				if got := peerName(rec.request(t).TLS); got != c.clientName {
					t.Errorf("server saw client certificate %q, want %q", got, c.clientName)
				}
			}
		})
	}

	t.Run("renewed client certificate", func(t *testing.T) {
		rec := serve(t, h, requireClientCert.Clone(), true) // a handshake per request
		f := newTLSFiles(t, rec, ca, "before-renewal")
		src, err := h.New(analysis.SourceSpec{URL: rec.srv.URL, TLS: &analysis.TLSSpec{CAFile: f.ca, CertFile: f.cert, KeyFile: f.key}})
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"before-renewal", "after-renewal"} {
			ca.issueClient(t, name, f.cert, f.key)
			if _, err := src.Fetch(t.Context(), h.Probe); err != nil {
				t.Fatal(err)
			}
			if got := peerName(rec.request(t).TLS); got != name {
				t.Errorf("server saw client certificate %q, want %q", got, name)
			}
		}
	})
}

// newTLSFiles writes the server's certificate as the CA file and a client
// certificate issued by ca.
func newTLSFiles(t *testing.T, rec *recorder, ca *authority, clientName string) tlsFiles {
	dir := t.TempDir()
	f := tlsFiles{
		ca:   writeFile(t, dir, "ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rec.srv.Certificate().Raw}))),
		cert: filepath.Join(dir, "client.pem"),
		key:  filepath.Join(dir, "client-key.pem"),
	}
	ca.issueClient(t, clientName, f.cert, f.key)
	return f
}

func peerName(state *tls.ConnectionState) string {
	if state == nil || len(state.PeerCertificates) == 0 {
		return ""
	}
	return state.PeerCertificates[0].Subject.CommonName
}
