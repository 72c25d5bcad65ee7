package outbox

import (
	"errors"
	"fmt"

	"github.com/augurhq/augur/alerting/alertmanager"
	"github.com/augurhq/augur/alerting/email"
	"github.com/augurhq/augur/alerting/grafana"
	"github.com/augurhq/augur/alerting/msteams"
	"github.com/augurhq/augur/alerting/notify"
	"github.com/augurhq/augur/alerting/pagerduty"
	"github.com/augurhq/augur/alerting/signedwebhook"
	"github.com/augurhq/augur/alerting/slack"
)

// BuildReceivers returns a Notifier per configured receiver, by name. It
// fails naming every receiver that cannot be built (a secret file that does
// not read, a CA file that does not parse).
func BuildReceivers(c Config) (map[string]notify.Notifier, error) {
	out := make(map[string]notify.Notifier, len(c.Receivers))
	var errs []error
	for _, r := range c.Receivers {
		n, err := buildReceiver(r)
		if err != nil {
			errs = append(errs, fmt.Errorf("notify.receivers %s: %w", r.Name, err))
			continue
		}
		out[r.Name] = n
	}
	return out, errors.Join(errs...)
}

func buildReceiver(r ReceiverConfig) (notify.Notifier, error) {
	switch {
	case r.Webhook != nil:
		return signedwebhook.New(r.Name, *r.Webhook, r.Guard)
	case r.Email != nil:
		return email.New(r.Name, *r.Email, r.Guard)
	case r.Alertmanager != nil:
		return alertmanager.New(r.Name, *r.Alertmanager, r.Guard)
	case r.Grafana != nil:
		return grafana.New(r.Name, *r.Grafana, r.Guard)
	case r.Slack != nil:
		client, err := notify.NewHTTPClient(notify.HTTPConfig{Timeout: r.Slack.Timeout}, r.Guard)
		if err != nil {
			return nil, err
		}
		return slack.New(*r.Slack, client)
	case r.MSTeams != nil:
		client, err := notify.NewHTTPClient(notify.HTTPConfig{Timeout: r.MSTeams.Timeout}, r.Guard)
		if err != nil {
			return nil, err
		}
		return msteams.New(*r.MSTeams, client)
	case r.PagerDuty != nil:
		client, err := notify.NewHTTPClient(notify.HTTPConfig{Timeout: r.PagerDuty.Timeout}, r.Guard)
		if err != nil {
			return nil, err
		}
		return pagerduty.New(*r.PagerDuty, client)
	}
	return nil, errors.New("no integration set")
}
