package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"
)

// HTTPConfig is how an HTTP receiver reaches its endpoint: TLS,
// credentials, headers and a timeout. Credentials are read from their files
// on every request, so a rotated token or password is used without a
// restart, and never sit in the config itself.
type HTTPConfig struct {
	// Timeout bounds one request, connection and answer included
	// (default 10s).
	Timeout time.Duration `yaml:"timeout" json:"timeout"`
	// Headers are sent with every request (after the receiver's own, so
	// they may replace Content-Type, never the signature headers).
	Headers map[string]string `yaml:"headers" json:"headers,omitempty"`
	// BearerTokenFile holds a token sent as "Authorization: Bearer".
	BearerTokenFile string `yaml:"bearer_token_file" json:"bearer_token_file,omitempty"`
	// BasicAuth sends a user name and a password read from a file.
	BasicAuth *BasicAuth `yaml:"basic_auth" json:"basic_auth,omitempty"`
	// TLS configures the server's verification and a client certificate.
	TLS TLSConfig `yaml:"tls" json:"tls"`
}

// BasicAuth is HTTP basic authentication with the password in a file.
type BasicAuth struct {
	Username     string `yaml:"username" json:"username"`
	PasswordFile string `yaml:"password_file" json:"password_file"`
}

// TLSConfig configures TLS to a receiver. Certificates are always verified.
type TLSConfig struct {
	// CAFile holds PEM certificates trusted instead of the system's.
	CAFile string `yaml:"ca_file" json:"ca_file,omitempty"`
	// CertFile and KeyFile are a client certificate, read at every
	// handshake.
	CertFile string `yaml:"cert_file" json:"cert_file,omitempty"`
	KeyFile  string `yaml:"key_file" json:"key_file,omitempty"`
	// ServerName is the name verified on the server's certificate
	// (default: the URL's host).
	ServerName string `yaml:"server_name" json:"server_name,omitempty"`
}

// DefaultHTTPConfig returns a 10s timeout and nothing else.
func DefaultHTTPConfig() HTTPConfig { return HTTPConfig{Timeout: 10 * time.Second} }

// Validate reports every invalid field, named under prefix (for example
// "receivers[0].webhook.http").
func (c HTTPConfig) Validate(prefix string) error {
	var errs []error
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("%s.timeout: must be positive, got %s", prefix, c.Timeout))
	}
	if c.BearerTokenFile != "" && c.BasicAuth != nil {
		errs = append(errs, fmt.Errorf("%s: bearer_token_file and basic_auth are exclusive", prefix))
	}
	if c.BasicAuth != nil && (c.BasicAuth.Username == "" || c.BasicAuth.PasswordFile == "") {
		errs = append(errs, fmt.Errorf("%s.basic_auth: username and password_file are both required", prefix))
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		errs = append(errs, fmt.Errorf("%s.tls: cert_file and key_file go together", prefix))
	}
	for k := range c.Headers {
		if k == "" || strings.ContainsAny(k, " :\r\n") {
			errs = append(errs, fmt.Errorf("%s.headers: invalid header name %q", prefix, k))
		}
		if strings.HasPrefix(strings.ToLower(k), "webhook-") || strings.EqualFold(k, "Authorization") {
			errs = append(errs, fmt.Errorf("%s.headers: %q is set by augur and cannot be configured", prefix, k))
		}
	}
	return errors.Join(errs...)
}

