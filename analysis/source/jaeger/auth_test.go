package jaeger

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/augurhq/augur/analysis"
)

// writeFile writes content to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFetchMetadata(t *testing.T) {
	dir := t.TempDir()
	tokenFile := writeFile(t, dir, "token", "first-token\n")
	passwordFile := writeFile(t, dir, "password", "s3cret\n")
	basic := func(user, pw string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pw))
	}
	for _, tc := range []struct {
		name    string
		spec    analysis.SourceSpec
		rewrite func() // between the two calls
		want    [2]map[string][]string
	}{{
		name: "none",
		want: [2]map[string][]string{{"authorization": nil}, {"authorization": nil}},
	}, {
		name: "bearer token and headers",
		spec: analysis.SourceSpec{BearerToken: "tok", Headers: map[string]string{"X-Tenant": "shop", "x-team": "payments"}},
		want: [2]map[string][]string{
			{"authorization": {"Bearer tok"}, "x-tenant": {"shop"}, "x-team": {"payments"}},
			{"authorization": {"Bearer tok"}, "x-tenant": {"shop"}, "x-team": {"payments"}},
		},
	}, {
		name:    "bearer token file, read at every call",
		spec:    analysis.SourceSpec{BearerTokenFile: tokenFile},
		rewrite: func() { writeFile(t, dir, "token", "rotated-token") },
		want: [2]map[string][]string{
			{"authorization": {"Bearer first-token"}},
			{"authorization": {"Bearer rotated-token"}},
		},
	}, {
		name:    "basic auth with a password file",
		spec:    analysis.SourceSpec{BasicAuth: &analysis.BasicAuth{Username: "augur", PasswordFile: passwordFile}},
		rewrite: func() { writeFile(t, dir, "password", "n3w") },
		want: [2]map[string][]string{
			{"authorization": {basic("augur", "s3cret")}},
			{"authorization": {basic("augur", "n3w")}},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			qs := newQueryServer()
			tc.spec.Address = serve(t, qs)
			src := newSource(t, tc.spec)
			for i := range 2 {
				if i == 1 && tc.rewrite != nil {
					tc.rewrite()
				}
				if _, err := src.Fetch(context.Background(), query(`{service="checkout"}`)); err != nil {
					t.Fatal(err)
				}
			}
			_, mds := qs.calls()
			for i, want := range tc.want {
				for key, values := range want {
					if got := mds[i].Get(key); !reflect.DeepEqual(got, values) {
						t.Errorf("call %d: %s = %q, want %q", i+1, key, got, values)
					}
				}
			}
		})
	}
}

func TestFetchTokenFileMissing(t *testing.T) {
	qs := newQueryServer()
	src := newSource(t, analysis.SourceSpec{Address: serve(t, qs), BearerTokenFile: filepath.Join(t.TempDir(), "absent")})
	_, err := src.Fetch(context.Background(), query(`{service="checkout"}`))
	if err == nil || !strings.Contains(err.Error(), "bearer_token_file") {
		t.Fatalf("error %v, want one naming bearer_token_file", err)
	}
	if reqs, _ := qs.calls(); len(reqs) != 0 {
		t.Errorf("%d requests sent without the token, want none", len(reqs))
	}
}

func TestNewErrors(t *testing.T) {
	dir := t.TempDir()
	notPEM := writeFile(t, dir, "ca.pem", "not a certificate")
	for _, tc := range []struct {
		name string
		spec analysis.SourceSpec
		want string
	}{
		{"no address", analysis.SourceSpec{Type: analysis.SourceJaeger}, "address must be"},
		{"other type", analysis.SourceSpec{Type: analysis.SourceLoki, Address: "127.0.0.1:16685"}, `type "loki"`},
		{"bad header", analysis.SourceSpec{Address: "127.0.0.1:16685", Headers: map[string]string{"X Tenant": "a"}}, `"X Tenant" is not a valid gRPC metadata key`},
		{"reserved header", analysis.SourceSpec{Address: "127.0.0.1:16685", Headers: map[string]string{"grpc-timeout": "1S"}}, "not grpc-"},
		{"missing CA", analysis.SourceSpec{Address: "127.0.0.1:16685", TLS: &analysis.TLSSpec{CAFile: filepath.Join(dir, "absent.pem")}}, "tls.ca_file"},
		{"CA not PEM", analysis.SourceSpec{Address: "127.0.0.1:16685", TLS: &analysis.TLSSpec{CAFile: notPEM}}, "no PEM certificate"},
		{"cert without key", analysis.SourceSpec{Address: "127.0.0.1:16685", TLS: &analysis.TLSSpec{CertFile: notPEM}}, "go together"},
		{"bad client cert", analysis.SourceSpec{Address: "127.0.0.1:16685", TLS: &analysis.TLSSpec{CertFile: notPEM, KeyFile: notPEM}}, "tls client certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := New(tc.spec, nil)
			if err == nil {
				_ = src.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
