package queryapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/source/sourcetest"
)

func TestNewClientRefuses(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	empty := filepath.Join(dir, "empty")
	for path, content := range map[string]string{notPEM: "not a certificate", empty: "\n"} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	missing := filepath.Join(dir, "missing")
	cases := []struct {
		name string
		spec analysis.SourceSpec
		says string
	}{
		{"no url", analysis.SourceSpec{}, "absolute http(s) URL"},
		{"relative url", analysis.SourceSpec{URL: "prometheus:9090"}, "absolute http(s) URL"},
		{"other scheme", analysis.SourceSpec{URL: "ftp://127.0.0.1"}, "absolute http(s) URL"},
		{"negative timeout", analysis.SourceSpec{URL: "http://127.0.0.1", Timeout: -1}, "timeout"},
		{"missing token file", analysis.SourceSpec{URL: "http://127.0.0.1", BearerTokenFile: missing}, missing},
		{"empty password file", analysis.SourceSpec{URL: "http://127.0.0.1", BasicAuth: &analysis.BasicAuth{Username: "u", PasswordFile: empty}}, "is empty"},
		{"bearer and basic", analysis.SourceSpec{URL: "http://127.0.0.1", BearerToken: "t", BasicAuth: &analysis.BasicAuth{Username: "u"}}, "not both"},
		{"Authorization header and a token", analysis.SourceSpec{URL: "http://127.0.0.1", BearerToken: "t", Headers: map[string]string{"authorization": "x"}}, "Authorization conflicts"},
		{"tenant header and org_id", analysis.SourceSpec{URL: "http://127.0.0.1", OrgID: "a", Headers: map[string]string{"X-Scope-OrgID": "b"}}, "X-Scope-OrgID conflicts"},
		{"missing CA file", analysis.SourceSpec{URL: "https://127.0.0.1", TLS: &analysis.TLSSpec{CAFile: missing}}, "tls.ca_file"},
		{"CA file without certificates", analysis.SourceSpec{URL: "https://127.0.0.1", TLS: &analysis.TLSSpec{CAFile: notPEM}}, "no PEM certificate"},
		{"certificate without key", analysis.SourceSpec{URL: "https://127.0.0.1", TLS: &analysis.TLSSpec{CertFile: notPEM}}, "go together"},
		{"unreadable key pair", analysis.SourceSpec{URL: "https://127.0.0.1", TLS: &analysis.TLSSpec{CertFile: notPEM, KeyFile: notPEM}}, "tls.cert_file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewClient("test", c.spec, nil)
			if err == nil || !strings.Contains(err.Error(), c.says) || !strings.HasPrefix(err.Error(), "test: ") {
				t.Errorf("NewClient = %v; want an error starting with the source name and saying %q", err, c.says)
			}
		})
	}
}

func TestDoFailures(t *testing.T) {
	cases := []struct {
		name      string
		handler   http.HandlerFunc
		permanent bool
		says      []string
	}{{
		name: "redirect",
		handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://prometheus.example/api/v1/query", http.StatusMovedPermanently)
		},
		permanent: true,
		says:      []string{"301 Moved Permanently", "redirected to https://prometheus.example/api/v1/query"},
	}, {
		name: "connection closed mid-answer",
		handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", "1000")
			w.Write([]byte(`{"status":"success","data":{"resultType":"matrix","result":[`))
		},
		says: []string{"reading the answer", "unexpected EOF"},
	}, {
		name: "error envelope with a success status",
		handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Write([]byte(`{"status":"error","errorType":"bad_data","error":"bad step"}`))
		},
		permanent: true,
		says:      []string{"200 OK", "bad_data: bad step"},
	}, {
		name: "no result type",
		handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Write([]byte(`{"status":"success","data":{}}`))
		},
		permanent: true,
		says:      []string{"no data.resultType"},
	}, {
		name: "a long error body is cut",
		handler: func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte(strings.Repeat("upstream failed ", 1000)))
		},
		says: []string{"502 Bad Gateway: upstream failed upstream failed", "…"},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(c.handler)
			defer srv.Close()
			cl, err := NewClient("test", analysis.SourceSpec{URL: srv.URL, Timeout: analysis.Duration(5 * time.Second)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = cl.Do(context.Background(), Request{Method: http.MethodPost, Path: "/api/v1/query", Expr: "up"})
			if err == nil {
				t.Fatal("Do succeeded; want an error")
			}
			sourcetest.CheckError(t, err, c.permanent, c.says...)
			if len(err.Error()) > 2*maxErrorText {
				t.Errorf("error is %d bytes long", len(err.Error()))
			}
		})
	}
}

func TestStatusErrorPermanent(t *testing.T) {
	cases := []struct {
		code      int
		errorType string
		want      bool
	}{
		{400, "bad_data", true}, {401, "", true}, {403, "", true}, {404, "", true}, {405, "", true}, {422, "execution", true},
		{302, "", true}, {408, "", false}, {429, "", false}, {499, "", false},
		{500, "internal", false}, {502, "", false}, {503, "timeout", false}, {504, "", false},
		{200, "bad_data", true}, {200, "execution", true}, {200, "timeout", false},
	}
	for _, c := range cases {
		if got := (&StatusError{Code: c.code, ErrorType: c.errorType}).Permanent(); got != c.want {
			t.Errorf("status %d %q: permanent = %v, want %v", c.code, c.errorType, got, c.want)
		}
	}
}
