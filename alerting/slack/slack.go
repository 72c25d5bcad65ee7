package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/augurhq/augur/alerting/notify"
)

// Notifier posts messages to one Slack incoming webhook.
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
	resp, cancel, err := notify.PostJSON(ctx, n.client, "slack", hook, body, n.cfg.Timeout, notify.URLSecrets(hook)...)
	defer cancel()
	if err != nil {
		return err
	}
	return notify.Redact(notify.CheckResponse("slack", resp, n.now()), notify.URLSecrets(hook)...)
}
