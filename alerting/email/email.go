package email

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"strings"
	"time"

	"github.com/augurhq/augur/alerting/notify"
)

// Config is one e-mail receiver.
type Config struct {
	// Smarthost is the SMTP server, host:port.
	Smarthost string `yaml:"smarthost" json:"smarthost"`
	// From is the sender address; To the recipients.
	From string   `yaml:"from" json:"from"`
	To   []string `yaml:"to" json:"to"`
	// Hello is the name sent in EHLO (default "localhost").
	Hello string `yaml:"hello" json:"hello"`
	// Username and PasswordFile authenticate (none: no AUTH). The password
	// is read from its file for every message.
	Username     string `yaml:"username" json:"username,omitempty"`
	PasswordFile string `yaml:"password_file" json:"password_file,omitempty"`
	// AuthMechanism is PLAIN or LOGIN; empty picks PLAIN when the server
	// offers it, else LOGIN.
	AuthMechanism string `yaml:"auth_mechanism" json:"auth_mechanism,omitempty"`
	// RequireTLS refuses to send (or authenticate) unless the server
	// offers STARTTLS (default true).
	RequireTLS bool `yaml:"require_tls" json:"require_tls"`
	// TLS verifies the server (ca_file, server_name) and may present a
	// client certificate.
	TLS notify.TLSConfig `yaml:"tls" json:"tls"`
	// Timeout bounds one message's whole conversation (default 30s).
	Timeout time.Duration `yaml:"timeout" json:"timeout"`
}

// DefaultConfig requires TLS, says hello as localhost and gives a message
// 30 s.
func DefaultConfig() Config {
	return Config{Hello: "localhost", RequireTLS: true, Timeout: 30 * time.Second}
}

// Validate reports every invalid field, named under prefix.
func (c Config) Validate(prefix string) error {
	var errs []error
	if _, port, err := net.SplitHostPort(c.Smarthost); err != nil || port == "" {
		errs = append(errs, fmt.Errorf("%s.smarthost: must be host:port, got %q", prefix, c.Smarthost))
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		errs = append(errs, fmt.Errorf("%s.from: %q: %w", prefix, c.From, err))
	}
	if len(c.To) == 0 {
		errs = append(errs, fmt.Errorf("%s.to: at least one recipient is required", prefix))
	}
	for i, to := range c.To {
		if _, err := mail.ParseAddress(to); err != nil {
			errs = append(errs, fmt.Errorf("%s.to[%d]: %q: %w", prefix, i, to, err))
		}
	}
	if c.Hello == "" || strings.ContainsAny(c.Hello, " \r\n") {
		errs = append(errs, fmt.Errorf("%s.hello: must be a host name, got %q", prefix, c.Hello))
	}
	if (c.Username == "") != (c.PasswordFile == "") {
		errs = append(errs, fmt.Errorf("%s: username and password_file go together", prefix))
	}
	switch c.AuthMechanism {
	case "", "PLAIN", "LOGIN":
	default:
		errs = append(errs, fmt.Errorf("%s.auth_mechanism: must be PLAIN or LOGIN, got %q", prefix, c.AuthMechanism))
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		errs = append(errs, fmt.Errorf("%s.tls: cert_file and key_file go together", prefix))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("%s.timeout: must be positive, got %s", prefix, c.Timeout))
	}
	return errors.Join(errs...)
}

// Notifier sends messages to one list of recipients.
type Notifier struct {
	name  string
	cfg   Config
	host  string
	tls   *tls.Config
	guard notify.Guard
	now   func() time.Time
}

var _ notify.Notifier = (*Notifier)(nil)

