// Package promapi serves the Prometheus HTTP API over augur's embedded
// store: /api/v1/query and /api/v1/query_range (PromQL), and /api/v1/labels,
// /api/v1/label/{name}/values and /api/v1/series (lookups), so Grafana and
// other Prometheus clients can use augur as a Prometheus data source.
//
// It depends on small Querier and Metadata interfaces, not on the store
// itself; it must not import collector, analysis or judges.
package promapi
