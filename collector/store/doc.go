// Package store is augur's embedded telemetry store: a Prometheus TSDB (with
// its write-ahead log) in the data directory, and a PromQL engine over it.
//
// A Limited view evaluates with an engine of its own, bounding the samples
// one query may load for one kind of client: analysis sources read through
// one, apart from the Prometheus-compatible query API.
//
// Receivers in package collector append into it through Prometheus' storage
// interfaces; analysis sources and the Prometheus-compatible query API read
// from it. It must not import any other augur package.
package store
