package signedwebhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/augurhq/augur/alerting/notify"
)

// Config is one webhook receiver.
type Config struct {
	// URL is where messages are POSTed (http or https).
	URL string `yaml:"url" json:"url"`
	// Body is a Go text/template over notify.Message; empty sends the
	// verdict document (Message.Payload, or the Message as JSON when it
	// has none).
	Body string `yaml:"body" json:"body,omitempty"`
	// ContentType is the body's media type (default application/json).
	ContentType string `yaml:"content_type" json:"content_type"`
	// SecretFiles each hold a Standard Webhooks secret, "whsec_" and the
	// base64 key; every one signs, so that a new secret can be added
	// before the old one is removed. None: messages are not signed.
	SecretFiles []string `yaml:"secret_files" json:"secret_files,omitempty"`
	// HTTP is TLS, credentials, headers and the timeout.
	HTTP notify.HTTPConfig `yaml:"http" json:"http"`
}

// DefaultConfig returns a JSON webhook with the default HTTP settings.
func DefaultConfig() Config {
	return Config{ContentType: "application/json", HTTP: notify.DefaultHTTPConfig()}
}

// Validate reports every invalid field, named under prefix.
func (c Config) Validate(prefix string) error {
	var errs []error
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("%s.url: must be an absolute http or https URL, got %q", prefix, c.URL))
	}
	if c.Body != "" {
		if _, err := template.New("body").Parse(c.Body); err != nil {
			errs = append(errs, fmt.Errorf("%s.body: %w", prefix, err))
		}
	}
	if c.ContentType == "" {
		errs = append(errs, fmt.Errorf("%s.content_type: must be set", prefix))
	}
	for i, f := range c.SecretFiles {
		if f == "" {
			errs = append(errs, fmt.Errorf("%s.secret_files[%d]: empty path", prefix, i))
		}
	}
	if err := c.HTTP.Validate(prefix + ".http"); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Notifier sends messages to one webhook.
type Notifier struct {
	name   string
	cfg    Config
	body   *template.Template
	client *http.Client
	now    func() time.Time
}

var _ notify.Notifier = (*Notifier)(nil)

// New returns the receiver called name; guard decides which addresses its
// URL may reach.
func New(name string, cfg Config, guard notify.Guard) (*Notifier, error) {
	if err := cfg.Validate("receivers." + name + ".webhook"); err != nil {
		return nil, err
	}
	client, err := notify.NewHTTPClient(cfg.HTTP, guard)
	if err != nil {
		return nil, fmt.Errorf("receivers.%s.webhook: %w", name, err)
	}
	n := &Notifier{name: name, cfg: cfg, client: client, now: time.Now}
	if cfg.Body != "" {
		n.body = template.Must(template.New(name).Option("missingkey=error").Parse(cfg.Body))
	}
	return n, nil
}

// Notify renders, signs and POSTs m. A template that fails to render, a
// secret that cannot be read or decoded, and a 4xx other than 408 and 429
// are permanent.
func (n *Notifier) Notify(ctx context.Context, m notify.Message) error {
	body, err := n.render(m)
	if err != nil {
		return notify.Permanent(fmt.Errorf("%s: %w", n.name, err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return notify.Permanent(fmt.Errorf("%s: %w", n.name, err))
	}
	req.Header.Set("Content-Type", n.cfg.ContentType)
	req.Header.Set("User-Agent", "augur")
	// The id and timestamp go out signed or not: the id is the key a
	// receiver de-duplicates retries on.
	ts := n.now().Unix()
	if m.ID != "" {
		req.Header.Set("webhook-id", m.ID)
	}
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	if len(n.cfg.SecretFiles) > 0 {
		if m.ID == "" {
			return notify.Permanent(fmt.Errorf("%s: message has no ID to sign as webhook-id", n.name))
		}
		keys, err := n.keys()
		if err != nil {
			return notify.Permanent(fmt.Errorf("%s: %w", n.name, err))
		}
		req.Header.Set("webhook-signature", Sign(keys, m.ID, ts, body))
	}
	resp, err := n.client.Do(req)
	if err != nil {
		if notify.IsPermanent(err) {
			return fmt.Errorf("%s: %w", n.name, err)
		}
		return fmt.Errorf("%s: post: %w", n.name, err)
	}
	return notify.CheckResponse(n.name, resp, n.now())
}

func (n *Notifier) render(m notify.Message) ([]byte, error) {
	if n.body == nil {
		if len(m.Payload) > 0 {
			return m.Payload, nil
		}
		b, err := json.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("encode message: %w", err)
		}
		return b, nil
	}
	var buf bytes.Buffer
	if err := n.body.Execute(&buf, m); err != nil {
		return nil, fmt.Errorf("body template: %w", err)
	}
	return buf.Bytes(), nil
}

// keys reads every secret file (at each message, so that a rotation needs
// no restart). Errors name the file, never the secret.
func (n *Notifier) keys() ([][]byte, error) {
	keys := make([][]byte, 0, len(n.cfg.SecretFiles))
	for _, f := range n.cfg.SecretFiles {
		s, err := notify.ReadSecretFile(f)
		if err != nil {
			return nil, fmt.Errorf("secret: %w", err)
		}
		k, err := DecodeSecret(s)
		if err != nil {
			return nil, fmt.Errorf("secret in %s: %w", f, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// DecodeSecret decodes a "whsec_<base64>" secret into its key.
func DecodeSecret(s string) ([]byte, error) {
	b64, ok := strings.CutPrefix(strings.TrimSpace(s), "whsec_")
	if !ok {
		return nil, errors.New(`not a Standard Webhooks secret (want "whsec_" and base64)`)
	}
	k, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, errors.New("the part after whsec_ is not base64")
	}
	if len(k) < 24 || len(k) > 64 {
		return nil, fmt.Errorf("key is %d bytes, want 24 to 64", len(k))
	}
	return k, nil
}

// Sign returns the webhook-signature header: "v1,<signature>" for each key,
// space separated.
func Sign(keys [][]byte, id string, ts int64, body []byte) string {
	sigs := make([]string, len(keys))
	for i, k := range keys {
		mac := hmac.New(sha256.New, k)
		mac.Write([]byte(id))
		mac.Write([]byte{'.'})
		mac.Write([]byte(strconv.FormatInt(ts, 10)))
		mac.Write([]byte{'.'})
		mac.Write(body)
		sigs[i] = "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	}
	return strings.Join(sigs, " ")
}
