package notify

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"time"
)

// Doer sends one HTTP request: the application's guarded client
// (NewHTTPClient), or a test's.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// PostJSON posts body as JSON to url with client, bounded by timeout, and
// returns the answer for the caller to classify (CheckResponse) and
// close; call cancel once the answer is read. A request that cannot be
// built is permanent, a transport error retryable; both name receiver and
// have secrets (a webhook URL and its parts, a routing key) redacted.
func PostJSON(ctx context.Context, client Doer, receiver, url string, body []byte, timeout time.Duration, secrets ...string) (*http.Response, context.CancelFunc, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, cancel, Permanent(Redact(fmt.Errorf("%s: build request: %w", receiver, err), secrets...))
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "augur")
	resp, err := client.Do(req)
	if err != nil {
		return nil, cancel, Redact(fmt.Errorf("%s: post: %w", receiver, err), secrets...)
	}
	return resp, cancel, nil
}
