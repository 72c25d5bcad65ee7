package jaeger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	model "github.com/jaegertracing/jaeger-idl/model/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/augurhq/augur/collector/otlpgrpc"
)

// The Jaeger collector's gRPC service and method (jaeger-idl
// proto/api_v2/collector.proto).
const (
	ServiceName = "jaeger.api_v2.CollectorService"
	MethodName  = "PostSpans"
)

// DefaultListen is the Jaeger collector's gRPC port, bound to loopback.
const DefaultListen = "127.0.0.1:14250"

// DefaultConfig returns the standalone server defaults: loopback on 14250
// and 32 MiB messages.
func DefaultConfig() otlpgrpc.Config {
	cfg := otlpgrpc.DefaultConfig()
	cfg.Listen = DefaultListen
	return cfg
}

// NewServer returns a gRPC server serving only the Jaeger collector
// service; use Listen/Serve/GracefulStop on it as on the OTLP receiver.
func NewServer(logger *slog.Logger, cfg otlpgrpc.Config, consumer otlpgrpc.TracesConsumer, opts ...grpc.ServerOption) (*otlpgrpc.Server, error) {
	if consumer == nil {
		return nil, errors.New("jaeger: no traces consumer")
	}
	if err := cfg.ValidateAs("jaeger_grpc"); err != nil {
		return nil, err
	}
	srv, err := otlpgrpc.New(logger, cfg, nil, nil, nil, opts...)
	if err != nil {
		return nil, err
	}
	Register(srv.GRPC(), logger, consumer)
	return srv, nil
}

// Register adds the Jaeger collector service to s (before s serves), so it
// can share a port with the OTLP receiver.
//
// Spans that cannot be converted are dropped one by one and the rest
// stored. Jaeger's PostSpansResponse has no field for a partial rejection,
// so rejections (by the conversion or the consumer) are logged; only when
// every span of a batch was rejected is the call answered InvalidArgument.
// Consumer errors are answered as in OTLP (see otlpgrpc.ErrorStatus).
func Register(s grpc.ServiceRegistrar, logger *slog.Logger, consumer otlpgrpc.TracesConsumer) {
	logger = logger.With("receiver", "jaeger_grpc")
	otlpgrpc.RegisterUnary(s, ServiceName, MethodName, func(ctx context.Context, b []byte) ([]byte, error) {
		return postSpans(ctx, logger, consumer, b)
	})
}

const signal = "jaeger spans"

func postSpans(ctx context.Context, logger *slog.Logger, consumer otlpgrpc.TracesConsumer, b []byte) ([]byte, error) {
	batch, err := decodePostSpans(b)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "%s: malformed PostSpansRequest: %v", signal, err)
	}
	td, rej := ToTraces(batch)
	total := len(batch.Spans)
	if rej.Count > 0 {
		logger.Warn("spans rejected", "rejected", rej.Count, "of", total, "reason", rej.String())
		if rej.Count == total {
			return nil, status.Errorf(codes.InvalidArgument, "%s: %s", signal, rej)
		}
	}
	if td.SpanCount() == 0 {
		return nil, nil // the empty PostSpansResponse
	}
	rejected, msg, err := consumer.ConsumeTraces(ctx, td)
	if err != nil {
		logger.Error("consuming spans failed", "spans", td.SpanCount(), "err", err)
		return nil, otlpgrpc.ErrorStatus(signal, err)
	}
	if rejected > 0 {
		logger.Warn("spans rejected", "rejected", rejected, "of", total, "reason", msg)
	}
	return nil, nil
}

// decodePostSpans reads a PostSpansRequest { Batch batch = 1; }. Repeated
// batch fields merge, and unknown fields are skipped, as protobuf says.
func decodePostSpans(b []byte) (*model.Batch, error) {
	batch := &model.Batch{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		b = b[n:]
		if num == 1 && typ == protowire.BytesType {
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			if err := batch.Unmarshal(v); err != nil {
				return nil, fmt.Errorf("batch: %w", err)
			}
			b = b[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		b = b[n:]
	}
	return batch, nil
}
