package msteams

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

// Notifier posts messages to one Teams Workflows webhook.
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
		return nil, errors.New("msteams: an HTTP client is required")
	}
	if _, err := cfg.webhookURL(); err != nil {
		return nil, err
	}
	return &Notifier{cfg: cfg, client: client, now: time.Now}, nil
}

// Notify posts m as an Adaptive Card. Errors never contain the webhook
// URL; 4xx other than 408 and 429 are permanent, 429 carries Retry-After,
// 5xx and transport errors are retryable.
func (n *Notifier) Notify(ctx context.Context, m notify.Message) error {
	hook, err := n.cfg.webhookURL()
	if err != nil {
		return err
	}
	body, err := json.Marshal(render(m))
	if err != nil {
		return notify.Permanent(fmt.Errorf("msteams: encode card: %w", err))
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook, bytes.NewReader(body))
	if err != nil {
		return notify.Permanent(notify.Redact(fmt.Errorf("msteams: build request: %w", err), notify.URLSecrets(hook)...))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "augur")
	resp, err := n.client.Do(req)
	if err != nil {
		return notify.Redact(fmt.Errorf("msteams: post: %w", err), notify.URLSecrets(hook)...)
	}
	return notify.Redact(notify.CheckResponse("msteams", resp, n.now()), notify.URLSecrets(hook)...)
}
