package grafana

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/augurhq/augur/alerting/notify"
)

// Config is one Grafana receiver.
type Config struct {
	// URL is Grafana's base URL (e.g. https://grafana.example.com, with its
	// sub-path if it is served under one); annotations go to
	// <url>/api/annotations.
	URL string `yaml:"url" json:"url"`
	// TokenFile holds a service-account token (role Editor, or the
	// annotations:write permission), read for every request.
	TokenFile string `yaml:"token_file" json:"token_file"`
	// DashboardUID makes the annotations the dashboard's own (default:
	// organisation annotations, shown by a query on tag "augur").
	DashboardUID string `yaml:"dashboard_uid" json:"dashboard_uid,omitempty"`
	// PanelID narrows them to one panel of that dashboard (0: the whole
	// dashboard).
	PanelID int64 `yaml:"panel_id" json:"panel_id,omitempty"`
	// Tags are added to every annotation.
	Tags []string `yaml:"tags" json:"tags,omitempty"`
	// Timeout bounds one request. Default 10s.
	Timeout time.Duration `yaml:"timeout" json:"timeout"`
	// TLS verifies Grafana's certificate and may present a client's.
	TLS notify.TLSConfig `yaml:"tls" json:"tls"`
}

// DefaultConfig returns a 10 s timeout; url and token_file must be set.
func DefaultConfig() Config {
	return Config{Timeout: 10 * time.Second}
}

// Validate reports every invalid field, named under prefix.
func (c Config) Validate(prefix string) error {
	var errs []error
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		errs = append(errs, fmt.Errorf("%s.url: must be an absolute http or https URL without query, got %q", prefix, c.URL))
	} else if u.User != nil {
		errs = append(errs, fmt.Errorf("%s.url: must not carry credentials (use token_file)", prefix))
	}
	if c.TokenFile == "" {
		errs = append(errs, fmt.Errorf("%s.token_file: a file holding a service-account token is required", prefix))
	}
	if c.PanelID < 0 {
		errs = append(errs, fmt.Errorf("%s.panel_id: must not be negative, got %d", prefix, c.PanelID))
	}
	if c.PanelID != 0 && c.DashboardUID == "" {
		errs = append(errs, fmt.Errorf("%s.panel_id: needs dashboard_uid (a panel belongs to a dashboard)", prefix))
	}
	for i, t := range c.Tags {
		if strings.TrimSpace(t) == "" || len(t) > 50 {
			errs = append(errs, fmt.Errorf("%s.tags[%d]: must be 1 to 50 characters, got %q", prefix, i, t))
		}
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("%s.timeout: must be positive, got %s", prefix, c.Timeout))
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		errs = append(errs, fmt.Errorf("%s.tls: cert_file and key_file go together", prefix))
	}
	return errors.Join(errs...)
}

func (c Config) httpConfig() notify.HTTPConfig {
	return notify.HTTPConfig{Timeout: c.Timeout, BearerTokenFile: c.TokenFile, TLS: c.TLS}
}
