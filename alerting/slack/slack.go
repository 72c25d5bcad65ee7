package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/augurhq/augur/alerting/notify"
)

// Doer sends one HTTP request: the SSRF-guarded client of the
// application, or a test's.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Notifier posts messages to one Slack incoming webhook.
type Notifier struct {
	cfg    Config
	client Doer
	now    func() time.Time
}

var _ notify.Notifier = (*Notifier)(nil)

// New checks cfg (and that the webhook URL's file reads) and returns a
// Notifier that sends through client.
func New(cfg Config, client Doer) (*Notifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if client == nil {
		return nil, errors.New("slack: an HTTP client is required")
	}
	if _, err := cfg.webhookURL(); err != nil {
		return nil, err
	}
	return &Notifier{cfg: cfg, client: client, now: time.Now}, nil
}

// Notify posts m. Errors never contain the webhook URL; Slack's refusals
// (400, 403, 404, 410) are permanent, 429 carries Retry-After, 5xx and
// transport errors are retryable.
func (n *Notifier) Notify(ctx context.Context, m notify.Message) error {
	hook, err := n.cfg.webhookURL()
	if err != nil {
		return err // names the file, not its content; retryable: the file may come back
	}
	body, err := json.Marshal(render(n.cfg, m))
	if err != nil {
		return notify.Permanent(fmt.Errorf("slack: encode message: %w", err))
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook, bytes.NewReader(body))
	if err != nil {
		return notify.Permanent(notify.Redact(fmt.Errorf("slack: build request: %w", err), notify.URLSecrets(hook)...))
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "augur")
	resp, err := n.client.Do(req)
	if err != nil {
		return notify.Redact(fmt.Errorf("slack: post: %w", err), notify.URLSecrets(hook)...)
	}
	return notify.Redact(notify.CheckResponse("slack", resp, n.now()), notify.URLSecrets(hook)...)
}
