package otlpgrpc

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The OTLP gRPC service names (opentelemetry/proto/collector/*/v1).
const (
	TraceServiceName   = "opentelemetry.proto.collector.trace.v1.TraceService"
	MetricsServiceName = "opentelemetry.proto.collector.metrics.v1.MetricsService"
	LogsServiceName    = "opentelemetry.proto.collector.logs.v1.LogsService"
)

// UnaryHandler answers one unary call given the request's encoded bytes
// with the response's encoded bytes, or a gRPC status error.
type UnaryHandler func(ctx context.Context, req []byte) ([]byte, error)

// RegisterUnary registers service with the one unary method on s. The
// handler decodes the request itself (see RawMessage); the server's unary
// interceptors run around it as for generated services.
func RegisterUnary(s grpc.ServiceRegistrar, service, method string, h UnaryHandler) {
	full := "/" + service + "/" + method
	s.RegisterService(&grpc.ServiceDesc{
		ServiceName: service,
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{
			MethodName: method,
			Handler: func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
				in := new(RawMessage)
				if err := dec(in); err != nil {
					return nil, err
				}
				call := func(ctx context.Context, req any) (any, error) {
					out, err := h(ctx, req.(*RawMessage).B)
					if err != nil {
						return nil, err
					}
					return &RawMessage{B: out}, nil
				}
				if interceptor == nil {
					return call(ctx, in)
				}
				return interceptor(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: full}, call)
			},
		}},
		Metadata: service,
	}, struct{}{})
}

func malformed(signal, message string, err error) error {
	return status.Errorf(codes.InvalidArgument, "%s: malformed %s: %v", signal, message, err)
}

func registerTraces(s grpc.ServiceRegistrar, logger *slog.Logger, c TracesConsumer) {
	RegisterUnary(s, TraceServiceName, "Export", func(ctx context.Context, b []byte) ([]byte, error) {
		return exportTraces(ctx, logger, c, b)
	})
}

func exportTraces(ctx context.Context, logger *slog.Logger, c TracesConsumer, b []byte) ([]byte, error) {
	const signal = "otlp traces"
	req := ptraceotlp.NewExportRequest()
	if err := req.UnmarshalProto(b); err != nil {
		return nil, malformed(signal, "ExportTraceServiceRequest", err)
	}
	resp := ptraceotlp.NewExportResponse()
	if req.Traces().SpanCount() > 0 {
		rejected, msg, err := c.ConsumeTraces(ctx, req.Traces())
		if err != nil {
			logger.Error("consuming spans failed", "spans", req.Traces().SpanCount(), "err", err)
			return nil, ErrorStatus(signal, err)
		}
		if rejected > 0 {
			logger.Warn("spans rejected", "rejected", rejected, "reason", msg)
		}
		if rejected > 0 || msg != "" {
			resp.PartialSuccess().SetRejectedSpans(int64(rejected))
			resp.PartialSuccess().SetErrorMessage(msg)
		}
	}
	return resp.MarshalProto()
}

func registerMetrics(s grpc.ServiceRegistrar, logger *slog.Logger, c MetricsConsumer) {
	RegisterUnary(s, MetricsServiceName, "Export", func(ctx context.Context, b []byte) ([]byte, error) {
		return exportMetrics(ctx, logger, c, b)
	})
}

func exportMetrics(ctx context.Context, logger *slog.Logger, c MetricsConsumer, b []byte) ([]byte, error) {
	const signal = "otlp metrics"
	req := pmetricotlp.NewExportRequest()
	if err := req.UnmarshalProto(b); err != nil {
		return nil, malformed(signal, "ExportMetricsServiceRequest", err)
	}
	resp := pmetricotlp.NewExportResponse()
	if req.Metrics().ResourceMetrics().Len() > 0 {
		rejected, msg, err := c.ConsumeMetrics(ctx, req.Metrics())
		if err != nil {
			logger.Error("consuming metrics failed", "data_points", req.Metrics().DataPointCount(), "err", err)
			return nil, ErrorStatus(signal, err)
		}
		if rejected > 0 || msg != "" {
			logger.Warn("data points rejected", "rejected", rejected, "reason", msg)
			resp.PartialSuccess().SetRejectedDataPoints(int64(rejected))
			resp.PartialSuccess().SetErrorMessage(msg)
		}
	}
	return resp.MarshalProto()
}

func registerLogs(s grpc.ServiceRegistrar, logger *slog.Logger, c LogsConsumer) {
	RegisterUnary(s, LogsServiceName, "Export", func(ctx context.Context, b []byte) ([]byte, error) {
		return exportLogs(ctx, logger, c, b)
	})
}

func exportLogs(ctx context.Context, logger *slog.Logger, c LogsConsumer, b []byte) ([]byte, error) {
	const signal = "otlp logs"
	req := plogotlp.NewExportRequest()
	if err := req.UnmarshalProto(b); err != nil {
		return nil, malformed(signal, "ExportLogsServiceRequest", err)
	}
	resp := plogotlp.NewExportResponse()
	if req.Logs().LogRecordCount() > 0 {
		rejected, msg, err := c.ConsumeLogs(ctx, req.Logs())
		if err != nil {
			logger.Error("consuming log records failed", "records", req.Logs().LogRecordCount(), "err", err)
			return nil, ErrorStatus(signal, err)
		}
		if rejected > 0 || msg != "" {
			logger.Warn("log records rejected", "rejected", rejected, "reason", msg)
			resp.PartialSuccess().SetRejectedLogRecords(int64(rejected))
			resp.PartialSuccess().SetErrorMessage(msg)
		}
	}
	return resp.MarshalProto()
}