// New returns the receiver called name; guard decides which addresses the
// smarthost may resolve to.
func New(name string, cfg Config, guard notify.Guard) (*Notifier, error) {
	prefix := "receivers." + name + ".email"
	if err := cfg.Validate(prefix); err != nil {
		return nil, err
	}
	host, _, _ := net.SplitHostPort(cfg.Smarthost)
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
	if cfg.TLS.ServerName != "" {
		tc.ServerName = cfg.TLS.ServerName
	}
	if cfg.TLS.CAFile != "" {
		pem, err := os.ReadFile(cfg.TLS.CAFile)
		if err != nil {
			return nil, fmt.Errorf("%s.tls.ca_file: %w", prefix, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s.tls.ca_file: no PEM certificate in %s", prefix, cfg.TLS.CAFile)
		}
		tc.RootCAs = pool
	}
	if cfg.TLS.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLS.CertFile, cfg.TLS.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("%s.tls.cert_file: %w", prefix, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return &Notifier{name: name, cfg: cfg, host: host, tls: tc, guard: guard, now: time.Now}, nil
}

// Notify renders m and sends it to every recipient.
func (n *Notifier) Notify(ctx context.Context, m notify.Message) error {
	msg, err := render(n.cfg, m, n.now())
	if err != nil {
		return notify.Permanent(fmt.Errorf("%s: %w", n.name, err))
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout)
	defer cancel()
	conn, err := n.guard.DialContext(ctx, "tcp", n.cfg.Smarthost)
	if err != nil {
		return fmt.Errorf("%s: %w", n.name, err)
	}
	defer conn.Close()
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := n.send(conn, msg); err != nil {
		return fmt.Errorf("%s: %w", n.name, classify(err))
	}
	return nil
}

func (n *Notifier) send(conn net.Conn, msg []byte) error {
	c, err := smtp.NewClient(conn, n.host)
	if err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello(n.cfg.Hello); err != nil {
		return fmt.Errorf("EHLO: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(n.tls); err != nil {
			return fmt.Errorf("STARTTLS: %w", err)
		}
	} else if n.cfg.RequireTLS {
		return notify.Permanent(fmt.Errorf("%s does not offer STARTTLS and require_tls is on", n.cfg.Smarthost))
	}
	if n.cfg.Username != "" {
		auth, err := n.auth(c)
		if err != nil {
			return err
		}
		if err := c.Auth(auth); err != nil {
			return fmt.Errorf("AUTH: %w", err)
		}
	}
	if err := c.Mail(bare(n.cfg.From)); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	for _, to := range n.cfg.To {
		if err := c.Rcpt(bare(to)); err != nil {
			return fmt.Errorf("RCPT TO %s: %w", to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	return c.Quit()
}

func (n *Notifier) auth(c *smtp.Client) (smtp.Auth, error) {
	ok, mechs := c.Extension("AUTH")
	if !ok {
		return nil, notify.Permanent(fmt.Errorf("%s does not offer AUTH", n.cfg.Smarthost))
	}
	pw, err := notify.ReadSecretFile(n.cfg.PasswordFile)
	if err != nil {
		return nil, notify.Permanent(fmt.Errorf("password_file: %w", err))
	}
	mech := n.cfg.AuthMechanism
	if mech == "" {
		mech = "LOGIN"
		if strings.Contains(" "+mechs+" ", " PLAIN ") {
			mech = "PLAIN"
		}
	}
	if mech == "PLAIN" {
		return smtp.PlainAuth("", n.cfg.Username, pw, n.host), nil
	}
	return &loginAuth{user: n.cfg.Username, pass: pw}, nil
}

// loginAuth is the LOGIN mechanism (draft-murchison-sasl-login), which
// net/smtp lacks. Like smtp.PlainAuth it refuses to send credentials over
// a connection that is not encrypted, unless the server is this host.
type loginAuth struct{ user, pass string }

func (a *loginAuth) Start(s *smtp.ServerInfo) (string, []byte, error) {
	if !s.TLS && s.Name != "localhost" && s.Name != "127.0.0.1" && s.Name != "::1" {
		return "", nil, errors.New("LOGIN refused: the connection is not encrypted")
	}
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(challenge []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	// Servers word the prompts differently ("Username:", "User Name").
	c := strings.ToLower(strings.Trim(string(challenge), " :\x00\r\n"))
	switch {
	case strings.HasPrefix(c, "user"):
		return []byte(a.user), nil
	case strings.HasPrefix(c, "pass"):
		return []byte(a.pass), nil
	}
	return nil, fmt.Errorf("LOGIN: unexpected challenge %q", challenge)
}

// classify makes a 5xx answer permanent; 4xx answers and connection
// failures stay retryable.
func classify(err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 && !notify.IsPermanent(err) {
		return notify.Permanent(err)
	}
	return err
}

// bare is the address without its display name, as SMTP commands take it.
func bare(s string) string {
	if a, err := mail.ParseAddress(s); err == nil {
		return a.Address
	}
	return s
}
