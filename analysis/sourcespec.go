package analysis

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Source types.
const (
	SourceEmbedded   = "embedded"   // augur's own store (PromQL)
	SourcePrometheus = "prometheus" // Prometheus HTTP API: Prometheus, Thanos, Mimir, VictoriaMetrics
	SourceLoki       = "loki"       // Loki HTTP API, LogQL metric queries
	SourceJaeger     = "jaeger"     // Jaeger api_v2.QueryService over gRPC: per-trace durations
)

// DefaultSource is the name of the embedded store, always available.
const DefaultSource = "embedded"

// SourceSpec configures a named source. Credentials are best given as
// files (bearer_token_file, password_file) so specs carry no secrets.
type SourceSpec struct {
	Type string `yaml:"type" json:"type"`
	// URL is the HTTP base URL (prometheus, loki), e.g.
	// http://thanos-query:9090 or https://mimir/prometheus.
	URL string `yaml:"url,omitempty" json:"url,omitempty"`
	// Address is the gRPC host:port (jaeger query, usually :16685).
	Address string `yaml:"address,omitempty" json:"address,omitempty"`
	// Timeout bounds one attempt; Retries more attempts follow a
	// retryable failure, Backoff apart (doubling, with jitter).
	Timeout Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
	Retries *int     `yaml:"retries,omitempty" json:"retries,omitempty"`
	Backoff Duration `yaml:"backoff,omitempty" json:"backoff,omitempty"`

	BearerToken     string            `yaml:"bearer_token,omitempty" json:"bearer_token,omitempty"`
	BearerTokenFile string            `yaml:"bearer_token_file,omitempty" json:"bearer_token_file,omitempty"`
	BasicAuth       *BasicAuth        `yaml:"basic_auth,omitempty" json:"basic_auth,omitempty"`
	Headers         map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	TLS             *TLSSpec          `yaml:"tls,omitempty" json:"tls,omitempty"`
	// OrgID is sent as X-Scope-OrgID (Mimir, Loki, Cortex tenants).
	OrgID string `yaml:"org_id,omitempty" json:"org_id,omitempty"`
}

// BasicAuth is HTTP basic authentication.
type BasicAuth struct {
	Username     string `yaml:"username" json:"username"`
	Password     string `yaml:"password,omitempty" json:"password,omitempty"`
	PasswordFile string `yaml:"password_file,omitempty" json:"password_file,omitempty"`
}

// TLSSpec configures TLS to a source.
type TLSSpec struct {
	CAFile             string `yaml:"ca_file,omitempty" json:"ca_file,omitempty"`
	CertFile           string `yaml:"cert_file,omitempty" json:"cert_file,omitempty"`
	KeyFile            string `yaml:"key_file,omitempty" json:"key_file,omitempty"`
	ServerName         string `yaml:"server_name,omitempty" json:"server_name,omitempty"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify,omitempty" json:"insecure_skip_verify,omitempty"`
}

// Source call defaults.
const (
	DefaultSourceTimeout = 30 * time.Second
	DefaultSourceRetries = 3
	DefaultSourceBackoff = 500 * time.Millisecond
)

// SetDefaults fills the timeout, retries and backoff.
func (s *SourceSpec) SetDefaults() {
	if s.Timeout == 0 {
		s.Timeout = Duration(DefaultSourceTimeout)
	}
	if s.Retries == nil {
		r := DefaultSourceRetries
		s.Retries = &r
	}
	if s.Backoff == 0 {
		s.Backoff = Duration(DefaultSourceBackoff)
	}
}

// Validate reports every invalid field under the prefix field.
func (s SourceSpec) Validate(field string) error {
	var errs []error
	add := func(sub, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", field, sub, fmt.Sprintf(format, a...)))
	}
	switch s.Type {
	case SourceEmbedded:
		if s.URL != "" || s.Address != "" {
			add("url", "the embedded source takes no url or address")
		}
	case SourcePrometheus, SourceLoki:
		u, err := url.Parse(s.URL)
		if s.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("url", "must be an absolute http(s) URL, got %q", s.URL)
		}
	case SourceJaeger:
		if s.Address == "" {
			add("address", "must be the query service's gRPC host:port, e.g. jaeger-query:16685")
		}
	case "":
		add("type", "must be set: embedded, prometheus, loki or jaeger")
	default:
		add("type", "unknown source type %q: want embedded, prometheus, loki or jaeger", s.Type)
	}
	if s.Timeout < 0 {
		add("timeout", "must be positive")
	}
	if s.Retries != nil && (*s.Retries < 0 || *s.Retries > 20) {
		add("retries", "must be within 0..20, got %d", *s.Retries)
	}
	if s.Backoff < 0 {
		add("backoff", "must be positive")
	}
	if s.BearerToken != "" && s.BearerTokenFile != "" {
		add("bearer_token", "give bearer_token or bearer_token_file, not both")
	}
	if (s.BearerToken != "" || s.BearerTokenFile != "") && s.BasicAuth != nil {
		add("basic_auth", "give a bearer token or basic_auth, not both")
	}
	if b := s.BasicAuth; b != nil {
		if b.Username == "" {
			add("basic_auth.username", "must not be empty")
		}
		if b.Password != "" && b.PasswordFile != "" {
			add("basic_auth.password", "give password or password_file, not both")
		}
	}
	if t := s.TLS; t != nil && (t.CertFile == "") != (t.KeyFile == "") {
		add("tls", "cert_file and key_file go together")
	}
	return errors.Join(errs...)
}
