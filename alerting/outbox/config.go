package outbox

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/augurhq/augur/alerting/alertmanager"
	"github.com/augurhq/augur/alerting/email"
	"github.com/augurhq/augur/alerting/grafana"
	"github.com/augurhq/augur/alerting/msteams"
	"github.com/augurhq/augur/alerting/notify"
	"github.com/augurhq/augur/alerting/pagerduty"
	"github.com/augurhq/augur/alerting/route"
	"github.com/augurhq/augur/alerting/signedwebhook"
	"github.com/augurhq/augur/alerting/slack"
)

// Config is the server's `notify:` block: the named receivers, the routing
// tree over them (Alertmanager's route, inhibit_rules and time_intervals,
// inline), how deliveries are retried, and whether specs' raw webhook URLs
// are honoured.
type Config struct {
	Receivers    []ReceiverConfig `yaml:"receivers"`
	route.Config `yaml:",inline"`
	Delivery     DeliveryConfig `yaml:"delivery"`
	// AllowSpecURLs honours the raw URLs of specs' `webhooks:` (off by
	// default: a spec could otherwise make the server call any address).
	AllowSpecURLs bool `yaml:"allow_spec_urls"`
	// SpecURLs is how spec webhook URLs are called when allowed: the
	// address guard (loopback, link-local and private addresses refused by
	// default), signing secrets, timeout.
	SpecURLs SpecURLConfig `yaml:"spec_urls"`
}

// ReceiverConfig is one named receiver: exactly one integration.
type ReceiverConfig struct {
	Name         string                `yaml:"name"`
	Webhook      *signedwebhook.Config `yaml:"webhook,omitempty"`
	Slack        *slack.Config         `yaml:"slack,omitempty"`
	MSTeams      *msteams.Config       `yaml:"msteams,omitempty"`
	PagerDuty    *pagerduty.Config     `yaml:"pagerduty,omitempty"`
	Email        *email.Config         `yaml:"email,omitempty"`
	Alertmanager *alertmanager.Config  `yaml:"alertmanager,omitempty"`
	// Grafana posts each message as an annotation (POST /api/annotations).
	Grafana *grafana.Config `yaml:"grafana,omitempty"`
	// Guard decides which addresses the receiver may reach (loopback,
	// link-local and private ones are refused unless allowed here).
	Guard notify.Guard `yaml:"guard"`
}

// SpecURLConfig is how the raw webhook URLs of specs are called.
type SpecURLConfig struct {
	Guard notify.Guard `yaml:"guard"`
	// SecretFiles sign spec webhooks (Standard Webhooks); none: unsigned.
	SecretFiles []string      `yaml:"secret_files"`
	Timeout     time.Duration `yaml:"timeout"`
}

// DeliveryConfig is how deliveries are attempted.
type DeliveryConfig struct {
	// Backoff is the wait after the first failed attempt; it doubles
	// with each further one up to MaxBackoff, and each wait is drawn
	// uniformly from its upper half (jitter).
	Backoff    time.Duration `yaml:"backoff"`
	MaxBackoff time.Duration `yaml:"max_backoff"`
	// MaxAge is how long a delivery is retried before it is dead-lettered.
	MaxAge time.Duration `yaml:"max_age"`
	// Workers bounds the deliveries a replica sends at once.
	Workers int `yaml:"workers"`
	// PollInterval is how often a replica looks for due work when nothing
	// woke it.
	PollInterval time.Duration `yaml:"poll_interval"`
	// Lease is how long a claimed delivery or the router lease is held
	// without renewal (at least the longest receiver timeout plus margin).
	Lease time.Duration `yaml:"lease"`
	// EventRetention is how long routed outbox events are kept.
	EventRetention time.Duration `yaml:"event_retention"`
}

// DefaultConfig is no receivers, no routes, spec URLs refused, and
// deliveries retried from 5s doubling to 5m for 24h.
func DefaultConfig() Config {
	return Config{
		Delivery: DeliveryConfig{
			Backoff:        5 * time.Second,
			MaxBackoff:     5 * time.Minute,
			MaxAge:         24 * time.Hour,
			Workers:        8,
			PollInterval:   time.Second,
			Lease:          2 * time.Minute,
			EventRetention: 7 * 24 * time.Hour,
		},
		SpecURLs: SpecURLConfig{Timeout: 10 * time.Second},
	}
}

var receiverName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// ReceiverNames returns the configured receivers' names, in order.
func (c Config) ReceiverNames() []string {
	names := make([]string, len(c.Receivers))
	for i, r := range c.Receivers {
		names[i] = r.Name
	}
	return names
}

