// Package promapi serves the Prometheus HTTP API over augur's embedded
// store: /api/v1/query and /api/v1/query_range (PromQL), and /api/v1/labels,
// /api/v1/label/{name}/values and /api/v1/series (lookups),
// /api/v1/query_exemplars, /api/v1/metadata, /api/v1/format_query,
// /api/v1/status/buildinfo, and empty /api/v1/rules and /api/v1/alerts, so
// Grafana and other Prometheus clients can use augur as a Prometheus data
// source.
//
// It depends on small Querier, Metadata, ExemplarQueryable and
// MetadataSource interfaces, not on the store itself; it must not import
// collector, analysis or judges.
package promapi
