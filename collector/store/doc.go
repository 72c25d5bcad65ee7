// Package store is augur's embedded telemetry store: a Prometheus TSDB (with
// its write-ahead log) in the data directory, and a PromQL engine over it.
//
// Receivers in package collector append into it through Prometheus' storage
// interfaces; analysis sources and the Prometheus-compatible query API read
// from it, the sources through a Limited view whose engine bounds the
// samples of one query apart from the API's. It must not import any other
// augur package.
package store
