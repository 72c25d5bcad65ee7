package app

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// HTTPConfig bounds how long and how much a client may take to send a
// request to the HTTP listener.
type HTTPConfig struct {
	// ReadHeaderTimeout bounds reading a request's headers.
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	// ReadTimeout bounds reading a whole request, headers and body: a body
	// that has not arrived by then is cut off (408 on the ingest
	// endpoints) and its connection closed, so slow senders cost at most
	// this long. It does not bound how long a request is served once its
	// body is in (the verdict endpoint's long poll, ?wait=, runs for
	// minutes). 30 s is the timeout remote-write senders give a request.
	ReadTimeout time.Duration `yaml:"read_timeout"`
	// IdleTimeout is how long a keep-alive connection may wait for its
	// next request.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// MaxHeaderBytes bounds a request's header block (431 beyond).
	MaxHeaderBytes int `yaml:"max_header_bytes"`
	// ExternalURL is the base URL users reach augur at (scheme, host and
	// optional path, e.g. https://augur.example.com); the gates' report
	// links start with it. "" (the default) derives it from each request's
	// scheme and Host.
	ExternalURL string `yaml:"external_url"`
}

// defaultHTTP returns the HTTP listener's defaults.
func defaultHTTP() HTTPConfig {
	return HTTPConfig{
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

func (c HTTPConfig) validate() error {
	var errs []error
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"read_header_timeout", c.ReadHeaderTimeout}, {"read_timeout", c.ReadTimeout}, {"idle_timeout", c.IdleTimeout},
	} {
		if d.v <= 0 {
			errs = append(errs, fmt.Errorf("http.%s: must be positive, got %s", d.name, d.v))
		}
	}
	if c.MaxHeaderBytes <= 0 {
		errs = append(errs, fmt.Errorf("http.max_header_bytes: must be positive, got %d", c.MaxHeaderBytes))
	}
	if c.ExternalURL != "" {
		if u, err := url.Parse(c.ExternalURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			errs = append(errs, fmt.Errorf("http.external_url: want an absolute http(s) URL without query, such as https://augur.example.com, got %q", c.ExternalURL))
		}
	}
	return errors.Join(errs...)
}

// newHTTPServer returns the HTTP server of h with c's bounds.
//
// ReadTimeout is a read deadline on the connection that net/http sets once
// per request, before the headers, and lifts when the request's body has
// been read to its end (connReader.startBackgroundRead clears it before the
// read that watches the idle connection; a request without a body starts
// that read at once). So it bounds the upload, not the handler: a long
// poll outlives it with its context intact. A deadline set from a handler
// through http.ResponseController instead would land on that watching read
// when the request has no body, cancel the request's context when it
// expires and break the connection (golang/go#70834), which is why the
// server leaves deadlines to net/http.
func newHTTPServer(h http.Handler, c HTTPConfig) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: c.ReadHeaderTimeout,
		ReadTimeout:       c.ReadTimeout,
		IdleTimeout:       c.IdleTimeout,
		MaxHeaderBytes:    c.MaxHeaderBytes,
	}
}
