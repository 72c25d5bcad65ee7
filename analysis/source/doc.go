// Package source groups the analysis.Source implementations, one package
// per data source. Each maps "no data" to an empty result and failures to
// errors, so the engine can tell Inconclusive from Error, and marks errors
// retrying cannot fix with analysis.ErrPermanent: embedded (augur's own
// store), prometheus (the Prometheus HTTP query API), loki (LogQL metric
// queries). Every source runs the conformance suite in sourcetest.
package source
