package jaeger

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/augurhq/augur/analysis"
)

// maxRecvSize bounds one SpansResponseChunk. Jaeger sends 10 spans a
// chunk, but spans with many logs can be large.
const maxRecvSize = 32 << 20

// dialOptions returns the connection's transport credentials and limits.
func dialOptions(spec analysis.SourceSpec) ([]grpc.DialOption, error) {
	creds := insecure.NewCredentials()
	if spec.TLS != nil {
		cfg, err := tlsConfig(*spec.TLS)
		if err != nil {
			return nil, err
		}
		creds = credentials.NewTLS(cfg)
	}
	return []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxRecvSize)),
	}, nil
}

// tlsConfig builds the client TLS configuration. The client certificate
// is read again at every handshake, so a rotated certificate is picked up
// on reconnection.
func tlsConfig(t analysis.TLSSpec) (*tls.Config, error) {
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         t.ServerName,
		InsecureSkipVerify: t.InsecureSkipVerify,
	}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls.ca_file %s: no PEM certificate found", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		return nil, errors.New("tls: cert_file and key_file go together")
	}
	if t.CertFile != "" {
		if _, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile); err != nil {
			return nil, fmt.Errorf("tls client certificate: %w", err)
		}
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			c, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
			if err != nil {
				return nil, fmt.Errorf("tls client certificate: %w", err)
			}
			return &c, nil
		}
	}
	return cfg, nil
}

// auth sends the configured headers and credentials as gRPC metadata.
// Token and password files are read at every call, so rotated secrets are
// picked up without a restart.
type auth struct {
	headers []string // lowercased key, value pairs
	spec    analysis.SourceSpec
}

func newAuth(spec analysis.SourceSpec) (auth, error) {
	a := auth{spec: spec}
	for k, v := range spec.Headers {
		key := strings.ToLower(k)
		if !validKey(key) {
			return auth{}, fmt.Errorf("headers: %q is not a valid gRPC metadata key (letters, digits, - _ and . only, not grpc-)", k)
		}
		a.headers = append(a.headers, key, v)
	}
	return a, nil
}

func validKey(k string) bool {
	if k == "" || strings.HasPrefix(k, "grpc-") || strings.HasSuffix(k, "-bin") {
		return false
	}
	for _, r := range k {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' && r != '_' && r != '.' {
			return false
		}
	}
	return true
}

// context returns ctx carrying the call's metadata.
func (a auth) context(ctx context.Context) (context.Context, error) {
	kv := append([]string(nil), a.headers...)
	switch {
	case a.spec.BearerToken != "" || a.spec.BearerTokenFile != "":
		token, err := secret(a.spec.BearerToken, a.spec.BearerTokenFile, "bearer_token_file")
		if err != nil {
			return nil, err
		}
		kv = append(kv, "authorization", "Bearer "+token)
	case a.spec.BasicAuth != nil:
		b := a.spec.BasicAuth
		pw, err := secret(b.Password, b.PasswordFile, "basic_auth.password_file")
		if err != nil {
			return nil, err
		}
		kv = append(kv, "authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(b.Username+":"+pw)))
	}
	if len(kv) == 0 {
		return ctx, nil
	}
	return metadata.AppendToOutgoingContext(ctx, kv...), nil
}

// secret returns value, or the trimmed content of file.
func secret(value, file, field string) (string, error) {
	if file == "" {
		return value, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s: %w", field, err)
	}
	return strings.TrimSpace(string(b)), nil
}
