// Package simulate is augur's demo and test traffic generator. It plays
// the part of a small fleet running two or more versions of one service (a
// baseline and a canary) and speaks plain OTLP/HTTP to augur's receiver, the
// way an OpenTelemetry SDK or Collector would: gzip-compressed protobuf
// ExportTraceServiceRequest and ExportMetricsServiceRequest bodies POSTed to
// <endpoint>/v1/traces and <endpoint>/v1/metrics.
//
// Traffic is backfilled: Run simulates the time range [Config.Start,
// Config.End] as fast as the receiver accepts it, so an hour of traffic is
// sent in a few seconds. Per cohort it draws Poisson arrivals at the cohort's
// RPS, log-normal latencies and Bernoulli errors from a seeded random source,
// so the same Config (including Seed) always produces the same spans and
// points. Each request becomes one SERVER span, optionally with a CLIENT
// child span for a database call, and feeds per-instance cumulative metrics
// (process.cpu.time, process.memory.usage, http.server.request.duration) that
// are exported every Config.MetricInterval of simulated time and agree with
// the spans that were sent.
//
// Data is sent in simulated-time order: batch windows go out one after the
// other, cohorts of the same window may go out in parallel, and no series
// ever receives a sample older than one it already received, which a TSDB
// behind the receiver would reject as out of order.
//
// The package deliberately knows nothing about augur's server packages: it is
// an ordinary OTLP client, usable against augur or any other OTLP/HTTP
// receiver.
package simulate
