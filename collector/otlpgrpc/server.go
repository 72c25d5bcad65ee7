package otlpgrpc

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/grpc"
	_ "google.golang.org/grpc/encoding/gzip" // registers the gzip decompressor OTLP clients use
	"google.golang.org/grpc/keepalive"
)

// TracesConsumer takes a decoded batch of spans. rejected counts spans it
// refused (with msg saying why) while storing the rest; err means the
// batch as a whole failed (see ErrorStatus for how it is answered).
type TracesConsumer interface {
	ConsumeTraces(ctx context.Context, td ptrace.Traces) (rejected int, msg string, err error)
}

// MetricsConsumer takes a decoded batch of metrics; rejected counts data
// points. Otherwise as TracesConsumer.
type MetricsConsumer interface {
	ConsumeMetrics(ctx context.Context, md pmetric.Metrics) (rejected int, msg string, err error)
}

// LogsConsumer takes a decoded batch of log records; rejected counts
// records. Otherwise as TracesConsumer.
type LogsConsumer interface {
	ConsumeLogs(ctx context.Context, ld plog.Logs) (rejected int, msg string, err error)
}

// Server is an OTLP/gRPC receiver. Other gRPC services (the Jaeger
// receiver) may be registered on GRPC() before Serve.
type Server struct {
	cfg    Config
	logger *slog.Logger
	grpc   *grpc.Server
}

// New returns a server with the OTLP services of the non-nil consumers
// registered. extra options are appended to the server's own (TLS
// credentials, interceptors, ...).
func New(logger *slog.Logger, cfg Config, traces TracesConsumer, metrics MetricsConsumer, logs LogsConsumer, extra ...grpc.ServerOption) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	opts := append(serverOptions(cfg), extra...)
	s := &Server{cfg: cfg, logger: logger, grpc: grpc.NewServer(opts...)}
	if traces != nil {
		registerTraces(s.grpc, logger.With("receiver", "otlp_grpc_traces"), traces)
	}
	if metrics != nil {
		registerMetrics(s.grpc, logger.With("receiver", "otlp_grpc_metrics"), metrics)
	}
	if logs != nil {
		registerLogs(s.grpc, logger.With("receiver", "otlp_grpc_logs"), logs)
	}
	return s, nil
}

// serverOptions are the options cfg asks for.
func serverOptions(cfg Config) []grpc.ServerOption {
	opts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(cfg.MaxRecvMsgBytes),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: cfg.KeepaliveTime, Timeout: cfg.KeepaliveTimeout}),
	}
	if cfg.ConnectionTimeout > 0 {
		opts = append(opts, grpc.ConnectionTimeout(cfg.ConnectionTimeout))
	}
	if cfg.KeepaliveMinTime > 0 {
		opts = append(opts, grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: cfg.KeepaliveMinTime, PermitWithoutStream: true}))
	}
	return opts
}

// GRPC returns the underlying server, for registering further services
// before Serve.
func (s *Server) GRPC() *grpc.Server { return s.grpc }

// Listen binds the configured address.
func (s *Server) Listen() (net.Listener, error) {
	lis, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("otlp grpc: listen on %s: %w", s.cfg.Listen, err)
	}
	return lis, nil
}

// Serve serves on lis until Stop or GracefulStop; it then returns nil.
func (s *Server) Serve(lis net.Listener) error {
	s.logger.Info("grpc receiver listening", "addr", lis.Addr().String())
	if err := s.grpc.Serve(lis); err != nil && err != grpc.ErrServerStopped {
		return err
	}
	return nil
}

// Stop closes all connections and listeners at once.
func (s *Server) Stop() { s.grpc.Stop() }

// GracefulStop stops accepting connections and waits for in-flight
// requests to finish.
func (s *Server) GracefulStop() { s.grpc.GracefulStop() }
