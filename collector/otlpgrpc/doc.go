// Package otlpgrpc is augur's OTLP/gRPC receiver: the OpenTelemetry
// TraceService, MetricsService and LogsService Export methods on one
// grpc.Server (default 127.0.0.1:4317), each handing decoded pdata to a
// small consumer interface injected at construction. A signal whose
// consumer is nil is not registered, so clients get Unimplemented.
//
// Answers follow the OTLP specification: a batch the consumer partly
// rejects is answered OK with a partial success (how many items, why); a
// payload that does not decode is InvalidArgument; consumer errors map to
// gRPC codes by their kind (see BadData, Throttle; anything else is
// Unavailable, which OTLP clients retry with backoff).
//
// The services are declared here rather than through pdata's
// RegisterGRPCServer so that the handler, not gRPC's codec, decodes the
// payload: only then can a malformed request be told apart and answered
// InvalidArgument instead of Internal. Method names and messages are the
// OTLP ones, so any OTLP/gRPC client works unchanged.
//
// Limit is a unary interceptor sharing a concurrency limit (collector.Limiter)
// with the HTTP receivers: a call over it is answered RESOURCE_EXHAUSTED with
// a RetryInfo. The server bounds handshakes and enforces keepalive as its
// Config says.
//
// Adapters connect the receiver to augur's existing pipelines: spans to
// collector.SpanMetrics, metrics to the OTLP/HTTP metrics handler (see
// HTTPMetrics for why that goes through an in-process HTTP request).
//
// otlpgrpc may import collector (for the adapters) and pdata; it must not
// import collector/store, analysis, judges, web, alerting or cmd — storage
// is reached only through the injected consumers.
package otlpgrpc
