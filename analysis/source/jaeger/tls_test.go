package jaeger

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/augurhq/augur/analysis"
)

// serverName is the name in the test server's certificate.
const serverName = "jaeger-query.test"

// pki is a self-signed CA with a server and a client certificate, as
// files.
type pki struct {
	caFile, certFile, keyFile string // CA; client certificate and key
	server                    *tls.Config
}

func newPKI(t *testing.T) pki {
	t.Helper()
	dir := t.TempDir()
	now := time.Now()
	caKey, caDER := certificate(t, &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "augur test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}, nil, nil)
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	srvKey, srvDER := certificate(t, &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: serverName},
		DNSNames: []string{serverName}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, ca, caKey)
	cliKey, cliDER := certificate(t, &x509.Certificate{
		SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "augur"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, ca, caKey)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pki{
		caFile:   writeFile(t, dir, "ca.pem", pemBlock("CERTIFICATE", caDER)),
		certFile: writeFile(t, dir, "client.pem", pemBlock("CERTIFICATE", cliDER)),
		keyFile:  writeFile(t, dir, "client-key.pem", pemBlock("PRIVATE KEY", marshalKey(t, cliKey))),
		server: &tls.Config{
			MinVersion:   tls.VersionTLS12,
			Certificates: []tls.Certificate{{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}},
			ClientCAs:    pool,
			ClientAuth:   tls.RequireAndVerifyClientCert,
		},
	}
}

// certificate creates a key and a certificate from tmpl, signed by parent
// (self-signed if parent is nil).
func certificate(t *testing.T, tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*ecdsa.PrivateKey, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	return key, der
}

func marshalKey(t *testing.T, key *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func pemBlock(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func TestFetchTLS(t *testing.T) {
	p := newPKI(t)
	qs := newQueryServer(chunked(10, shop().root)...)
	addr := serve(t, qs, grpc.Creds(credentials.NewTLS(p.server)))
	for _, tc := range []struct {
		name string
		tls  *analysis.TLSSpec
		want string // in the error; "" for success
	}{
		{"CA, server name and client certificate", &analysis.TLSSpec{CAFile: p.caFile, ServerName: serverName, CertFile: p.certFile, KeyFile: p.keyFile}, ""},
		{"CA and the IP address", &analysis.TLSSpec{CAFile: p.caFile, CertFile: p.certFile, KeyFile: p.keyFile}, ""},
		{"verification skipped", &analysis.TLSSpec{InsecureSkipVerify: true, CertFile: p.certFile, KeyFile: p.keyFile}, ""},
		{"system roots", &analysis.TLSSpec{ServerName: serverName, CertFile: p.certFile, KeyFile: p.keyFile}, "certificate"},
		{"wrong server name", &analysis.TLSSpec{CAFile: p.caFile, ServerName: "jaeger.example", CertFile: p.certFile, KeyFile: p.keyFile}, "jaeger.example"},
		// The server refuses the handshake; with TLS 1.3 the client may only
		// see the connection fail.
		{"no client certificate", &analysis.TLSSpec{CAFile: p.caFile, ServerName: serverName}, "Unavailable"},
		{"plaintext", nil, "Unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := newSource(t, analysis.SourceSpec{Address: addr, TLS: tc.tls, Timeout: analysis.Duration(10 * time.Second)})
			got, err := src.Fetch(context.Background(), query(`{service="checkout"}`))
			if tc.want == "" {
				if err != nil || len(analysis.Values(got)) != 1 {
					t.Fatalf("got %v, %v; want one sample", got, err)
				}
				return
			}
			if err == nil || errors.Is(err, analysis.ErrPermanent) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want a retryable one containing %q", err, tc.want)
			}
		})
	}
}
