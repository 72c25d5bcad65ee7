package alertmanager

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/augurhq/augur/alerting/notify"
)

// Config is one Alertmanager receiver.
type Config struct {
	// URLs are the Alertmanagers' base URLs (e.g. http://alertmanager:9093,
	// with a route prefix if it has one); each gets every alert.
	URLs []string `yaml:"urls" json:"urls"`
	// ResolveTimeout is how far ahead a firing alert's endsAt is set
	// (default 1h): Alertmanager resolves the alert by itself when augur
	// does not repeat it by then.
	ResolveTimeout time.Duration `yaml:"resolve_timeout" json:"resolve_timeout"`
	// HTTP is TLS, credentials, headers and the timeout.
	HTTP notify.HTTPConfig `yaml:"http" json:"http"`
}

// DefaultConfig returns a 1 h resolve timeout and the default HTTP
// settings.
func DefaultConfig() Config {
	return Config{ResolveTimeout: time.Hour, HTTP: notify.DefaultHTTPConfig()}
}

// Validate reports every invalid field, named under prefix.
func (c Config) Validate(prefix string) error {
	var errs []error
	if len(c.URLs) == 0 {
		errs = append(errs, fmt.Errorf("%s.urls: at least one Alertmanager URL is required", prefix))
	}
	for i, s := range c.URLs {
		if u, err := url.Parse(s); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s.urls[%d]: must be an absolute http or https URL, got %q", prefix, i, s))
		}
	}
	if c.ResolveTimeout <= 0 {
		errs = append(errs, fmt.Errorf("%s.resolve_timeout: must be positive, got %s", prefix, c.ResolveTimeout))
	}
	if err := c.HTTP.Validate(prefix + ".http"); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Alert is one element of the body of POST /api/v2/alerts (Alertmanager's
// postableAlert).
type Alert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// alertnames are the alerts a verdict raises, in a fixed order.
var alertnames = []struct{ verdict, name, severity string }{
	{"fail", "AugurCanaryFailed", notify.SeverityCritical},
	{"marginal", "AugurCanaryMarginal", notify.SeverityWarning},
	{"inconclusive", "AugurCanaryInconclusive", notify.SeverityWarning},
	{"error", "AugurCanaryError", notify.SeverityWarning},
}

// Notifier posts alerts to a set of Alertmanagers.
type Notifier struct {
	name      string
	cfg       Config
	endpoints []string
	client    *http.Client
	now       func() time.Time
}

var _ notify.Notifier = (*Notifier)(nil)

// New returns the receiver called name; guard decides which addresses the
// URLs may reach.
func New(name string, cfg Config, guard notify.Guard) (*Notifier, error) {
	prefix := "receivers." + name + ".alertmanager"
	if err := cfg.Validate(prefix); err != nil {
		return nil, err
	}
	client, err := notify.NewHTTPClient(cfg.HTTP, guard)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", prefix, err)
	}
	n := &Notifier{name: name, cfg: cfg, client: client, now: time.Now}
	for _, u := range cfg.URLs {
		e, err := url.JoinPath(u, "api/v2/alerts")
		if err != nil {
			return nil, fmt.Errorf("%s.urls: %w", prefix, err)
		}
		n.endpoints = append(n.endpoints, e)
	}
	return n, nil
}

// Alerts returns what a message posts: nothing for a message that neither
// raises nor resolves (a run's start), else one alert per alertname of the
// experiment, the verdict's own firing unless the message resolves.
func Alerts(m notify.Message, now time.Time, resolveTimeout time.Duration) []Alert {
	firing := ""
	switch {
	case m.Resolved || m.Verdict == "pass" || m.Event == notify.EventRunAborted:
	default:
		for _, a := range alertnames {
			if a.verdict == m.Verdict {
				firing = a.name
			}
		}
		if firing == "" {
			return nil
		}
	}
	startsAt := m.At
	if startsAt.IsZero() || startsAt.After(now) {
		startsAt = now
	}
	var generator string
	if u, err := url.Parse(m.ReportURL); err == nil && u.IsAbs() {
		generator = m.ReportURL
	}
	out := make([]Alert, 0, len(alertnames))
	for _, a := range alertnames {
		al := Alert{Labels: labels(m, a.name, a.severity), Annotations: annotations(m),
			StartsAt: startsAt, EndsAt: now, GeneratorURL: generator}
		if a.name == firing {
			al.EndsAt = now.Add(resolveTimeout)
		} else {
			al.StartsAt = now
		}
		out = append(out, al)
	}
	return out
}

func labels(m notify.Message, alertname, severity string) map[string]string {
	l := make(map[string]string, len(m.Labels)+4)
	for k, v := range m.Labels {
		if v != "" {
			l[labelName(k)] = v
		}
	}
	l["experiment"] = m.ExperimentID
	if m.Name != "" {
		l["name"] = m.Name
	}
	l["alertname"] = alertname
	l["severity"] = severity
	return l
}

// labelName makes s a valid Prometheus label name: [a-zA-Z_][a-zA-Z0-9_]*.
func labelName(s string) string {
	b := []byte(s)
	for i, c := range b {
		ok := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
		if !ok {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "_"
	}
	if b[0] >= '0' && b[0] <= '9' {
		return "_" + string(b)
	}
	return string(b)
}

func annotations(m notify.Message) map[string]string {
	summary := fmt.Sprintf("Canary %s: verdict %s", m.Name, m.Verdict)
	if m.Score != nil {
		summary += ", score " + strconv.FormatFloat(*m.Score, 'f', 1, 64)
	}
	a := map[string]string{"summary": summary}
	var d strings.Builder
	d.WriteString(m.Reason)
	for _, f := range m.Failing {
		if d.Len() > 0 {
			d.WriteString("\n")
		}
		fmt.Fprintf(&d, "%s (%s): %s", f.Name, f.Classification, f.Reason)
	}
	if d.Len() > 0 {
		a["description"] = d.String()
	}
	if m.ReportURL != "" {
		a["report_url"] = m.ReportURL
	}
	return a
}

// Notify posts m's alerts to every Alertmanager; see the package comment
// for when it counts as taken.
func (n *Notifier) Notify(ctx context.Context, m notify.Message) error {
	now := n.now()
	alerts := Alerts(m, now, n.cfg.ResolveTimeout)
	if len(alerts) == 0 {
		return nil
	}
	body, err := json.Marshal(alerts)
	if err != nil {
		return notify.Permanent(fmt.Errorf("%s: encode alerts: %w", n.name, err))
	}
	var errs []error
	permanent := true
	for _, e := range n.endpoints {
		err := n.post(ctx, e, body, now)
		if err == nil {
			return nil
		}
		permanent = permanent && notify.IsPermanent(err)
		errs = append(errs, err)
	}
	err = fmt.Errorf("%s: no Alertmanager took the alert: %w", n.name, errors.Join(errs...))
	if permanent {
		return notify.Permanent(err)
	}
	if !notify.IsPermanent(err) {
		return err
	}
	// Some refused for good, others may take it later: retryable, not
	// before the earliest Retry-After one of them asked for.
	retry := errors.New(err.Error())
	var after time.Duration
	has := false
	for _, e := range errs {
		if d, ok := notify.RetryAfter(e); ok && (!has || d < after) {
			after, has = d, true
		}
	}
	if has {
		return &notify.RetryAfterError{After: after, Err: retry}
	}
	return retry
}

func (n *Notifier) post(ctx context.Context, endpoint string, body []byte, now time.Time) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return notify.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "augur")
	resp, err := n.client.Do(req)
	if err != nil {
		return err
	}
	return notify.CheckResponse(endpoint, resp, now)
}
