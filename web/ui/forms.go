package ui

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
)

// tokenField is the hidden form field (and tokenHeader the header, for
// scripts) that carries a form's token.
const (
	tokenField  = "csrf"
	tokenHeader = "X-Augur-Form-Token"
)

// forms protects the pages' state-changing forms from cross-site requests:
// each form carries a token, an HMAC under a secret drawn when the process
// starts, of what the form does ("new", "control:<id>"); and a request a
// browser marks as coming from another site (Sec-Fetch-Site, Origin) is
// refused whatever its token.
type forms struct{ secret []byte }

func newForms() *forms {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return &forms{secret: b}
}

// token is the token of the form that does what.
func (f *forms) token(what string) string {
	m := hmac.New(sha256.New, f.secret)
	m.Write([]byte(what))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

var (
	errCrossSite = errors.New("the request comes from another site")
	errToken     = errors.New("the form's token is missing or stale: reload the page and try again")
)

// check verifies that r comes from augur's own page for what.
func (f *forms) check(r *http.Request, what string) error {
	if err := sameOrigin(r); err != nil {
		return err
	}
	got := r.Header.Get(tokenHeader)
	if got == "" {
		got = r.PostFormValue(tokenField)
	}
	if got == "" || !hmac.Equal([]byte(got), []byte(f.token(what))) {
		return errToken
	}
	return nil
}

// sameOrigin refuses a request the browser says is cross-site: a
// Sec-Fetch-Site other than same-origin (or none, typed by the user), or
// an Origin whose host is not the one the request was sent to.
func sameOrigin(r *http.Request) error {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return errCrossSite
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.Host != r.Host {
		return errCrossSite
	}
	return nil
}
