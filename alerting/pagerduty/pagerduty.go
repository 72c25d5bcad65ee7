package pagerduty

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/augurhq/augur/alerting/notify"
)

// Notifier sends events to one PagerDuty integration.
type Notifier struct {
	cfg    Config
	client notify.Doer
	now    func() time.Time
}

var _ notify.Notifier = (*Notifier)(nil)

// New checks cfg (and that the routing key's file reads) and returns a
// Notifier that sends through client.
func New(cfg Config, client notify.Doer) (*Notifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if client == nil {
		return nil, errors.New("pagerduty: an HTTP client is required")
	}
	if _, err := cfg.routingKey(); err != nil {
		return nil, err
	}
	return &Notifier{cfg: cfg, client: client, now: time.Now}, nil
}

// Notify triggers or resolves the experiment's alert, or does nothing for
// a message that is not for paging. Errors never contain the routing key;
// a 400 is permanent and lists PagerDuty's errors; 429, 5xx and transport
// errors are retryable.
func (n *Notifier) Notify(ctx context.Context, m notify.Message) error {
	key, err := n.cfg.routingKey()
	if err != nil {
		return err
	}
	ev, ok := build(n.cfg, key, m)
	if !ok {
		return nil
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return notify.Permanent(fmt.Errorf("pagerduty: encode event: %w", err))
	}
	resp, cancel, err := notify.PostJSON(ctx, n.client, "pagerduty "+ev.EventAction+" "+ev.DedupKey, n.cfg.URL, body, n.cfg.Timeout, key)
	defer cancel()
	if err != nil {
		return err
	}
	if resp.StatusCode == http.StatusBadRequest {
		return notify.Redact(badRequest(resp, ev), key)
	}
	return notify.Redact(notify.CheckResponse("pagerduty", resp, n.now()), key)
}

// badRequest reads a 400's body ({"status","message","errors"}) into a
// permanent error listing PagerDuty's errors.
func badRequest(resp *http.Response, ev event) error {
	defer resp.Body.Close()
	var r struct {
		Status  string   `json:"status"`
		Message string   `json:"message"`
		Errors  []string `json:"errors"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	msg := strings.TrimSpace(string(b))
	if json.Unmarshal(b, &r) == nil && (r.Message != "" || len(r.Errors) > 0) {
		msg = r.Message
		if len(r.Errors) > 0 {
			msg += ": " + strings.Join(r.Errors, "; ")
		}
	}
	msg = cut(msg, 4*notify.MaxErrorBody)
	return notify.Permanent(fmt.Errorf("pagerduty: %s %s: %s: %s", ev.EventAction, ev.DedupKey, resp.Status, msg))
}
