package pagerduty

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
)

// DefaultURL is the Events API v2 endpoint.
const DefaultURL = "https://events.pagerduty.com/v2/enqueue"

// Verdicts that can trigger an alert.
var triggerable = []string{"fail", "error", "inconclusive", "marginal"}

// Config configures one PagerDuty receiver.
type Config struct {
	// RoutingKey is the Events API v2 integration key (32 characters). It
	// is a secret: prefer RoutingKeyFile. Exactly one of the two is set.
	RoutingKey string `yaml:"routing_key" json:"-"`
	// RoutingKeyFile is a file holding the routing key, read for every
	// message (surrounding whitespace is ignored).
	RoutingKeyFile string `yaml:"routing_key_file" json:"routing_key_file,omitempty"`
	// URL is the Events API v2 endpoint. Default DefaultURL (EU accounts
	// use https://events.eu.pagerduty.com/v2/enqueue).
	URL string `yaml:"url" json:"url"`
	// TriggerOn lists the verdicts that raise an alert: fail, error,
	// inconclusive, marginal. Default [fail].
	TriggerOn []string `yaml:"trigger_on" json:"trigger_on"`
	// Source is the payload's source (the affected system). Default
	// "augur".
	Source string `yaml:"source" json:"source"`
	// Component, Group and Class fill the payload's fields of those names
	// when set. Default empty.
	Component string `yaml:"component" json:"component,omitempty"`
	Group     string `yaml:"group" json:"group,omitempty"`
	Class     string `yaml:"class" json:"class,omitempty"`
	// Timeout bounds one request. Default 10s.
	Timeout time.Duration `yaml:"timeout" json:"timeout"`
}

// DefaultConfig returns the public endpoint, triggers on fail only, source
// "augur" and a 10 s timeout; a routing key must be set.
func DefaultConfig() Config {
	return Config{URL: DefaultURL, TriggerOn: []string{"fail"}, Source: "augur", Timeout: 10 * time.Second}
}

// routingKeyLen is the length of an Events API v2 integration key.
const routingKeyLen = 32

// Validate reports every invalid field. It never quotes the routing key.
func (c Config) Validate() error {
	var errs []error
	switch {
	case c.RoutingKey == "" && c.RoutingKeyFile == "":
		errs = append(errs, errors.New("pagerduty.routing_key: one of routing_key and routing_key_file is required"))
	case c.RoutingKey != "" && c.RoutingKeyFile != "":
		errs = append(errs, errors.New("pagerduty.routing_key: set routing_key or routing_key_file, not both"))
	case c.RoutingKey != "":
		if err := checkKey(c.RoutingKey); err != nil {
			errs = append(errs, fmt.Errorf("pagerduty.routing_key: %w", err))
		}
	}
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("pagerduty.url: %q is not an absolute http(s) URL", c.URL))
	}
	if len(c.TriggerOn) == 0 {
		errs = append(errs, errors.New("pagerduty.trigger_on: must list at least one verdict (fail)"))
	}
	for _, v := range c.TriggerOn {
		if !slices.Contains(triggerable, v) {
			errs = append(errs, fmt.Errorf("pagerduty.trigger_on: %q is not one of %s", v, strings.Join(triggerable, ", ")))
		}
	}
	if strings.TrimSpace(c.Source) == "" {
		errs = append(errs, errors.New("pagerduty.source: must not be empty"))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("pagerduty.timeout: must be positive, got %s", c.Timeout))
	}
	return errors.Join(errs...)
}

// routingKey returns the key inline or read from its file.
func (c Config) routingKey() (string, error) {
	if c.RoutingKeyFile == "" {
		return c.RoutingKey, nil
	}
	b, err := os.ReadFile(c.RoutingKeyFile)
	if err != nil {
		return "", fmt.Errorf("pagerduty.routing_key_file: %w", err)
	}
	k := strings.TrimSpace(string(b))
	if err := checkKey(k); err != nil {
		return "", fmt.Errorf("pagerduty.routing_key_file %s: %w", c.RoutingKeyFile, err)
	}
	return k, nil
}

func checkKey(k string) error {
	if len(k) != routingKeyLen {
		return fmt.Errorf("must be %d characters, got %d (value not shown: it is a secret)", routingKeyLen, len(k))
	}
	return nil
}
