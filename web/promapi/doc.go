// Package promapi serves the Prometheus HTTP query API (/api/v1/query and
// /api/v1/query_range) over augur's embedded store, so Grafana and other
// Prometheus clients can use augur as a Prometheus data source.
//
// It depends on a small Querier interface, not on the store itself; it must
// not import collector, analysis or judges.
package promapi
