package queryapi

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/augurhq/augur/analysis"
)

// tlsConfig builds the client TLS configuration of a spec; nil spec means
// the system roots and no client certificate.
func tlsConfig(spec *analysis.TLSSpec) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if spec == nil {
		return cfg, nil
	}
	cfg.ServerName = spec.ServerName
	cfg.InsecureSkipVerify = spec.InsecureSkipVerify
	if spec.CAFile != "" {
		pem, err := os.ReadFile(spec.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls.ca_file: no PEM certificate in %s", spec.CAFile)
		}
		cfg.RootCAs = pool
	}
	if (spec.CertFile == "") != (spec.KeyFile == "") {
		return nil, errors.New("tls: cert_file and key_file go together")
	}
	if spec.CertFile != "" {
		certFile, keyFile := spec.CertFile, spec.KeyFile
		if _, err := tls.LoadX509KeyPair(certFile, keyFile); err != nil {
			return nil, fmt.Errorf("tls.cert_file, tls.key_file: %w", err)
		}
		// Loaded for each handshake, so a renewed certificate is used by
		// the next connection.
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			c, err := tls.LoadX509KeyPair(certFile, keyFile)
			if err != nil {
				return nil, fmt.Errorf("tls client certificate: %w", err)
			}
			return &c, nil
		}
	}
	return cfg, nil
}
