package msteams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/augurhq/augur/alerting/notify"
)

// Notifier posts messages to one Teams Workflows webhook.
type Notifier struct {
	cfg    Config
	client notify.Doer
	now    func() time.Time
}

var _ notify.Notifier = (*Notifier)(nil)

// New checks cfg (and that the webhook URL's file reads) and returns a
// Notifier that sends through client.
func New(cfg Config, client notify.Doer) (*Notifier, error) {
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
	resp, cancel, err := notify.PostJSON(ctx, n.client, "msteams", hook, body, n.cfg.Timeout, notify.URLSecrets(hook)...)
	defer cancel()
	if err != nil {
		return err
	}
	return notify.Redact(notify.CheckResponse("msteams", resp, n.now()), notify.URLSecrets(hook)...)
}
