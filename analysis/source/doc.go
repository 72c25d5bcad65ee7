// Package source groups the analysis.Source implementations, one package
// per data source. Each maps "no data" to an empty result and failures to
// errors, so the engine can tell Inconclusive from Error, and marks errors
// retrying cannot fix with analysis.ErrPermanent: embedded (augur's own
// store), prometheus (the Prometheus HTTP query API), loki (LogQL metric
// queries), jaeger (per-request durations over gRPC). Every source runs the
// conformance suite in sourcetest.
//
// Registry opens them by name for the engine, keeps each open source shared
// between queries, and closes it once idle (Limits), never under a query:
// a handle it returned opens its source again when next used.
package source
