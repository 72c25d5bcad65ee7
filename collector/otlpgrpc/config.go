package otlpgrpc

import (
	"errors"
	"fmt"
	"net"
)

// Config configures the OTLP/gRPC server.
type Config struct {
	// Listen is the TCP address to serve on (OTLP/gRPC's port is 4317).
	Listen string `yaml:"listen" json:"listen"`
	// MaxRecvMsgBytes bounds one request message after decompression.
	MaxRecvMsgBytes int `yaml:"max_recv_msg_bytes" json:"max_recv_msg_bytes"`
}

// DefaultListen is the OTLP/gRPC default, bound to loopback.
const DefaultListen = "127.0.0.1:4317"

// DefaultConfig returns the server defaults: loopback on 4317 and 32 MiB
// messages (the OTLP/HTTP receivers' body limit). gzip-compressed requests
// are always accepted.
func DefaultConfig() Config {
	return Config{Listen: DefaultListen, MaxRecvMsgBytes: 32 << 20}
}

// Validate reports every invalid field, named under otlp_grpc.
func (c Config) Validate() error { return c.validate("otlp_grpc") }

func (c Config) validate(prefix string) error {
	var errs []error
	if c.Listen == "" {
		errs = append(errs, fmt.Errorf("%s.listen: must not be empty", prefix))
	} else if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("%s.listen: %q: %w", prefix, c.Listen, err))
	}
	if c.MaxRecvMsgBytes <= 0 {
		errs = append(errs, fmt.Errorf("%s.max_recv_msg_bytes: must be positive, got %d", prefix, c.MaxRecvMsgBytes))
	}
	return errors.Join(errs...)
}

// ValidateAs is Validate with the configuration section named prefix in
// messages, for receivers that reuse this Config (the Jaeger receiver).
func (c Config) ValidateAs(prefix string) error { return c.validate(prefix) }
