// Package jaeger is augur's Jaeger receiver: the jaeger.api_v2
// CollectorService PostSpans gRPC method (what Jaeger agents, Jaeger
// clients and OpenTelemetry's Jaeger exporters speak on port 14250). Spans
// are converted to OpenTelemetry pdata (see ToTraces for the mapping) and
// handed to the same otlpgrpc.TracesConsumer the OTLP receiver uses, so
// Jaeger spans become the same RED series as OTLP spans.
//
// Register adds the service to any gRPC server, so it can share the OTLP
// receiver's port; NewServer runs it alone (default 127.0.0.1:14250).
//
// The service is declared here over the model/v1 types rather than taken
// from jaeger-idl's proto-gen/api_v2, whose generated code pulls in
// github.com/gogo/googleapis, and the request is decoded by the handler
// so that a malformed one is answered InvalidArgument. The method name and
// messages are Jaeger's, byte for byte.
//
// jaeger may import collector/otlpgrpc (the consumer interface, error
// mapping and server), jaeger-idl's model/v1 and pdata; it must not import
// collector/store, analysis, judges, web, alerting or cmd.
package jaeger
