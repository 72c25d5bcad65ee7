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
//
// Every append path shares one time policy: the store's appenders accept
// samples, histograms and exemplars only within [now - max age, now +
// max_future] (max age is the out-of-order window, at least an hour), and
// receivers ask CheckTime per span or record to reject just the offender.
// One sample far ahead of the clock would otherwise move the head's max time
// so that every later sample is refused as too old, across restarts; one
// far behind would drag the head's start back and stall compaction. A store
// poisoned so before the policy existed is mended offline by Repair, which
// rewrites the TSDB without the samples outside a window.
package store
