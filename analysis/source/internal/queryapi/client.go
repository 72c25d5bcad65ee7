package queryapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/augurhq/augur/analysis"
)

// Client calls one server's query API. It is safe for concurrent use.
type Client struct {
	name    string // source type, first word of every error
	base    *url.URL
	http    *http.Client
	creds   credentials
	headers headers
	timeout time.Duration
	logger  *slog.Logger
}

// NewClient builds a client for spec; name (the source type) starts every
// error it returns. A nil logger discards.
func NewClient(name string, spec analysis.SourceSpec, logger *slog.Logger) (*Client, error) {
	spec.SetDefaults()
	u, err := url.Parse(spec.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s: url must be an absolute http(s) URL, got %q", name, spec.URL)
	}
	if spec.Timeout <= 0 {
		return nil, fmt.Errorf("%s: timeout must be positive, got %s", name, time.Duration(spec.Timeout))
	}
	creds, err := newCredentials(spec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	hdrs, err := newHeaders(spec, creds)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	tlsCfg, err := tlsConfig(spec.TLS)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsCfg
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Client{
		name: name,
		base: u,
		http: &http.Client{
			Transport: tr,
			// A redirected POST would come back as a GET without its
			// form; report the redirect instead of following it.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		creds:   creds,
		headers: hdrs,
		timeout: time.Duration(spec.Timeout),
		logger:  logger,
	}, nil
}

// Close closes the client's idle connections (a call after it opens new
// ones).
func (c *Client) Close() error {
	c.http.CloseIdleConnections()
	return nil
}

// Request is one call of the query API.
type Request struct {
	// Method is http.MethodPost (parameters in a form body) or
	// http.MethodGet (parameters in the URL).
	Method string
	// Path follows the base URL's own path: /api/v1/query_range under
	// https://mimir/prometheus.
	Path   string
	Params url.Values
	// Expr is the query, repeated in errors.
	Expr string
}

// Do makes one attempt at r within the client's timeout and returns the
// series of a matrix, vector or scalar result. Errors name the source, the
// method and URL, the query, and the server's own status and message; those
// retrying cannot fix wrap analysis.ErrPermanent.
func (c *Client) Do(ctx context.Context, r Request) ([]analysis.Series, error) {
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + r.Path
	u.RawPath = ""
	where := u.Redacted()
	fail := func(err error) error {
		return fmt.Errorf("%s: %s %s: query %q: %w", c.name, r.Method, where, r.Expr, err)
	}

	var body io.Reader
	switch r.Method {
	case http.MethodPost:
		body = strings.NewReader(r.Params.Encode())
	case http.MethodGet:
		q := u.Query()
		for k, vs := range r.Params {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
	default:
		return nil, analysis.Permanent(fail(fmt.Errorf("unsupported method %q", r.Method)))
	}

	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, r.Method, u.String(), body)
	if err != nil {
		return nil, analysis.Permanent(fail(err))
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "augur")
	c.headers.apply(req)
	if err := c.creds.apply(req); err != nil {
		return nil, fail(err)
	}

	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the method and URL are in fail's prefix
		}
		return nil, fail(c.interrupted(ctx, actx, err))
	}
	defer func() {
		// Drain what the decoder left so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
	}()
	if resp.StatusCode/100 != 2 {
		return nil, fail(classify(newStatusError(resp)))
	}
	env, err := decode(resp)
	if err != nil {
		var re readError
		if errors.As(err, &re) {
			return nil, fail(c.interrupted(ctx, actx, err))
		}
		return nil, analysis.Permanent(fail(err))
	}
	if env.Status != "success" {
		return nil, fail(classify(&StatusError{Code: resp.StatusCode, Status: resp.Status, ErrorType: env.ErrorType, Message: env.Error}))
	}
	if len(env.Warnings) > 0 {
		c.logger.Warn("query answered with warnings", "source", c.name, "url", where, "query", r.Expr, "warnings", env.Warnings)
	}
	if len(env.Infos) > 0 {
		c.logger.Info("query answered with notes", "source", c.name, "url", where, "query", r.Expr, "infos", env.Infos)
	}
	series, err := env.series()
	if err != nil {
		return nil, analysis.Permanent(fail(err))
	}
	return series, nil
}

// interrupted explains a transport or read error, naming the attempt's
// timeout when that is what ended it. The result is retryable.
func (c *Client) interrupted(ctx, attempt context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		if errors.Is(err, ctx.Err()) {
			return err
		}
		return fmt.Errorf("%w: %v", ctx.Err(), err)
	case errors.Is(attempt.Err(), context.DeadlineExceeded):
		return fmt.Errorf("no answer within the %s timeout: %w", c.timeout, context.DeadlineExceeded)
	}
	return err
}
