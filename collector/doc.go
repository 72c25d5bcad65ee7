// Package collector holds augur's telemetry receivers and the derivations
// from spans to series.
//
// Receivers are plain http.Handlers created with their downstream appender
// injected: OTLP/HTTP metrics (Prometheus' own OTLP translation, so names and
// labels follow the OpenTelemetry-to-Prometheus specification), OTLP/HTTP
// traces (turned into RED series by SpanMetrics), and Prometheus remote-write.
// A malformed body is answered 400 with a message naming the problem; nothing
// already accepted is affected. Every receiver applies the same rules to
// what it stores (rules.go): label names and values must be valid UTF-8
// (ValidateLabel), and sample times must be inside the store's window
// (TimeCheck); an offending series, span, data point or record is rejected
// on its own.
//
// A Limiter bounds the ingest requests served at once across all receivers,
// HTTP (Limiter.Wrap) and gRPC (otlpgrpc.Limit); a request takes its slot
// only once its body is read. The store's active series limit refuses new
// series alone (see LimitsConfig.MaxActiveSeries).
//
// collector may import collector/store and Prometheus' storage interfaces; it
// must not import analysis, judges, web or alerting.
package collector
