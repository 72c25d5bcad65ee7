// Package logs turns log records into series a canary judge can compare:
// counts per service, version and severity, and counts per log pattern.
//
// Patterns are mined from the lines themselves by a Drain clusterer (He et
// al., 2017): variable parts (numbers, IDs, addresses, durations) become
// <*> wildcards, so "user 123 logged in from 10.0.0.1" and "user 7 logged in
// from 10.0.0.2" are one pattern, while an error signature that only a canary
// emits gets a pattern (and a pattern_id series) of its own. Each pattern
// keeps, per service version, a bounded ring of recent example lines and
// trace IDs for reports; Drain.Lookup finds a pattern by ID with the
// examples of the services and versions a caller selects (a canary judge's
// cohort), so a failing pattern is shown with its cohort's own lines.
//
// Records arrive through two receivers, plain http.Handlers: OTLP/HTTP logs
// (POST /v1/logs, protobuf or JSON, optionally gzip) and the Loki push API
// (POST /loki/api/v1/push, snappy protobuf or JSON). A malformed body is
// answered 400 naming the problem; a single bad record or stream is rejected
// on its own and never costs the rest of its batch. A patterns endpoint
// serves what the clusterer has seen as JSON.
//
// Records obey the rules every receiver shares (package collector): a
// label value that is not valid UTF-8 rejects its stream or record, and a
// record outside the store's time window is rejected on its own.
//
// logs may import collector (those shared rules), collector/store (tests
// only), Prometheus' storage, labels and model packages, OpenTelemetry
// pdata and Loki's push types. It must not import analysis, judges, web,
// alerting or cmd.
package logs
