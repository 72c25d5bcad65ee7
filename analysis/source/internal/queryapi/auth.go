package queryapi

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/augurhq/augur/analysis"
)

// credentials authenticate each request. Token and password files are read
// again for every request, so a rotated secret is picked up without a
// restart.
type credentials struct {
	bearer       string
	bearerFile   string
	user         string
	password     string
	passwordFile string
	basic        bool
}

func newCredentials(spec analysis.SourceSpec) (credentials, error) {
	c := credentials{bearer: spec.BearerToken, bearerFile: spec.BearerTokenFile}
	if b := spec.BasicAuth; b != nil {
		c.basic, c.user, c.password, c.passwordFile = true, b.Username, b.Password, b.PasswordFile
	}
	if c.basic && (c.bearer != "" || c.bearerFile != "") {
		return credentials{}, errors.New("give a bearer token or basic_auth, not both")
	}
	// Fail at start on a file that cannot be read; later read errors are
	// retried, since a secret being rotated may be missing for a moment.
	for _, f := range []string{c.bearerFile, c.passwordFile} {
		if f == "" {
			continue
		}
		if _, err := readSecret(f); err != nil {
			return credentials{}, err
		}
	}
	return c, nil
}

// set reports whether the credentials produce an Authorization header.
func (c credentials) set() bool { return c.bearer != "" || c.bearerFile != "" || c.basic }

// apply adds the Authorization header to req.
func (c credentials) apply(req *http.Request) error {
	switch {
	case c.bearer != "":
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	case c.bearerFile != "":
		tok, err := readSecret(c.bearerFile)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	case c.basic:
		pw := c.password
		if c.passwordFile != "" {
			var err error
			if pw, err = readSecret(c.passwordFile); err != nil {
				return err
			}
		}
		req.SetBasicAuth(c.user, pw)
	}
	return nil
}

// readSecret reads a token or password file, without surrounding
// whitespace (files written by `echo` end in a newline).
func readSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read secret: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("read secret: %s is empty", path)
	}
	return s, nil
}

// headers are the spec's custom headers plus X-Scope-OrgID. Host replaces
// the request's host (a header of that name would be ignored by net/http).
type headers struct {
	h    http.Header
	host string
}

func newHeaders(spec analysis.SourceSpec, creds credentials) (headers, error) {
	out := headers{h: http.Header{}}
	for k, v := range spec.Headers {
		switch k = http.CanonicalHeaderKey(k); k {
		case "Host":
			out.host = v
		case "Authorization":
			if creds.set() {
				return headers{}, errors.New("headers: Authorization conflicts with bearer_token or basic_auth; give one of them")
			}
			out.h.Set(k, v)
		case "X-Scope-Orgid":
			if spec.OrgID != "" {
				return headers{}, errors.New("headers: X-Scope-OrgID conflicts with org_id; give one of them")
			}
			out.h.Set(k, v)
		default:
			out.h.Set(k, v)
		}
	}
	if spec.OrgID != "" {
		out.h.Set("X-Scope-OrgID", spec.OrgID)
	}
	return out, nil
}

func (h headers) apply(req *http.Request) {
	for k, v := range h.h {
		req.Header[k] = v
	}
	if h.host != "" {
		req.Host = h.host
	}
}
