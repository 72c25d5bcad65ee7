package otlpgrpc

import (
	"errors"
	"fmt"
	"net"
	"time"
)

// Config configures the OTLP/gRPC server.
type Config struct {
	// Listen is the TCP address to serve on (OTLP/gRPC's port is 4317).
	Listen string `yaml:"listen" json:"listen"`
	// MaxRecvMsgBytes bounds one request message after decompression.
	MaxRecvMsgBytes int `yaml:"max_recv_msg_bytes" json:"max_recv_msg_bytes"`
	// ConnectionTimeout bounds a new connection's handshake: a client that
	// connects and does not complete it in time is disconnected. 0 is
	// gRPC's own default, 120 s.
	ConnectionTimeout time.Duration `yaml:"connection_timeout" json:"connection_timeout"`
	// KeepaliveTime is how long a connection may be idle before the server
	// pings the client, and KeepaliveTimeout how long it then waits for the
	// answer before closing the connection, so that dead clients do not
	// hold connections. 0 is gRPC's own default (2 h, 20 s).
	KeepaliveTime    time.Duration `yaml:"keepalive_time" json:"keepalive_time"`
	KeepaliveTimeout time.Duration `yaml:"keepalive_timeout" json:"keepalive_timeout"`
	// KeepaliveMinTime is the shortest interval at which clients may ping
	// the server, with or without calls in flight; a client pinging more
	// often is disconnected (GOAWAY "too_many_pings"). 0 is gRPC's own
	// default (5 min, and no pings without calls in flight).
	KeepaliveMinTime time.Duration `yaml:"keepalive_min_time" json:"keepalive_min_time"`
}

// DefaultListen is the OTLP/gRPC default, bound to loopback.
const DefaultListen = "127.0.0.1:4317"

// DefaultConfig returns the server defaults: loopback on 4317, 32 MiB
// messages (the OTLP/HTTP receivers' body limit), a 10 s handshake, pings
// to connections idle for a minute (20 s to answer), and client pings
// allowed every 10 s. gzip-compressed requests are always accepted.
func DefaultConfig() Config {
	return Config{
		Listen: DefaultListen, MaxRecvMsgBytes: 32 << 20,
		ConnectionTimeout: 10 * time.Second,
		KeepaliveTime:     time.Minute, KeepaliveTimeout: 20 * time.Second,
		KeepaliveMinTime: 10 * time.Second,
	}
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
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"connection_timeout", c.ConnectionTimeout}, {"keepalive_time", c.KeepaliveTime},
		{"keepalive_timeout", c.KeepaliveTimeout}, {"keepalive_min_time", c.KeepaliveMinTime},
	} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s.%s: must not be negative (0 is gRPC's default), got %s", prefix, d.name, d.v))
		}
	}
	return errors.Join(errs...)
}

// ValidateAs is Validate with the configuration section named prefix in
// messages, for receivers that reuse this Config (the Jaeger receiver).
func (c Config) ValidateAs(prefix string) error { return c.validate(prefix) }