// Validate reports every invalid field, named under "notify.".
func (c Config) Validate() error {
	var errs []error
	seen := map[string]bool{}
	for i, r := range c.Receivers {
		p := fmt.Sprintf("notify.receivers[%d]", i)
		if !receiverName.MatchString(r.Name) {
			errs = append(errs, fmt.Errorf("%s.name: must be 1 to 63 letters, digits, '_', '.' or '-', starting with a letter or digit, got %q", p, r.Name))
		} else if seen[r.Name] {
			errs = append(errs, fmt.Errorf("%s.name: %q is defined twice", p, r.Name))
		}
		seen[r.Name] = true
		if err := r.validate(p); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Route != nil || len(c.InhibitRules) > 0 || len(c.TimeIntervals) > 0 {
		errs = append(errs, routeErrors(c.Config.Validate(c.ReceiverNames()))...)
	}
	d := c.Delivery
	if d.Backoff <= 0 {
		errs = append(errs, fmt.Errorf("notify.delivery.backoff: must be positive, got %s", d.Backoff))
	}
	if d.MaxBackoff < d.Backoff {
		errs = append(errs, fmt.Errorf("notify.delivery.max_backoff: must be at least backoff (%s), got %s", d.Backoff, d.MaxBackoff))
	}
	if d.MaxAge <= 0 {
		errs = append(errs, fmt.Errorf("notify.delivery.max_age: must be positive, got %s", d.MaxAge))
	}
	if d.Workers < 1 {
		errs = append(errs, fmt.Errorf("notify.delivery.workers: must be at least 1, got %d", d.Workers))
	}
	if d.PollInterval <= 0 {
		errs = append(errs, fmt.Errorf("notify.delivery.poll_interval: must be positive, got %s", d.PollInterval))
	}
	if d.Lease < time.Second {
		errs = append(errs, fmt.Errorf("notify.delivery.lease: must be at least 1s, got %s", d.Lease))
	}
	if d.EventRetention <= 0 {
		errs = append(errs, fmt.Errorf("notify.delivery.event_retention: must be positive, got %s", d.EventRetention))
	}
	if c.SpecURLs.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("notify.spec_urls.timeout: must be positive, got %s", c.SpecURLs.Timeout))
	}
	for i, f := range c.SpecURLs.SecretFiles {
		if f == "" {
			errs = append(errs, fmt.Errorf("notify.spec_urls.secret_files[%d]: must not be empty", i))
		}
	}
	return errors.Join(errs...)
}

// Integrations names the integrations a receiver sets (exactly one in a
// valid config).
func (r ReceiverConfig) Integrations() []string { return r.kinds() }

// kinds lists the integrations a receiver sets.
func (r ReceiverConfig) kinds() []string {
	var k []string
	for _, x := range []struct {
		name string
		set  bool
	}{
		{"webhook", r.Webhook != nil}, {"slack", r.Slack != nil}, {"msteams", r.MSTeams != nil},
		{"pagerduty", r.PagerDuty != nil}, {"email", r.Email != nil}, {"alertmanager", r.Alertmanager != nil},
		{"grafana", r.Grafana != nil},
	} {
		if x.set {
			k = append(k, x.name)
		}
	}
	return k
}

func (r ReceiverConfig) validate(p string) error {
	switch k := r.kinds(); len(k) {
	case 0:
		return fmt.Errorf("%s: must set one of webhook, slack, msteams, pagerduty, email, alertmanager or grafana", p)
	case 1:
	default:
		return fmt.Errorf("%s: sets %v; a receiver has exactly one integration (define one receiver each)", p, k)
	}
	prefix := p + "." + r.kinds()[0]
	var err error
	switch {
	case r.Webhook != nil:
		err = r.Webhook.Validate(prefix)
	case r.Slack != nil:
		err = prefixed(p, r.Slack.Validate())
	case r.MSTeams != nil:
		err = prefixed(p, r.MSTeams.Validate())
	case r.PagerDuty != nil:
		err = prefixed(p, r.PagerDuty.Validate())
	case r.Email != nil:
		err = r.Email.Validate(prefix)
	case r.Alertmanager != nil:
		err = r.Alertmanager.Validate(prefix)
	case r.Grafana != nil:
		err = r.Grafana.Validate(prefix)
	}
	return err
}

func prefixed(prefix string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", prefix, err)
}

// routeErrors names each routing problem under notify. (the route
// package's own errors start "route: ", then the field's path).
func routeErrors(err error) []error {
	if err == nil {
		return nil
	}
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	out := make([]error, len(list))
	for i, e := range list {
		out[i] = errors.New("notify." + strings.TrimPrefix(e.Error(), "route: "))
	}
	return out
}
