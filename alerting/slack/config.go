package slack

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/augurhq/augur/alerting/notify"
)

// Config configures one Slack receiver.
type Config struct {
	// WebhookURL is the incoming webhook's URL
	// (https://hooks.slack.com/services/...). It is a secret: prefer
	// WebhookURLFile. Exactly one of the two is set.
	WebhookURL string `yaml:"webhook_url" json:"-"`
	// WebhookURLFile is a file holding the webhook URL, read for every
	// message (surrounding whitespace is ignored).
	WebhookURLFile string `yaml:"webhook_url_file" json:"webhook_url_file,omitempty"`
	// Channel and Username override the webhook's defaults. Only legacy
	// (custom integration) webhooks honour them; a Slack app's webhook
	// always posts to the channel chosen when it was installed, as its
	// own app. Empty (the default) sends neither.
	Channel  string `yaml:"channel" json:"channel,omitempty"`
	Username string `yaml:"username" json:"username,omitempty"`
	// Timeout bounds one request. Default 10s.
	Timeout time.Duration `yaml:"timeout" json:"timeout"`
}

// DefaultConfig returns a 10 s timeout and no webhook (one must be set).
func DefaultConfig() Config {
	return Config{Timeout: 10 * time.Second}
}

// Validate reports every invalid field. It never quotes the webhook URL.
func (c Config) Validate() error {
	var errs []error
	switch {
	case c.WebhookURL == "" && c.WebhookURLFile == "":
		errs = append(errs, errors.New("slack.webhook_url: one of webhook_url and webhook_url_file is required"))
	case c.WebhookURL != "" && c.WebhookURLFile != "":
		errs = append(errs, errors.New("slack.webhook_url: set webhook_url or webhook_url_file, not both"))
	case c.WebhookURL != "":
		if err := notify.CheckSecretURL(c.WebhookURL); err != nil {
			errs = append(errs, fmt.Errorf("slack.webhook_url: %w", err))
		}
	}
	if strings.ContainsAny(c.Channel, " \t\n") {
		errs = append(errs, fmt.Errorf("slack.channel: %q contains whitespace", c.Channel))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("slack.timeout: must be positive, got %s", c.Timeout))
	}
	return errors.Join(errs...)
}

// webhookURL returns the URL inline or read from its file.
func (c Config) webhookURL() (string, error) {
	return notify.SecretURL("slack.webhook_url", c.WebhookURL, c.WebhookURLFile)
}
