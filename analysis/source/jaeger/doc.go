// Package jaeger is the analysis.Source over Jaeger's query service: the
// jaeger.api_v2 QueryService gRPC API (port 16685 by default), which every
// Jaeger v1 and v2 deployment serves whatever its storage backend.
//
// A query is a trace selector in PromQL's label-matcher syntax (see
// Source.Fetch). The source asks FindTraces for the matching traces and
// turns each request the selected service served into one raw sample, its
// duration in seconds, so judges compare per-request latency distributions
// rather than pre-aggregated quantiles.
//
// The client is jaeger-idl's generated api_v2 code over grpc-go; messages
// are the gogo-generated types, which grpc-go's default codec encodes
// through their own Marshal and Unmarshal methods.
//
// jaeger imports analysis, jaeger-idl (api_v2 and model/v1), gRPC and
// Prometheus' PromQL parser; it must not import collector, web, alerting or
// cmd.
package jaeger