// NewHTTPClient returns a client that reaches only what g allows, with the
// TLS, credentials, headers and timeout of c. It uses no proxy from the
// environment (a proxy would dial the address the guard refused).
func NewHTTPClient(c HTTPConfig, g Guard) (*http.Client, error) {
	if err := c.Validate("http"); err != nil {
		return nil, err
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.TLS.ServerName}
	if c.TLS.CAFile != "" {
		pem, err := os.ReadFile(c.TLS.CAFile)
		if err != nil {
			return nil, fmt.Errorf("http.tls.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("http.tls.ca_file: no PEM certificate in %s", c.TLS.CAFile)
		}
		tc.RootCAs = pool
	}
	if c.TLS.CertFile != "" {
		if _, err := tls.LoadX509KeyPair(c.TLS.CertFile, c.TLS.KeyFile); err != nil {
			return nil, fmt.Errorf("http.tls.cert_file: %w", err)
		}
		certFile, keyFile := c.TLS.CertFile, c.TLS.KeyFile
		tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			cert, err := tls.LoadX509KeyPair(certFile, keyFile)
			if err != nil {
				return nil, fmt.Errorf("client certificate: %w", err)
			}
			return &cert, nil
		}
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           g.DialContext,
		TLSClientConfig:       tc,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   c.Timeout,
		ResponseHeaderTimeout: c.Timeout,
	}
	client := &http.Client{
		Timeout:   c.Timeout,
		Transport: &authTransport{cfg: c, next: tr},
	}
	if !g.FollowRedirects {
		// The 3xx itself is the answer: CheckResponse makes it permanent.
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return client, nil
}

// authTransport adds the configured headers and credentials, read from
// their files on every request.
type authTransport struct {
	cfg  HTTPConfig
	next http.RoundTripper
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	for k, v := range t.cfg.Headers {
		req.Header.Set(k, v)
	}
	switch {
	case t.cfg.BearerTokenFile != "":
		tok, err := readSecret(t.cfg.BearerTokenFile)
		if err != nil {
			return nil, fmt.Errorf("bearer_token_file: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	case t.cfg.BasicAuth != nil:
		pw, err := readSecret(t.cfg.BasicAuth.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("basic_auth.password_file: %w", err)
		}
		cred := base64.StdEncoding.EncodeToString([]byte(t.cfg.BasicAuth.Username + ":" + pw))
		req.Header.Set("Authorization", "Basic "+cred)
	}
	return t.next.RoundTrip(req)
}

// ReadSecretFile reads a secret from a file, without its trailing newline.
// The error names the file, never its content.
func ReadSecretFile(path string) (string, error) { return readSecret(path) }

func readSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := strings.TrimRight(string(b), "\r\n")
	if s == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return s, nil
}

// Guard decides which addresses a receiver may reach. Its zero value
// refuses loopback, link-local (169.254.0.0/16 with the cloud metadata
// address, fe80::/10), unspecified, multicast and private addresses, and
// follows no redirects: a receiver's URL, which a spec may carry, cannot
// make augur call itself, its host or its network.
type Guard struct {
	// AllowLoopback allows 127.0.0.0/8 and ::1.
	AllowLoopback bool `yaml:"allow_loopback" json:"allow_loopback"`
	// AllowLinkLocal allows 169.254.0.0/16 and fe80::/10.
	AllowLinkLocal bool `yaml:"allow_link_local" json:"allow_link_local"`
	// AllowPrivate allows 10/8, 172.16/12, 192.168/16 and fc00::/7.
	AllowPrivate bool `yaml:"allow_private" json:"allow_private"`
	// FollowRedirects follows 3xx answers; each hop is checked again.
	FollowRedirects bool `yaml:"follow_redirects" json:"follow_redirects"`

	// Resolver resolves host names (default net.DefaultResolver).
	Resolver Resolver `yaml:"-" json:"-"`

	// dial replaces the dialer in tests (it gets the checked address).
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Resolver resolves a host name to its addresses.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// ErrRefusedAddress is wrapped by every refusal of the guard. Such errors
// are permanent: sending again reaches the same address.
var ErrRefusedAddress = errors.New("address refused")

// DialContext resolves addr's host once, refuses it if any of its
// addresses is refused, and dials the checked addresses themselves (so a
// second resolution cannot switch the target to another address).
func (g Guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, Permanent(fmt.Errorf("dial %q: %w", addr, err))
	}
	ips, err := g.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	for _, ip := range ips {
		if err := g.check(host, ip); err != nil {
			return nil, err
		}
	}
	dial := g.dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	var errs []error
	for _, ip := range ips {
		c, err := dial(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("dial %s: %w", host, errors.Join(errs...))
}

func (g Guard) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip.Unmap()}, nil
	}
	r := g.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	ips, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, err)
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("resolve %s: no address", host)
	}
	out := make([]netip.Addr, len(ips))
	for i, ip := range ips {
		out[i] = ip.Unmap()
	}
	return out, nil
}

var thisNetwork = netip.MustParsePrefix("0.0.0.0/8")

// check names the host, the address and the rule that refuses it.
func (g Guard) check(host string, ip netip.Addr) error {
	var rule string
	switch {
	case ip.IsUnspecified() || (ip.Is4() && thisNetwork.Contains(ip)):
		rule = "unspecified"
	case ip.IsMulticast():
		rule = "multicast"
	case ip.IsLoopback() && !g.AllowLoopback:
		rule = "loopback (allow_loopback is off)"
	case ip.IsLinkLocalUnicast() && !g.AllowLinkLocal:
		rule = "link-local (allow_link_local is off)"
	case ip.IsPrivate() && !g.AllowPrivate:
		rule = "private (allow_private is off)"
	default:
		return nil
	}
	return Permanent(fmt.Errorf("%w: %s resolves to %s, which is %s", ErrRefusedAddress, host, ip, rule))
}
